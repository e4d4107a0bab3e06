"""Many-to-one regression: real-valued targets per sequence (forecasting,
sequence scoring)."""

import keras

from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.pooling import pool_backbone
from rnnzoo.models.task_backbone import takes_backbone
from rnnzoo.models.task_backbone import task_backbone
from rnnzoo.validation import check_positive_int


@keras.saving.register_keras_serializable(package="rnnzoo")
@takes_backbone()
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
        backbone: A `RecurrentBackbone` to share (e.g. a pretrained
            one's), or `None` (default) for a new one built from the
            backbone arguments in `**kwargs`.
        pooling: `"last"`, `"mean"`, `"max"` or `"attention"`, over the
            unmasked steps (see `SequenceClassifier`). Default `"last"`.
        attention_units: Width of the attention scoring layer, for
            `pooling="attention"`.
        activation: Activation of the head, default `None` (linear).
        **kwargs: Without `backbone`, the arguments of a new one, e.g.
            `cell`, `units`, `input_dim` or `vocab_size` (see
            `RecurrentBackbone`; its `dropout` also drops the pooled
            vector); and arguments of `keras.Model` (`name`, `trainable`).

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
        backbone: RecurrentBackbone | None = None,
        pooling: str = "last",
        attention_units: int | None = None,
        activation: str | None = None,
        **kwargs,
    ):
        check_positive_int("output_dim", output_dim)
        if activation is not None and not isinstance(activation, str):
            raise ValueError(
                "`activation` must be the name of an activation or None, "
                f"got activation={activation!r}"
            )
        # Raises a ValueError that names the argument for unknown names.
        keras.activations.get(activation)

        backbone, backbone_arguments = task_backbone(
            type(self), backbone, kwargs
        )

        # === Functional model ===
        pooled = pool_backbone(backbone, pooling, attention_units)
        outputs = keras.layers.Dense(
            output_dim, activation=activation, dtype="float32", name="values"
        )(pooled)
        super().__init__(inputs=backbone.input, outputs=outputs, **kwargs)
        self.backbone = backbone

        # === Config ===
        self.remember_arguments(
            output_dim=output_dim,
            **backbone_arguments,
            pooling=pooling,
            attention_units=attention_units,
            activation=activation,
        )

    def default_loss(self):
        return keras.losses.MeanSquaredError()

    def default_metrics(self):
        return [keras.metrics.MeanAbsoluteError(name="mean_absolute_error")]
