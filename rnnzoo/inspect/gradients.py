"""Gradient flow through time: how much of the loss's gradient reaches each
step of a recurrent layer (backpropagation through time), and the per-step
Jacobians that shrink or grow it."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from rnnzoo.inspect._model_parts import check_output_is_first_state
from rnnzoo.inspect._model_parts import find_recurrent_layer
from rnnzoo.inspect._model_parts import replaced_attribute
from rnnzoo.validation import check_choice

STATES = ("full", "hidden")
JACOBIAN_NORMS = ("spectral", "frobenius", None)

# Jacobian entries held in memory at once: steps are batched into chunks.
_JACOBIAN_CHUNK_ENTRIES = 1 << 22


@dataclasses.dataclass
class GradientFlow:
    """What `gradient_flow` measured on one recurrent layer.

    Steps are counted in the order the layer processes them: step `t` of a
    `go_backwards` layer (the backward half of a `Bidirectional`) reads
    input position `T - 1 - t`. Batch averages leave out the examples whose
    step `t` is masked (NaN where all are, which plots leave out).

    Attributes:
        step_gradient_norms: `(T,)`, `‖∂L/∂s_t‖` averaged over the batch.
        jacobian_norms: `(T - 1,)`, `‖∂s_t/∂s_{t-1}‖` for `t = 1..T-1`,
            averaged over the batch; `None` with `jacobian_norm=None`.
        per_example_gradient_norms: `(batch, T)`.
        per_example_jacobian_norms: `(batch, T - 1)` or `None`.
        mask: Boolean `(batch, T)` of the steps that were read, or `None`.
        loss: The objective `L`, a float (see `gradient_flow`).
        layer_name: Name of the probed layer.
        state: `"full"` or `"hidden"`, what `s_t` is.
        jacobian_norm: `"spectral"`, `"frobenius"` or `None`.
    """

    step_gradient_norms: np.ndarray
    jacobian_norms: np.ndarray | None
    per_example_gradient_norms: np.ndarray
    per_example_jacobian_norms: np.ndarray | None
    mask: np.ndarray | None
    loss: float
    layer_name: str
    state: str
    jacobian_norm: str | None

    @property
    def num_steps(self) -> int:
        """The number of steps `T`."""
        return int(self.step_gradient_norms.shape[0])


class _ProbedLoop:
    """Replaces a `keras.layers.RNN`'s `inner_loop` by a Python loop over
    the cell whose states the gradient tape sees, step by step."""

    def __init__(self, layer, tape, state):
        self.layer = layer
        self.tape = tape
        self.state = state
        self.calls = 0

    def __call__(self, sequences, initial_state, mask, training=False):
        self.calls += 1
        if self.calls > 1:
            raise ValueError(
                f"Layer '{self.layer.name}' ran more than once in one forward "
                "pass; `gradient_flow` probes a layer that runs once"
            )
        cell = self.layer.cell
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.layer.go_backwards:
            sequences = ops.flip(sequences, axis=1)
            mask = None if mask is None else ops.flip(mask, axis=1)
        if any(keras.tree.is_nested(state) for state in initial_state):
            raise ValueError(
                f"Layer '{self.layer.name}' has nested states (stacked "
                "cells); `gradient_flow` needs a cell with a flat list of "
                "states"
            )
        states = list(initial_state)
        self.sequences = sequences
        self.mask = None if mask is None else ops.cast(mask, "bool")
        self.full_states, self.probes = [], []
        outputs = []
        for t in range(int(ops.shape(sequences)[1])):
            output, new_states = cell(sequences[:, t], states, training=False)
            new_states = list(keras.tree.flatten(new_states))
            if t == 0:
                check_output_is_first_state(
                    self.layer, output, new_states[0], "gradient_flow"
                )
            units = int(output.shape[-1])
            if self.mask is not None:
                step_mask = self.mask[:, t : t + 1]
                new_states = [
                    ops.where(step_mask, new, old)
                    for new, old in zip(new_states, states)
                ]
            states = self._add_probes(new_states, units)
            self.full_states.append(states)
            output = states[0][:, :units]
            if self.mask is not None and self.layer.zero_output_for_mask:
                output = ops.where(step_mask, output, ops.zeros_like(output))
            outputs.append(output)
        self.last_output = outputs[-1]
        return outputs[-1], ops.stack(outputs, axis=1), states

    def _add_probes(self, states, units):
        """Adds a zero probe `δ_t`, watched by the tape, to the states
        (all of them, or the hidden part): `∂L/∂δ_t` is the gradient with
        respect to the state as the rest of the computation reads it."""
        if self.state == "full":
            probes = [ops.zeros_like(tensor) for tensor in states]
            for probe in probes:
                self.tape.watch(probe)
            self.probes.append(probes)
            return [tensor + probe for tensor, probe in zip(states, probes)]
        first = states[0]
        probe = ops.zeros_like(first[:, :units])
        self.tape.watch(probe)
        self.probes.append([probe])
        hidden = first[:, :units] + probe
        if first.shape[-1] > units:
            first = ops.concatenate([hidden, first[:, units:]], axis=-1)
        else:
            first = hidden
        return [first, *states[1:]]


def _per_example_mean(values, axes):
    return ops.mean(values, axis=axes) if axes else values


def _objective(model_or_layer, inputs, outputs, targets, loop):
    """`B × L`: the sum over the batch of each example's objective."""
    prediction = keras.tree.flatten(outputs)[0]
    batch = int(ops.shape(prediction)[0])
    is_model = isinstance(model_or_layer, keras.Model)
    if is_model and targets is not None and model_or_layer.compiled:
        loss = model_or_layer.compute_loss(
            x=inputs, y=targets, y_pred=outputs, training=False
        )
        return ops.cast(loss, "float64") * batch
    if targets is not None:
        targets = ops.convert_to_tensor(keras.tree.flatten(targets)[0])
        error = ops.square(prediction - ops.cast(targets, prediction.dtype))
        axes = tuple(range(1, len(error.shape)))
        return ops.sum(ops.cast(_per_example_mean(error, axes), "float64"))
    if not is_model:
        return ops.sum(ops.cast(loop.last_output, "float64"))
    if len(prediction.shape) == 3:
        prediction = prediction[:, -1]
    if len(prediction.shape) == 2:
        prediction = ops.max(prediction, axis=-1)
    return ops.sum(ops.cast(prediction, "float64"))


def _masked_mean(values, mask):
    if mask is None:
        return values.mean(axis=0)
    counts = mask.sum(axis=0)
    totals = np.where(mask, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def _matrix_norms(jacobians, norm):
    """Norms of a batch of matrices `(N, D, D)`, as float64 NumPy `(N,)`."""
    jacobians = tf.cast(jacobians, "float64")
    if norm == "frobenius":
        squares = tf.reduce_sum(tf.square(jacobians), axis=(1, 2))
        return np.sqrt(squares.numpy())
    # σ_max(J)² is the largest eigenvalue of J Jᵀ: a symmetric eigenvalue
    # problem is several times cheaper than an SVD, and as accurate.
    gram = tf.matmul(jacobians, jacobians, transpose_b=True)
    largest = tf.linalg.eigvalsh(gram)[:, -1].numpy()
    return np.sqrt(np.maximum(largest, 0.0))


def _jacobian_norms(loop, state, norm):
    """Per-example `‖∂s_t/∂s_{t-1}‖`, `(batch, T - 1)`.

    All steps are batched: each `(x_t, s_{t-1})` pair is repeated once per
    row of the Jacobian, and one backward pass with one-hot output
    gradients yields every row, in chunks that bound the memory.
    """
    cell = loop.layer.cell
    full_states = loop.full_states
    steps = len(full_states)
    widths = [int(tensor.shape[-1]) for tensor in full_states[0]]
    units = int(loop.last_output.shape[-1])
    previous = ops.stack(
        [ops.concatenate(s, axis=-1) for s in full_states[:-1]], axis=1
    )
    batch, width = int(previous.shape[0]), int(previous.shape[-1])
    size = units if state == "hidden" else width
    pairs = batch * (steps - 1)
    previous = ops.reshape(previous, (pairs, width))
    inputs = loop.sequences[:, 1:]
    inputs = ops.reshape(inputs, (pairs, *inputs.shape[2:]))
    offsets = np.cumsum(widths)
    chunk_size = max(1, _JACOBIAN_CHUNK_ENTRIES // (size * width))
    norms = []
    for start in range(0, pairs, chunk_size):
        chunk_states = previous[start : start + chunk_size]
        rows = int(chunk_states.shape[0])
        repeated = tf.repeat(chunk_states, size, axis=0)
        with tf.GradientTape() as tape:
            tape.watch(repeated)
            parts = [
                repeated[:, offset - part : offset]
                for offset, part in zip(offsets, widths)
            ]
            _, new_states = cell(
                tf.repeat(inputs[start : start + chunk_size], size, axis=0),
                parts,
                training=False,
            )
            new_states = ops.concatenate(
                keras.tree.flatten(new_states), axis=-1
            )[:, :size]
        one_hot = ops.tile(ops.eye(size, dtype=new_states.dtype), (rows, 1))
        jacobians = tape.gradient(
            new_states, repeated, output_gradients=one_hot
        )
        jacobians = ops.reshape(jacobians, (rows, size, width))[..., :size]
        norms.append(_matrix_norms(jacobians, norm))
    norms = np.concatenate(norms).reshape(batch, steps - 1)
    if loop.mask is not None:
        # A masked step carries the state over: its Jacobian is I.
        identity = 1.0 if norm == "spectral" else np.sqrt(size)
        step_mask = ops.convert_to_numpy(loop.mask)[:, 1:]
        norms = np.where(step_mask, norms, identity)
    return norms


def gradient_flow(
    model_or_layer,
    inputs,
    targets=None,
    *,
    layer=None,
    direction: str = "forward",
    state: str = "full",
    jacobian_norm: str | None = "spectral",
) -> GradientFlow:
    """Measures backpropagation through time in one recurrent layer.

    For every step `t` of the probed layer, `‖∂L/∂s_t‖`, the norm of the
    gradient of the objective `L` with respect to the layer's state after
    step `t`, summed over every path from `s_t` to the loss; and for every
    step the Jacobian norm `‖∂s_t/∂s_{t-1}‖`, whose products bound how the
    gradient grows or shrinks on its way back (Pascanu et al. 2013, "On
    the difficulty of training recurrent neural networks").

    The layer's cell runs step by step in a Python loop (temporarily in
    place of the layer's own loop, with the same equations), so the tape
    sees every state; the model runs in inference mode (no dropout).

    The state `s_t`:

    * `state="full"` (default): all of the cell's states, concatenated:
      `h_t` for an Elman RNN, GRU and MGU, `[h_t; c_t]` for the LSTMs, the
      history `[h_t, ..., h_{t-k+1}]` of a skip RNN.
    * `state="hidden"`: the output `h_t` alone; the gradient holds the
      other states (an LSTM's `c_t`) fixed, and the Jacobian is the
      `h_{t-1} -> h_t` block of the full one.

    The objective `L`:

    * `targets=None`, a model: the largest entry of the model's (first)
      output at its final step, i.e. the predicted class's score.
    * `targets=None`, a layer: the sum of the layer's final output `h_T`.
    * with `targets`, a compiled model: its compiled loss,
      `model.compute_loss`.
    * with `targets`, otherwise: the mean squared error between the
      (first) output and `targets`.

    Gradients are those of the objective summed over the examples (the
    compiled loss, a batch mean, is multiplied by the batch size), so each
    example's gradient is that of its own objective; norms are taken per
    example (L2 over the state) and then averaged over the batch.

    Args:
        model_or_layer: A `keras.Model`, or a recurrent layer (any layer of
            the rnnzoo registry, Keras's `SimpleRNN`, `LSTM`, `GRU`, a
            `keras.layers.RNN` over such a cell, or a `Bidirectional`).
        inputs: The batch the model or layer is called on; a layer takes
            `(batch, T, features)`.
        targets: Optional targets for the loss, see above.
        layer: The recurrent layer to probe, an instance or a name;
            default the first recurrent layer found depth first (for
            rnnzoo's architectures the first layer of the recurrent stack).
        direction: For a `Bidirectional` layer, the half to probe:
            `"forward"` (default) or `"backward"`.
        state: `"full"` (default) or `"hidden"`, see above.
        jacobian_norm: `"spectral"` (default, the largest singular value),
            `"frobenius"`, or `None` to skip the Jacobians. Each is taken
            per example and step; the spectral norm costs `O(D³)` for a
            state of width `D`, so for wide states (a skip RNN's history is
            `skip * units` wide) prefer `state="hidden"`, `"frobenius"` or
            `None` on long sequences.

    Returns:
        A `GradientFlow` with `step_gradient_norms` `(T,)` and
        `jacobian_norms` `(T - 1,)`, NumPy arrays.

    Example:

    >>> layer = keras.layers.SimpleRNN(8)
    >>> flow = gradient_flow(layer, np.ones((4, 20, 3), "float32"))
    >>> flow.step_gradient_norms.shape, flow.jacobian_norms.shape
    ((20,), (19,))
    """
    check_choice("state", state, STATES)
    check_choice("jacobian_norm", jacobian_norm, JACOBIAN_NORMS)
    if not isinstance(model_or_layer, keras.layers.Layer):
        raise ValueError(
            "`model_or_layer` must be a keras.Model or a recurrent layer, "
            f"got model_or_layer={model_or_layer!r}"
        )
    recurrent = find_recurrent_layer(model_or_layer, layer, direction)
    with tf.GradientTape() as tape:
        loop = _ProbedLoop(recurrent, tape, state)
        with replaced_attribute(recurrent, "inner_loop", loop):
            outputs = model_or_layer(inputs, training=False)
        if loop.calls == 0:
            raise ValueError(
                f"Layer '{recurrent.name}' did not run when "
                f"`model_or_layer` was called on `inputs`"
            )
        objective = _objective(model_or_layer, inputs, outputs, targets, loop)
    probes = [tensor for step in loop.probes for tensor in step]
    gradients = tape.gradient(
        objective, probes, unconnected_gradients=tf.UnconnectedGradients.ZERO
    )
    per_step, index = [], 0
    for step in loop.probes:
        squares = 0.0
        for gradient in gradients[index : index + len(step)]:
            gradient = ops.convert_to_numpy(gradient).astype("float64")
            squares = squares + np.sum(np.square(gradient), axis=-1)
        index += len(step)
        per_step.append(np.sqrt(squares))
    per_example = np.stack(per_step, axis=1)
    mask = None
    if loop.mask is not None:
        mask = ops.convert_to_numpy(loop.mask).astype(bool)

    per_example_jacobians = jacobians = None
    if jacobian_norm is not None and len(loop.full_states) > 1:
        per_example_jacobians = _jacobian_norms(loop, state, jacobian_norm)
        jacobian_mask = None if mask is None else mask[:, 1:]
        jacobians = _masked_mean(per_example_jacobians, jacobian_mask)
    elif jacobian_norm is not None:
        per_example_jacobians = np.zeros((per_example.shape[0], 0))
        jacobians = np.zeros((0,))
    return GradientFlow(
        step_gradient_norms=_masked_mean(per_example, mask),
        jacobian_norms=jacobians,
        per_example_gradient_norms=per_example,
        per_example_jacobian_norms=per_example_jacobians,
        mask=mask,
        loss=float(ops.convert_to_numpy(objective)) / per_example.shape[0],
        layer_name=recurrent.name,
        state=state,
        jacobian_norm=jacobian_norm,
    )
