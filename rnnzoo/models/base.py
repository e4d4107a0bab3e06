"""The base of rnnzoo's architectures: a functional `keras.Model` whose
constructor arguments are its config, and whose `compile()` picks the loss
and metrics that fit its outputs."""

import keras
import numpy as np

from rnnzoo.models.raw_inputs import is_text
from rnnzoo.models.raw_inputs import is_token_lists
from rnnzoo.models.raw_inputs import require_preprocessor


class ArgumentsConfig:
    """A functional model whose constructor arguments are its config: the
    constructor calls `remember_arguments(...)` with every argument, which
    become attributes and the config, so `from_config(get_config())` (and
    loading a `.keras` file) rebuilds the same graph."""

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


class RecurrentModel(ArgumentsConfig, keras.Model):
    """Base of the architectures in `rnnzoo.models`.

    A subclass builds its graph in `__init__` (a task from its
    `RecurrentBackbone`), calls `super().__init__(inputs=..., outputs=...,
    **kwargs)` and then `self.remember_arguments(...)` with every
    constructor argument (see `ArgumentsConfig`). A subclass overrides
    `default_loss()`, `default_metrics()` and `default_loss_weights()` for
    `compile(loss="auto", metrics="auto")`.

    A model may carry a `preprocessor` (see `rnnzoo.preprocessors`): then
    `predict`, `fit` and `evaluate` also take raw inputs (texts; label
    names as `y`), and the task's text-level calls work. Models loaded with
    `from_preset` or `rnnzoo.create_model(..., pretrained=True)` have one.
    """

    #: Turns raw inputs into the model's tensors and outputs back; `None`
    #: for a model that takes tensors only.
    preprocessor = None

    @classmethod
    def from_preset(cls, preset, **overrides):
        """Loads a published or saved model with its preprocessor.

        Args:
            preset: A zoo name `"name.tag"` (its published weights), a
                preset folder, a `.tar.gz` archive of one, or a URL.
            **overrides: Architecture arguments to change, e.g.
                `num_classes=3`: the pretrained body is kept and the
                mismatching layers (the head) start fresh.

        Returns:
            The model, an instance of this class, with `preprocessor` set.

        Example:

        >>> model = SequenceClassifier.from_preset(
        ...     "sentiment_bilstm.imdb")  # doctest: +SKIP
        >>> model.predict_labels(["A gripping, moving film."])  # doctest: +SKIP
        ['positive']
        """
        from rnnzoo.zoo.registry import load_task

        model = load_task(preset, **overrides)
        if not isinstance(model, cls):
            raise ValueError(
                f"The preset {preset!r} holds a {type(model).__name__}, not "
                f"a {cls.__name__}; load it with "
                f"{type(model).__name__}.from_preset or "
                "rnnzoo.create_model."
            )
        return model

    def model_inputs(self, x, call: str = "predict"):
        """`x` as the model's tensors: raw inputs go through the
        preprocessor, tensors pass unchanged."""
        if is_text(x) or is_token_lists(x):
            return require_preprocessor(self, call).model_inputs(x)
        return x

    def _targets(self, y, call):
        if y is None:
            return y
        if is_text(y):
            return require_preprocessor(self, call).label_ids(y)
        if isinstance(y, (list, tuple)) and not any(
            hasattr(label, "shape") for label in y
        ):
            # Keras reads a list as one target per output; a list of plain
            # labels (beside raw texts, say) is one target.
            return np.asarray(y)
        return y

    def predict(self, x, *args, **kwargs):
        return super().predict(self.model_inputs(x, "predict"), *args, **kwargs)

    def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
        if isinstance(validation_data, tuple) and len(validation_data) >= 2:
            validation_data = (
                self.model_inputs(validation_data[0], "fit"),
                self._targets(validation_data[1], "fit"),
                *validation_data[2:],
            )
        return super().fit(
            self.model_inputs(x, "fit"),
            self._targets(y, "fit"),
            *args,
            validation_data=validation_data,
            **kwargs,
        )

    def evaluate(self, x=None, y=None, *args, **kwargs):
        return super().evaluate(
            self.model_inputs(x, "evaluate"),
            self._targets(y, "evaluate"),
            *args,
            **kwargs,
        )

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
