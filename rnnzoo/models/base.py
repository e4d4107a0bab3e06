"""The base of rnnzoo's architectures: a functional `keras.Model` whose
constructor arguments are its config, and whose `compile()` picks the loss
and metrics that fit its outputs."""

import keras
import numpy as np


class RecurrentModel(keras.Model):
    """Base of the architectures in `rnnzoo.models`.

    A subclass builds its graph from `keras.Input`s in `__init__`, calls
    `super().__init__(inputs=..., outputs=..., **kwargs)` and then
    `self.remember_arguments(...)` with every constructor argument: they
    become attributes and the config, so `from_config(get_config())` (and
    loading a `.keras` file) rebuilds the same graph. A subclass overrides
    `default_loss()`, `default_metrics()` and `default_loss_weights()` for
    `compile(loss="auto", metrics="auto")`.
    """

    def remember_arguments(self, **arguments) -> None:
        """Stores the constructor arguments as attributes and config."""
        self._arguments = dict(arguments)
        for key, value in arguments.items():
            setattr(self, key, value)

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        for key, value in self._arguments.items():
            config[key] = dict(value) if isinstance(value, dict) else value
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def example_inputs(
        self, batch_size: int = 2, sequence_length: int = 6, seed: int = 0
    ):
        """A random batch the model accepts, for smoke tests and the zoo's
        tests: token ids in `1..vocab_size-1` `(batch_size,
        sequence_length)` for token inputs, standard normal features
        `(batch_size, sequence_length, input_dim)` otherwise. A model
        built for a fixed `sequence_length` gets that many steps. A
        subclass with other inputs overrides this."""
        rng = np.random.default_rng(seed)
        sequence_length = (
            getattr(self, "sequence_length", None) or sequence_length
        )
        if getattr(self, "vocab_size", None):
            return rng.integers(
                1, self.vocab_size, size=(batch_size, sequence_length)
            ).astype("int32")
        return rng.normal(
            size=(batch_size, sequence_length, self.input_dim)
        ).astype("float32")

    def default_loss(self):
        raise NotImplementedError

    def default_metrics(self):
        return None

    def default_loss_weights(self):
        return None

    def compile(
        self, optimizer="adam", loss="auto", metrics="auto", **kwargs
    ) -> None:
        """Configures the model for training, as `keras.Model.compile`.

        Args:
            optimizer: An optimizer or its name. Default `"adam"`.
            loss: A loss, or `"auto"` for the one that fits the model's
                outputs (see the class docstring).
            metrics: Metrics, or `"auto"` for the ones that fit the
                model's outputs.
            **kwargs: Further arguments of `keras.Model.compile`, e.g.
                `loss_weights` or `jit_compile`.
        """
        if isinstance(loss, str) and loss == "auto":
            loss = self.default_loss()
            if kwargs.get("loss_weights") is None:
                kwargs["loss_weights"] = self.default_loss_weights()
        if isinstance(metrics, str) and metrics == "auto":
            metrics = self.default_metrics()
        super().compile(
            optimizer=optimizer, loss=loss, metrics=metrics, **kwargs
        )

    def compile_from_config(self, config):
        # `keras.Model` skips models with their own `compile()` on loading;
        # the config holds the resolved losses and metrics, so replay it.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if hasattr(self, "optimizer") and self.built:
            self.optimizer.build(self.trainable_variables)
