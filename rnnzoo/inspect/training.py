"""The global gradient norm at every training step: exploding gradients,
and what clipping does to them."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from rnnzoo.inspect._model_parts import batch_size_of
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_positive_number


@dataclasses.dataclass
class GradientNormHistory:
    """What `training_gradient_norms` recorded, one entry per step.

    Attributes:
        gradient_norms: `(steps,)`, the global norm of the gradients of all
            trainable weights, `sqrt(Σ ‖g_i‖²)`, before clipping.
        clipped_gradient_norms: `(steps,)`, the global norm of the
            gradients the optimizer applied, after clipping.
        losses: `(steps,)`, the training loss of each step's batch.
        global_clipnorm: The clipping threshold, or `None`.
    """

    gradient_norms: np.ndarray
    clipped_gradient_norms: np.ndarray
    losses: np.ndarray
    global_clipnorm: float | None

    @property
    def num_steps(self) -> int:
        """The number of recorded steps."""
        return int(self.gradient_norms.shape[0])


def _global_norm(tensors):
    squares = [ops.sum(ops.square(ops.cast(t, "float32"))) for t in tensors]
    return ops.sqrt(ops.sum(ops.stack(squares)))


def _resolve_clipnorm(optimizer, global_clipnorm):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        raise ValueError(
            "`training_gradient_norms` needs the gradients unscaled; got a "
            "LossScaleOptimizer (mixed precision), use a float32 model"
        )
    if optimizer.clipnorm is not None or optimizer.clipvalue is not None:
        raise ValueError(
            "`training_gradient_norms` records the global norm of the "
            "gradients the optimizer applies, so the optimizer may only clip "
            "by global norm (pass `global_clipnorm` here); got an optimizer "
            f"with clipnorm={optimizer.clipnorm!r} and "
            f"clipvalue={optimizer.clipvalue!r}"
        )
    own = optimizer.global_clipnorm
    if global_clipnorm is None:
        return own
    check_positive_number("global_clipnorm", global_clipnorm, allow_none=True)
    if own is not None and own != global_clipnorm:
        raise ValueError(
            f"The model's optimizer already clips at global_clipnorm={own!r}; "
            f"got a different global_clipnorm={global_clipnorm!r}"
        )
    return float(global_clipnorm)


def _training_step(model, clipnorm):
    """One compiled training step that returns `(loss, norm, clipped)`."""
    optimizer = model.optimizer

    @tf.function(reduce_retracing=True)
    def step(inputs, targets, sample_weight):
        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            predictions = model(inputs, training=True)
            loss = model.compute_loss(
                x=inputs,
                y=targets,
                y_pred=predictions,
                sample_weight=sample_weight,
                training=True,
            )
        gradients = tape.gradient(loss, variables)
        present = [
            (g, v) for g, v in zip(gradients, variables) if g is not None
        ]
        gradients = [g for g, _ in present]
        norm = _global_norm(gradients)
        if clipnorm is not None:
            scale = clipnorm / ops.maximum(norm, clipnorm)
            gradients = [g * ops.cast(scale, g.dtype) for g in gradients]
        optimizer.apply(gradients, [v for _, v in present])
        return loss, norm, _global_norm(gradients)

    return step


def _take(arrays, index):
    return keras.tree.map_structure(lambda a: np.asarray(a)[index], arrays)


def _batches(x, y, batch_size, epochs, shuffle, seed):
    """Yields `(inputs, targets, sample_weight)` batches."""
    if isinstance(x, tf.data.Dataset):
        for _ in range(epochs):
            for batch in x:
                if not isinstance(batch, (tuple, list)) or len(batch) not in (
                    2,
                    3,
                ):
                    raise ValueError(
                        "A dataset `x` must yield `(inputs, targets)` or "
                        "`(inputs, targets, sample_weight)` tuples, got an "
                        f"element {batch!r}"
                    )
                yield (
                    batch[0],
                    batch[1],
                    (batch[2] if len(batch) == 3 else None),
                )
        return
    if y is None:
        raise ValueError("`y` is required when `x` holds arrays, got y=None")
    count = batch_size_of(x)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(count) if shuffle else np.arange(count)
        for start in range(0, count, batch_size):
            index = order[start : start + batch_size]
            yield _take(x, index), _take(y, index), None


def training_gradient_norms(
    model: keras.Model,
    x,
    y=None,
    *,
    batch_size: int = 32,
    epochs: int = 1,
    steps: int | None = None,
    global_clipnorm: float | None = None,
    shuffle: bool = True,
    seed: int | None = None,
) -> GradientNormHistory:
    """Trains a compiled model and records the global gradient norm of
    every step, before and after clipping.

    Each step runs what `fit()` runs (the model in training mode, its
    compiled loss, its optimizer) in a compiled step of its own that can
    see the gradients: the global norm `‖g‖ = sqrt(Σ_i ‖g_i‖²)` over all
    trainable weights is recorded, the gradients are clipped by global norm
    (`g · c / max(‖g‖, c)`, as `global_clipnorm=c` of a Keras optimizer),
    and the optimizer applies them. Spikes of the first norm are exploding
    gradients (Pascanu et al. 2013); the second shows what clipping let
    through.

    Args:
        model: A compiled `keras.Model`; its weights are updated.
        x: Input arrays (or a dict of them), or a `tf.data.Dataset` of
            `(inputs, targets)` or `(inputs, targets, sample_weight)`
            batches.
        y: Target arrays, when `x` holds arrays.
        batch_size: Batch size for arrays. Default 32.
        epochs: Passes over the data. Default 1.
        steps: Stop after this many steps; default all of `epochs`.
        global_clipnorm: Clipping threshold `c`; default the optimizer's
            own `global_clipnorm` (`None`: no clipping), which then clips
            nothing more. The optimizer may not clip per weight
            (`clipnorm`, `clipvalue`).
        shuffle: Whether to shuffle arrays (not a dataset) every epoch.
            Default `True`.
        seed: Seed of the shuffling.

    Returns:
        A `GradientNormHistory` with `gradient_norms`,
        `clipped_gradient_norms` and `losses`, NumPy arrays.

    Example:

    >>> model = SequenceRegressor(input_dim=1, units=4, cell="simple")
    >>> model.compile(optimizer="sgd")
    >>> x = np.random.random((32, 10, 1)).astype("float32")
    >>> history = training_gradient_norms(
    ...     model, x, x[:, -1], batch_size=16, global_clipnorm=1.0)
    >>> bool(np.all(history.clipped_gradient_norms <= 1.0 + 1e-5))
    True
    """
    if not isinstance(model, keras.Model) or not model.compiled:
        raise ValueError(
            "`model` must be a compiled keras.Model (its loss and optimizer "
            f"are used), got model={model!r}"
        )
    batch_size = check_positive_int("batch_size", batch_size)
    epochs = check_positive_int("epochs", epochs)
    steps = check_positive_int("steps", steps, allow_none=True)
    optimizer = model.optimizer
    clipnorm = _resolve_clipnorm(optimizer, global_clipnorm)

    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    step = _training_step(model, clipnorm)
    norms, clipped_norms, losses = [], [], []
    batches = _batches(x, y, batch_size, epochs, shuffle, seed)
    for inputs, targets, sample_weight in batches:
        if steps is not None and len(norms) >= steps:
            break
        loss, norm, clipped_norm = step(inputs, targets, sample_weight)
        norms.append(float(norm))
        clipped_norms.append(float(clipped_norm))
        losses.append(float(loss))
    return GradientNormHistory(
        gradient_norms=np.asarray(norms),
        clipped_gradient_norms=np.asarray(clipped_norms),
        losses=np.asarray(losses),
        global_clipnorm=clipnorm,
    )
