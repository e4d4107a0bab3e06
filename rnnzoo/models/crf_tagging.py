"""What a tagger with a CRF (`SequenceTagger(crf=True)`) trains and
predicts with: the CRF negative log-likelihood per real token, its
Viterbi tags for Keras's metrics, and the per-step tag ids of any
tagger (`TagDecoding`, the tagger's training and decoding hooks)."""

import keras
import numpy as np
from keras import ops

from rnnzoo.layers.crf_layer import CRF
from rnnzoo.layers.keras_internals import get_keras_mask
from rnnzoo.layers.keras_internals import set_keras_mask


class _SentenceShares(keras.losses.Loss):
    """`sum(values * weights) / sum(weights)`, through Keras's reduction,
    so that the loss is scaled across `tf.distribute` replicas as Keras's
    own losses are."""

    def __init__(self):
        super().__init__(reduction="mean_with_sample_weight", name="crf")

    def call(self, y_true, y_pred):
        return y_pred


_SENTENCE_SHARES = _SentenceShares()


def real_steps(potentials, sample_weight=None):
    """The boolean `(batch, steps)` mask of the steps a CRF reads: those
    Keras's mask (from `mask_zero` / `mask_value`) keeps, less those a
    `(batch, steps)` `sample_weight` gives weight 0; `None` when every step
    is real."""
    mask = get_keras_mask(potentials)
    if sample_weight is not None and len(sample_weight.shape) == 2:
        weighted = ops.not_equal(ops.cast(sample_weight, "float32"), 0.0)
        mask = weighted if mask is None else ops.logical_and(mask, weighted)
    return mask


def crf_loss(crf, potentials, tags, sample_weight=None):
    """The CRF's negative log-likelihood of the gold `tags`, per real token.

    Each sentence's negative log-likelihood is shared out evenly over its
    real steps, and the shares are averaged over the batch's real steps as
    Keras averages a masked per-token loss: with every transition 0, the
    loss equals the softmax tagger's cross-entropy.

    Args:
        crf: The `rnnzoo.layers.CRF` layer.
        potentials: `(batch, steps, num_tags)`, Keras's mask on it.
        tags: int `(batch, steps)` gold tags.
        sample_weight: Optional `(batch,)` weight of each sentence, or
            `(batch, steps)` weight of each step (0 marks padding).

    Returns:
        The scalar loss.
    """
    mask = real_steps(potentials, sample_weight)
    log_likelihood = crf.log_likelihood(potentials, tags, mask)
    if mask is None:
        mask = ops.ones_like(potentials[..., 0], dtype="bool")
    step_weights = ops.cast(mask, "float32")
    if sample_weight is not None:
        weights = ops.cast(sample_weight, "float32")
        if len(weights.shape) == 1:
            weights = weights[:, None]
        step_weights = step_weights * weights
    lengths = ops.sum(ops.cast(mask, "float32"), axis=1)
    shares = ops.divide_no_nan(-ops.cast(log_likelihood, "float32"), lengths)
    return _SENTENCE_SHARES(
        shares, shares, sample_weight=ops.sum(step_weights, axis=1)
    )


def viterbi_one_hot(crf, potentials, sample_weight=None):
    """The CRF's Viterbi tags as one-hot `(batch, steps, num_tags)` scores
    with the potentials' mask, so that the tagger's accuracy metrics
    (which take the argmax) score the Viterbi path."""
    mask = real_steps(potentials, sample_weight)
    tags, _ = crf.decode(potentials, mask)
    one_hot = ops.one_hot(tags, potentials.shape[-1], dtype="float32")
    if mask is not None:
        set_keras_mask(one_hot, mask)
    return one_hot


class TagIds(keras.layers.Layer):
    """Per-step tag ids from a tagger's scores: the Viterbi path of `crf`,
    or, without one, the highest-scoring tag; 0 at padded steps.

    Not serialized: a tagger builds it for `predict_tags`, on its own
    layers.

    Args:
        crf: The tagger's `rnnzoo.layers.CRF` layer, or `None`.

    Call arguments:
        scores: `(batch, steps, num_tags)` potentials or probabilities.
        mask: Optional boolean `(batch, steps)`, false at padded steps.
    """

    def __init__(self, crf=None, **kwargs):
        super().__init__(**kwargs)
        self.crf = crf
        self.supports_masking = True

    def compute_mask(self, scores, mask=None):
        # Padded steps are tag 0: the ids need no mask.
        return None

    def call(self, scores, mask=None):
        if self.crf is not None:
            return self.crf.decode(scores, mask)[0]
        tags = ops.cast(ops.argmax(scores, axis=-1), "int32")
        return tags if mask is None else ops.where(mask, tags, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])


class TagDecoding:
    """The hooks of `SequenceTagger` that depend on its decoding: with
    `crf=True` it trains on `crf_loss`, its metrics score the Viterbi path
    (`viterbi_one_hot`), and its tags are the Viterbi path; without, Keras's
    defaults and the most likely tag of each step.

    A mixin of `keras.Model` subclasses with a `crf` attribute, a `"tags"`
    layer (the per-step scores) and, with `crf`, a `"crf"` layer.
    """

    @property
    def crf_layer(self) -> CRF | None:
        """The `CRF` layer of a tagger with `crf=True`, else `None`."""
        return self.get_layer("crf") if self.crf else None

    def predict_tags(self, x, batch_size=None) -> np.ndarray:
        """The tag id of every step: the Viterbi path with a CRF, else the
        most likely tag; 0 at padded steps.

        Args:
            x: The model's inputs (token ids, or the dict of inputs of a
                tagger with character features), or raw inputs for a
                tagger with a `preprocessor`.
            batch_size: Sequences per batch; default Keras's.

        Returns:
            int32 `(batch, steps)` tag ids.
        """
        # A view of the tagger's own layers, kept out of Keras's tracking
        # so that it is neither saved nor counted among the layers.
        tag_ids_model = self.__dict__.get("_tag_ids_model")
        if tag_ids_model is None:
            scores = self.get_layer("crf" if self.crf else "tags").output
            tag_ids_model = keras.Model(
                self.input, TagIds(self.crf_layer, name="tag_ids")(scores)
            )
            object.__setattr__(self, "_tag_ids_model", tag_ids_model)
        tag_ids = tag_ids_model.predict(
            self.model_inputs(x, "predict_tags"),
            batch_size=batch_size,
            verbose=0,
        )
        return np.asarray(tag_ids, dtype="int32")

    def compile(
        self, optimizer="adam", loss="auto", metrics="auto", **kwargs
    ) -> None:
        """As `RecurrentModel.compile`; a tagger with a CRF trains its tags
        on the CRF negative log-likelihood, so its `loss` is `"auto"`
        (`None`), or with language modelling heads a dict of losses for the
        heads only."""
        own_loss = loss is None or (isinstance(loss, str) and loss == "auto")
        if self.crf and not own_loss:
            if not isinstance(loss, dict) or "tags" in loss:
                raise ValueError(
                    "A tagger with `crf=True` trains its tags on the CRF "
                    "negative log-likelihood: expected loss='auto' (or, "
                    "with language_model_heads, a dict of losses for the "
                    f"heads only), got loss={loss!r}"
                )
        super().compile(
            optimizer=optimizer, loss=loss, metrics=metrics, **kwargs
        )

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if not self.crf:
            return super().compute_loss(
                x, y, y_pred, sample_weight, training=training
            )
        loss = crf_loss(
            self.crf_layer,
            tags_entry(y_pred),
            tags_entry(y),
            tags_entry(sample_weight),
        )
        # The heads' losses and any regularization, as Keras adds them.
        if getattr(self, "loss", None) is not None or self.losses:
            loss = loss + super().compute_loss(
                x, y, y_pred, sample_weight, training=training
            )
        return loss

    def compute_loss_and_updates(
        self,
        trainable_variables,
        non_trainable_variables,
        metrics_variables,
        x,
        y,
        sample_weight,
        training=False,
        optimizer_variables=None,
    ):
        # JAX's trainer only: it calls `compute_metrics` with the model's
        # variables out of scope, so the CRF's transitions can only be read
        # here; the Viterbi path rides out with the predictions.
        loss, (unscaled_loss, y_pred, non_trainable, metrics) = (
            super().compute_loss_and_updates(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x,
                y,
                sample_weight,
                training=training,
                optimizer_variables=optimizer_variables,
            )
        )
        if self.crf:
            mapping = list(
                zip(self.trainable_variables, trainable_variables)
            ) + list(zip(self.non_trainable_variables, non_trainable))
            with keras.StatelessScope(state_mapping=mapping):
                tags = viterbi_one_hot(
                    self.crf_layer,
                    tags_entry(y_pred),
                    tags_entry(sample_weight),
                )
            y_pred = (
                {**y_pred, "tags": tags} if isinstance(y_pred, dict) else tags
            )
            # Read (and cleared) by the `compute_metrics` call that follows.
            object.__setattr__(self, "_viterbi_decoded", True)
        return loss, (unscaled_loss, y_pred, non_trainable, metrics)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if self.crf:
            tags = tags_entry(y_pred)
            if not self.__dict__.pop("_viterbi_decoded", False):
                tags = viterbi_one_hot(
                    self.crf_layer, tags, tags_entry(sample_weight)
                )
            if isinstance(y_pred, dict):
                y_pred = {**y_pred, "tags": tags}
            else:
                y_pred = tags
        return super().compute_metrics(x, y, y_pred, sample_weight)


def tags_entry(structure):
    """The tags' entry of a tagger's outputs, targets or weights (a dict
    with language modelling heads)."""
    return structure["tags"] if isinstance(structure, dict) else structure


def without_tags(per_output):
    """A dict of per-output values less the tags', or `None`."""
    if not isinstance(per_output, dict):
        return None
    return {key: value for key, value in per_output.items() if key != "tags"}
