"""Many-to-one classification: one label per sequence (sentiment, topic,
time-series classification)."""

import keras
import numpy as np

from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.pooling import pool_backbone
from rnnzoo.models.task_backbone import takes_backbone
from rnnzoo.models.task_backbone import task_backbone
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int

ACTIVATIONS = ("auto", "softmax", "sigmoid", None)


@keras.saving.register_keras_serializable(package="rnnzoo")
@takes_backbone()
class SequenceClassifier(RecurrentModel):
    """A recurrent classifier: one label per sequence.

    The sequence (token ids or real-valued features) runs through a stack
    of recurrent layers of any registered cell; the output sequence is
    pooled over its unmasked steps into one vector, which a dense layer
    maps to class probabilities:

    ```
    inputs -> embedding (tokens) -> RecurrentStack -> pooling -> dropout
           -> Dense(predictions)
    ```

    Outputs, by `activation` and `num_classes`:

    * `"auto"` (default): one sigmoid unit for `num_classes=1`, else a
      softmax over `num_classes`.
    * `"softmax"`: a softmax over `num_classes >= 2`; labels are class ids.
    * `"sigmoid"`: one sigmoid unit for `num_classes` 1 or 2 (binary labels
      0/1); `num_classes` independent sigmoids above that (multi-label,
      labels are 0/1 vectors).
    * `None`: logits, one for `num_classes=1` else `num_classes`.

    `compile()` defaults to the matching loss (binary or sparse categorical
    cross-entropy, `from_logits` for `activation=None`) and accuracy metric,
    named `"accuracy"`.

    Args:
        num_classes: Positive integer, the number of classes.
        backbone: A `RecurrentBackbone` to share (e.g. a pretrained
            one's), or `None` (default) for a new one built from the
            backbone arguments in `**kwargs`.
        pooling: How the output sequence becomes one vector: `"last"` (the
            final output of each direction: the forward direction's last
            unmasked step, the backward direction's first), `"mean"`,
            `"max"` or `"attention"` (additive attention pooling), all over
            the unmasked steps only. Default `"last"`.
        attention_units: Width of the attention scoring layer, for
            `pooling="attention"`; default the pooled width.
        activation: `"auto"`, `"softmax"`, `"sigmoid"` or `None`, see above.
        **kwargs: Without `backbone`, the arguments of a new one, e.g.
            `cell`, `units`, `bidirectional`, `vocab_size` or `input_dim`
            (see `RecurrentBackbone`; its `dropout` also drops the pooled
            vector); and arguments of `keras.Model` (`name`, `trainable`).

    Example:

    >>> model = SequenceClassifier(num_classes=3, vocab_size=100, units=8,
    ...                            cell="mgu", bidirectional=True,
    ...                            pooling="attention")
    >>> model.compile()
    >>> model.predict(np.array([[5, 7, 9, 0, 0]]), verbose=0).shape
    (1, 3)

    The IRNN of Le et al. (2015), a ReLU Elman RNN whose recurrent weights
    start at the identity, is one line:

    >>> irnn = SequenceClassifier(
    ...     num_classes=10, input_dim=1, units=16, cell="simple",
    ...     cell_kwargs={"activation": "relu",
    ...                  "recurrent_initializer": "identity"})
    """

    def __init__(
        self,
        num_classes: int,
        backbone: RecurrentBackbone | None = None,
        pooling: str = "last",
        attention_units: int | None = None,
        activation: str | None = "auto",
        **kwargs,
    ):
        check_positive_int("num_classes", num_classes)
        check_choice("activation", activation, ACTIVATIONS)
        if activation == "auto":
            resolved = "sigmoid" if num_classes == 1 else "softmax"
        else:
            resolved = activation
        if resolved == "softmax" and num_classes < 2:
            raise ValueError(
                'activation="softmax" needs `num_classes` >= 2; use '
                '"sigmoid" (or "auto") for one class, got '
                f"num_classes={num_classes!r}"
            )
        if num_classes == 1 or (resolved == "sigmoid" and num_classes == 2):
            output_units = 1
        else:
            output_units = num_classes

        backbone, backbone_arguments = task_backbone(
            type(self), backbone, kwargs
        )

        # === Functional model ===
        pooled = pool_backbone(backbone, pooling, attention_units)
        outputs = keras.layers.Dense(
            output_units,
            activation=resolved,
            dtype="float32",
            name="predictions",
        )(pooled)
        super().__init__(inputs=backbone.input, outputs=outputs, **kwargs)
        self.backbone = backbone

        # === Config ===
        self.remember_arguments(
            num_classes=num_classes,
            **backbone_arguments,
            pooling=pooling,
            attention_units=attention_units,
            activation=activation,
        )
        self.output_activation = resolved
        self.output_units = output_units

    def predict_labels(self, x, batch_size=None) -> list:
        """The predicted label of each input.

        Args:
            x: What `predict` takes: raw texts (with a preprocessor) or the
                model's tensors.
            batch_size: Inputs per batch; default Keras's.

        Returns:
            One label per input: its name where the preprocessor has label
            names, else its class id; for multi-label sigmoid outputs, the
            list of labels above probability 0.5.
        """
        return self.labels_of(self.predict(x, batch_size=batch_size, verbose=0))

    def labels_of(self, outputs) -> list:
        """The labels of a batch of the model's outputs (see
        `predict_labels`)."""
        outputs = np.asarray(outputs)
        threshold = 0.0 if self.output_activation is None else 0.5
        name = (
            self.preprocessor.label_name
            if self.preprocessor is not None
            else int
        )
        if self.output_units == 1:
            return [name(int(p > threshold)) for p in outputs[:, 0]]
        if self.output_activation == "sigmoid":
            return [
                [name(int(i)) for i in np.flatnonzero(row > threshold)]
                for row in outputs
            ]
        return [name(int(i)) for i in outputs.argmax(axis=-1)]

    def default_loss(self):
        from_logits = self.output_activation is None
        if self.output_units == 1 or self.output_activation == "sigmoid":
            return keras.losses.BinaryCrossentropy(from_logits=from_logits)
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=from_logits
        )

    def default_metrics(self):
        if self.output_units == 1 or self.output_activation == "sigmoid":
            threshold = 0.0 if self.output_activation is None else 0.5
            return [
                keras.metrics.BinaryAccuracy(
                    threshold=threshold, name="accuracy"
                )
            ]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
