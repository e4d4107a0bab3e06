"""Saliency of the input tokens: first-derivative sensitivity of a
classifier's or tagger's score to each token (Li, Chen, Hovy & Jurafsky
2016, "Visualizing and understanding neural models in NLP")."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from rnnzoo.inspect._model_parts import find_embedding
from rnnzoo.inspect._model_parts import find_masking
from rnnzoo.inspect._model_parts import output_layer
from rnnzoo.inspect._model_parts import replaced_attribute
from rnnzoo.layers.keras_internals import get_keras_mask

METHODS = ("gradient_x_input", "gradient_norm")
_SQUASHING = ("softmax", "sigmoid")


class _CapturedEmbedding:
    """Stands in for an Embedding's `call`: the output is watched by the
    tape, so gradients reach it although token ids are not
    differentiable."""

    def __init__(self, embedding, tape):
        self.call = embedding.call
        self.embedding = embedding
        self.tape = tape
        self.outputs = None

    def __call__(self, *args, **kwargs):
        outputs = self.call(*args, **kwargs)
        if self.outputs is not None:
            raise ValueError(
                f"Embedding '{self.embedding.name}' ran more than once in "
                "one forward pass; pass the one to probe as `embedding=`"
            )
        self.tape.watch(outputs)
        self.outputs = outputs
        if self.embedding.mask_zero:
            ids = args[0] if args else kwargs["inputs"]
            self.mask = self.embedding.compute_mask(ids)
        else:
            self.mask = None
        return outputs


def _logit_swap(model, use_logits):
    """`(layer, linear)` to swap for the model's squashing output
    activation, or `None`."""
    if not use_logits:
        return None
    layer = output_layer(model)
    activation = getattr(layer, "activation", None)
    if activation is None or getattr(activation, "__name__", "") not in (
        _SQUASHING
    ):
        return None
    return layer, keras.activations.linear


def _check_target(target, shape):
    """Returns per-example (or per-step) class ids, `shape` int array."""
    if target is None:
        return None
    target = np.asarray(target)
    if target.dtype.kind not in "iu" or (target.ndim and target.shape != shape):
        raise ValueError(
            "`target` must be None, a class id, or integer class ids of "
            f"shape {shape}, got target={target!r}"
        )
    return np.broadcast_to(target, shape)


def _scores(outputs, target, output_mask):
    """The score whose gradient is taken: `(batch,)` for a classifier,
    `(batch, steps)` for a tagger."""
    rank = len(outputs.shape)
    if rank not in (2, 3):
        raise ValueError(
            "`saliency` needs a classifier output `(batch, classes)` or a "
            "tagger output `(batch, steps, tags)`, got an output of shape "
            f"{tuple(outputs.shape)}"
        )
    classes = int(outputs.shape[-1])
    target = _check_target(target, tuple(outputs.shape[:-1]))
    if classes == 1:
        sign = 1.0 if target is None else np.where(target == 0, -1.0, 1.0)
        return outputs[..., 0] * ops.cast(sign, outputs.dtype)
    if target is None:
        target = ops.argmax(outputs, axis=-1)
    one_hot = ops.one_hot(target, classes, dtype=outputs.dtype)
    scores = ops.sum(outputs * one_hot, axis=-1)
    if rank == 3 and output_mask is not None:
        scores = scores * ops.cast(output_mask, scores.dtype)
    return scores


def _select_steps(scores, step):
    """Per-example scores `(batch,)`, or `(batch, steps)` for `"all"`."""
    if len(scores.shape) == 1:
        if step is not None:
            raise ValueError(
                "`step` applies to taggers (per-step outputs); the model "
                f"has one output per sequence, got step={step!r}"
            )
        return scores
    steps = int(scores.shape[1])
    if step is None:
        return ops.sum(scores, axis=1)
    if step == "all":
        return scores
    if (
        isinstance(step, bool)
        or not isinstance(step, int)
        or not -steps <= step < steps
    ):
        raise ValueError(
            f"`step` must be None, 'all' or an output step in [0, {steps}), "
            f"got step={step!r}"
        )
    return scores[:, step]


def _reduce(gradients, features, method):
    if method == "gradient_x_input":
        return ops.sum(gradients * features, axis=-1)
    return ops.sqrt(ops.sum(ops.square(gradients), axis=-1))


def saliency(
    model: keras.Model,
    inputs,
    target=None,
    *,
    method: str = "gradient_x_input",
    step: int | str | None = None,
    embedding=None,
    use_logits: bool = True,
) -> np.ndarray:
    """Per-token saliency of a classifier or a tagger.

    The gradient `g_t = ∂S/∂e_t` of a score `S` with respect to the input
    of each step, for token models the EMBEDDING `e_t` of token `t`
    (token ids are not differentiable): the model's
    `keras.layers.Embedding` (the first found depth first, or `embedding`)
    is watched while the model runs in inference mode. For models on
    real-valued features the input itself is `e_t`. Then:

    * `method="gradient_x_input"` (default): `Σ_d g_{t,d} e_{t,d}`, signed:
      positive where the token pushes the score up.
    * `method="gradient_norm"`: `‖g_t‖₂`, Li et al.'s first-derivative
      saliency, non-negative.

    Masked steps (padding: id 0 with `mask_zero=True`, or the
    `keras.layers.Masking` value) score 0.

    The score `S`, per example: the output for `target`, by default the
    predicted class (one-unit outputs: the unit, i.e. the positive class;
    `target=0` negates it). With `use_logits=True` (default) and a final
    layer with a softmax or sigmoid activation, `S` is the logit before
    it, which does not saturate. For a tagger, `S` is per output step:
    `step=None` sums the scores of all unmasked output steps, `step=i`
    takes output step `i` alone, and `step="all"` returns one saliency map
    per output step.

    Args:
        model: A `keras.Model` such as `SequenceClassifier` or
            `SequenceTagger` (its first output is used).
        inputs: The batch: token ids `(batch, T)` or features
            `(batch, T, features)`, or anything the model takes.
        target: `None`, a class id for every example, or class ids
            `(batch,)` (taggers: `(batch, steps)`).
        method: `"gradient_x_input"` or `"gradient_norm"`.
        step: For taggers, `None`, an output step or `"all"`.
        embedding: The embedding layer to probe, an instance or a name.
        use_logits: Whether to score logits instead of probabilities.

    Returns:
        NumPy `(batch, T)` scores, or `(batch, steps, T)` with
        `step="all"`.

    Raises:
        NotImplementedError: The backend is not TensorFlow (the gradients
            come from `tf.GradientTape`).

    Example:

    >>> model = SequenceClassifier(num_classes=2, vocab_size=10, units=4)
    >>> saliency(model, np.array([[3, 7, 2, 0]])).shape
    (1, 4)
    """
    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError(
            "saliency differentiates with tf.GradientTape and needs the "
            f"TensorFlow backend; the backend is {keras.backend.backend()}"
        )
    if method not in METHODS:
        raise ValueError(
            f"`method` must be one of {list(METHODS)}, got method={method!r}"
        )
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model, got model={model!r}")
    layer = find_embedding(model, embedding)
    swap = _logit_swap(model, use_logits)
    with tf.GradientTape(persistent=step == "all") as tape:
        if layer is None:
            features = tf.convert_to_tensor(inputs)
            if not features.dtype.is_floating or len(features.shape) != 3:
                raise ValueError(
                    "A model without an Embedding needs float `inputs` "
                    "(batch, T, features), got inputs of dtype "
                    f"{features.dtype.name} and shape {tuple(features.shape)}"
                )
            tape.watch(features)
            outputs = _run(model, features, swap)
            masking = find_masking(model)
            input_mask = None
            if masking is not None:
                input_mask = ops.any(
                    ops.not_equal(features, masking.mask_value), axis=-1
                )
        else:
            capture = _CapturedEmbedding(layer, tape)
            with replaced_attribute(layer, "call", capture):
                outputs = _run(model, inputs, swap)
            if capture.outputs is None:
                raise ValueError(
                    f"Embedding '{layer.name}' did not run when the model "
                    "was called on `inputs`"
                )
            features, input_mask = capture.outputs, capture.mask
        outputs = keras.tree.flatten(outputs)[0]
        output_mask = get_keras_mask(outputs)
        if output_mask is None and len(outputs.shape) == 3:
            output_mask = input_mask
        scores = _select_steps(_scores(outputs, target, output_mask), step)
        if len(scores.shape) == 1:
            objectives = [ops.sum(scores)]
        else:
            objectives = [
                ops.sum(scores[:, i]) for i in range(int(scores.shape[1]))
            ]
    maps = [
        _map(tape, objective, features, input_mask, method)
        for objective in objectives
    ]
    del tape
    if len(scores.shape) == 1:
        return maps[0]
    return np.stack(maps, axis=1)


def _run(model, inputs, swap):
    if swap is None:
        return model(inputs, training=False)
    layer, linear = swap
    with replaced_attribute(layer, "activation", linear):
        return model(inputs, training=False)


def _map(tape, objective, features, mask, method):
    gradients = tape.gradient(
        objective,
        features,
        unconnected_gradients=tf.UnconnectedGradients.ZERO,
    )
    values = ops.convert_to_numpy(
        _reduce(gradients, ops.cast(features, gradients.dtype), method)
    ).astype("float64")
    if mask is not None:
        values = np.where(ops.convert_to_numpy(mask), values, 0.0)
    return values
