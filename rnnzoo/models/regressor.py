"""Many-to-one regression: real-valued targets per sequence (forecasting,
sequence scoring)."""

import keras

from rnnzoo.models.arguments import check_positive_integer
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.encoder import recurrent_encoder
from rnnzoo.models.pooling import get_pooling


@keras.saving.register_keras_serializable(package="rnnzoo")
class SequenceRegressor(RecurrentModel):
    """A recurrent regressor: `output_dim` real values per sequence.

    The same encoder and pooling as `SequenceClassifier`, with a linear (or
    `activation`) dense head:

    ```
    inputs -> embedding (tokens) -> RecurrentStack -> pooling -> dropout
           -> Dense(output_dim)
    ```

    For forecasting, feed the history as features `(batch, steps,
    input_dim)` and predict the next value(s): `output_dim` can hold
    several future steps or variables. `compile()` defaults to mean squared
    error with mean absolute error as metric.

    Args:
        output_dim: Positive integer, the number of values predicted per
            sequence. Default 1.
        cell: Registry name of the recurrent cell, one of
            `rnnzoo.layers.cell_names()`. Default `"lstm"`.
        units: Width of every recurrent layer (per direction). Default 64.
        num_layers: Number of stacked recurrent layers. Default 1.
        bidirectional: Whether each layer reads the sequence both ways.
        residual: Whether layers of equal input and output width add their
            input to their output.
        dropout: Float in `[0, 1)`, dropout on the inputs of every
            recurrent layer and on the pooled vector.
        recurrent_dropout: Float in `[0, 1)`, each cell's dropout on its
            previous state.
        cell_kwargs: Dict of further arguments of every recurrent layer.
        vocab_size: Number of token ids, padding included, for token
            inputs. Pass this or `input_dim`.
        embedding_dim: Width of the token embedding; default `units`.
        mask_zero: Whether token id 0 is padding (masked). Default `True`.
        input_dim: Number of features per step, for real-valued inputs.
            Pass this or `vocab_size`.
        mask_value: For feature inputs, the value that marks a padded step
            (all features equal to it), or `None`.
        sequence_length: Fixed number of steps, or `None` for any.
        pooling: `"last"`, `"mean"`, `"max"` or `"attention"`, over the
            unmasked steps (see `SequenceClassifier`). Default `"last"`.
        attention_units: Width of the attention scoring layer, for
            `pooling="attention"`.
        activation: Activation of the head, default `None` (linear).
        **kwargs: Arguments of `keras.Model` (`name`, `trainable`).

    Example:

    >>> model = SequenceRegressor(input_dim=3, units=8, cell="gru",
    ...                           output_dim=2)
    >>> model.compile()
    >>> model.predict(np.zeros((4, 10, 3), "float32"), verbose=0).shape
    (4, 2)
    """

    def __init__(
        self,
        output_dim: int = 1,
        cell: str = "lstm",
        units: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        residual: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        cell_kwargs: dict | None = None,
        vocab_size: int | None = None,
        embedding_dim: int | None = None,
        mask_zero: bool = True,
        input_dim: int | None = None,
        mask_value: float | None = None,
        sequence_length: int | None = None,
        pooling: str = "last",
        attention_units: int | None = None,
        activation: str | None = None,
        **kwargs,
    ):
        check_positive_integer("output_dim", output_dim)
        if activation is not None and not isinstance(activation, str):
            raise ValueError(
                "`activation` must be the name of an activation or None, "
                f"got activation={activation!r}"
            )
        # Raises a ValueError that names the argument for unknown names.
        keras.activations.get(activation)

        # === Functional model ===
        encoder_arguments = dict(
            cell=cell,
            units=units,
            num_layers=num_layers,
            bidirectional=bidirectional,
            residual=residual,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            cell_kwargs=cell_kwargs,
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            mask_zero=mask_zero,
            input_dim=input_dim,
            mask_value=mask_value,
            sequence_length=sequence_length,
        )
        inputs, sequence = recurrent_encoder(**encoder_arguments)
        pooled = get_pooling(
            pooling,
            bidirectional=bidirectional,
            attention_units=attention_units,
        )(sequence)
        if dropout > 0.0:
            pooled = keras.layers.Dropout(dropout, name="head_dropout")(pooled)
        outputs = keras.layers.Dense(
            output_dim, activation=activation, dtype="float32", name="values"
        )(pooled)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.remember_arguments(
            output_dim=output_dim,
            **encoder_arguments,
            pooling=pooling,
            attention_units=attention_units,
            activation=activation,
        )

    def default_loss(self):
        return keras.losses.MeanSquaredError()

    def default_metrics(self):
        return [keras.metrics.MeanAbsoluteError(name="mean_absolute_error")]
