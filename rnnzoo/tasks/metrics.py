"""Task metrics in the units of the literature.

* `MaskedAccuracy`: accuracy over the real tokens (id 0 is padding), for
  tagging and per-token accuracy of generators.
* `MaskedPerplexity`: `exp` of the mean token negative log-likelihood over
  the whole split, padding excluded (Mikolov et al.; Zaremba et al. 2014).
* `NegativeLogLikelihoodPerStep`: polyphonic music, the sum over the notes
  of the binary cross-entropies of one frame, averaged over the real steps,
  in nats (Boulanger-Lewandowski et al. 2012).
* `corpus_bleu`: corpus BLEU (0-100) with sacrebleu, for translation and
  captioning.

Each metric accumulates sums over batches, so its result is the corpus
value, not a mean of batch values.
"""

import keras
from keras import ops

PADDING_ID = 0


def _weights(y_true, sample_weight, padding_id):
    """float32 weights of the real tokens, times `sample_weight`."""
    weights = ops.cast(ops.not_equal(y_true, padding_id), "float32")
    if sample_weight is not None:
        weights = weights * ops.cast(sample_weight, "float32")
    return weights


class _SumRatio(keras.metrics.Metric):
    """A metric whose result is `total / count`, summed over batches."""

    def __init__(self, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", name="count"
        )

    def accumulate(self, values, weights):
        self.total.assign_add(ops.sum(values * weights))
        self.count.assign_add(ops.sum(weights))

    def ratio(self):
        return ops.divide_no_nan(self.total, self.count)

    def result(self):
        return self.ratio()


@keras.saving.register_keras_serializable(package="rnnzoo")
class MaskedAccuracy(_SumRatio):
    """Accuracy of per-token predictions over the real tokens only.

    Args:
        padding_id: The target id of padded steps, left out. Default 0.
        name: Metric name. Default `"accuracy"`.

    Call arguments:
        y_true: int `(batch, steps)` target ids.
        y_pred: `(batch, steps, classes)` probabilities or logits.
        sample_weight: Optional `(batch, steps)` weights.

    Example:

    >>> metric = MaskedAccuracy()
    >>> metric.update_state([[1, 2, 0]], [[[0, 1, 0], [0, 1, 0], [1, 0, 0]]])
    >>> float(metric.result())
    0.5
    """

    def __init__(self, padding_id: int = PADDING_ID, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.padding_id = padding_id

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        correct = ops.cast(ops.equal(predicted, y_true), "float32")
        self.accumulate(
            correct, _weights(y_true, sample_weight, self.padding_id)
        )

    def get_config(self):
        return {**super().get_config(), "padding_id": self.padding_id}


@keras.saving.register_keras_serializable(package="rnnzoo")
class MaskedPerplexity(_SumRatio):
    """Perplexity: `exp(sum of token NLL / number of real tokens)`.

    Args:
        from_logits: Whether `y_pred` holds logits rather than
            probabilities.
        padding_id: The target id of padded steps, left out. Default 0.
        name: Metric name. Default `"perplexity"`.

    Call arguments:
        y_true: int `(batch, steps)` target ids.
        y_pred: `(batch, steps, vocab_size)` probabilities (or logits).
        sample_weight: Optional `(batch, steps)` weights.

    Example:

    >>> metric = MaskedPerplexity()
    >>> metric.update_state([[1, 0]], [[[0.5, 0.5], [1.0, 0.0]]])
    >>> round(float(metric.result()), 4)
    2.0
    """

    def __init__(
        self,
        from_logits: bool = False,
        padding_id: int = PADDING_ID,
        name="perplexity",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.from_logits = from_logits
        self.padding_id = padding_id

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        token_nll = keras.losses.sparse_categorical_crossentropy(
            y_true, ops.cast(y_pred, "float32"), from_logits=self.from_logits
        )
        self.accumulate(
            token_nll, _weights(y_true, sample_weight, self.padding_id)
        )

    def result(self):
        return ops.exp(self.ratio())

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "padding_id": self.padding_id,
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class NegativeLogLikelihoodPerStep(_SumRatio):
    """Negative log-likelihood of multi-hot frames, per real time step.

    A frame's NLL is the sum over its notes of the binary cross-entropy of
    each note, `-(y log p + (1 - y) log(1 - p))`; the result is its mean
    over the real steps (weight 1), in nats.

    Args:
        from_logits: Whether `y_pred` holds logits rather than
            probabilities.
        epsilon: Probabilities are clipped to `[epsilon, 1 - epsilon]`.
        name: Metric name. Default `"nll_per_step"`.

    Call arguments:
        y_true: `(batch, steps, notes)` 0/1 frames.
        y_pred: `(batch, steps, notes)` probabilities (or logits).
        sample_weight: Optional `(batch, steps)`, 0 at padded steps.
    """

    def __init__(
        self,
        from_logits: bool = False,
        epsilon: float = 1e-7,
        name="nll_per_step",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.from_logits = from_logits
        self.epsilon = epsilon

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        if self.from_logits:
            log_on = ops.log_sigmoid(y_pred)
            log_off = ops.log_sigmoid(-y_pred)
        else:
            y_pred = ops.clip(y_pred, self.epsilon, 1.0 - self.epsilon)
            log_on, log_off = ops.log(y_pred), ops.log(1.0 - y_pred)
        frame_nll = -ops.sum(
            y_true * log_on + (1.0 - y_true) * log_off, axis=-1
        )
        if sample_weight is None:
            weights = ops.ones_like(frame_nll)
        else:
            weights = ops.cast(sample_weight, "float32")
        self.accumulate(frame_nll, weights)

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "epsilon": self.epsilon,
        }


def corpus_bleu(hypotheses, references) -> float:
    """Corpus BLEU (0-100) of detokenized strings, with sacrebleu.

    sacrebleu's `13a` tokenizer and lowercasing apply to both sides, so
    hypotheses made of lowercased, punctuation-split tokens compare fairly
    with raw reference sentences.

    Args:
        hypotheses: One string per example.
        references: One reference string per example (same order).

    Example:

    >>> round(corpus_bleu(["a dog runs ."], ["A dog runs."]), 6)
    100.0
    """
    import sacrebleu

    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references):
        raise ValueError(
            "One reference per hypothesis is needed, got "
            f"{len(hypotheses)} hypotheses and {len(references)} references"
        )
    return float(
        sacrebleu.corpus_bleu(hypotheses, [references], lowercase=True).score
    )


def exact_match(hypotheses, references) -> float:
    """Fraction of hypotheses equal to their reference, ignoring case and
    the spacing of words: the sentence-level metric of captions short
    enough to be wholly right (e.g. "seven one four").

    Args:
        hypotheses: One string per example.
        references: One reference string per example (same order).

    Example:

    >>> exact_match(["seven  one", "two"], ["Seven one", "three"])
    0.5
    """
    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references):
        raise ValueError(
            "One reference per hypothesis is needed, got "
            f"{len(hypotheses)} hypotheses and {len(references)} references"
        )
    if not hypotheses:
        return 0.0
    matches = sum(
        hypothesis.lower().split() == reference.lower().split()
        for hypothesis, reference in zip(hypotheses, references)
    )
    return matches / len(hypotheses)


def token_compile_arguments(model) -> dict:
    """The loss and metrics of a model that predicts a token per step
    (language models, decoders): per-token accuracy and perplexity over
    the real tokens."""
    from_logits = getattr(model, "activation", "auto") is None
    return {
        "loss": model.default_loss(),
        "metrics": [
            MaskedAccuracy(),
            MaskedPerplexity(from_logits=from_logits),
        ],
    }
