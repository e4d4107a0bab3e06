"""The backend's time loop, with TensorFlow's masking on every backend.

Keras's `rnn` (`rnnzoo.layers.keras_internals.rnn`) repeats the previous
output at a masked step. On TensorFlow it keeps that output itself; on JAX
and PyTorch it reads it from the first state, which only works where the
output *is* the first state and is one tensor. rnnzoo's loops output other
things: the skip RNN's first state is its history, the CRF's outputs are
back-pointers, the attention decoder's are `(output, alignment)` pairs.
`rnn` here keeps the states of masked steps inside the step and fills
masked steps' outputs after the loop (a gather from the last real step) on
those backends, so every loop behaves as on TensorFlow.
"""

import keras
from keras import ops
from keras import tree

from rnnzoo.layers.keras_internals import rnn as backend_rnn


def rnn(
    step_function,
    inputs,
    initial_states,
    go_backwards=False,
    mask=None,
    constants=None,
    unroll=False,
    input_length=None,
    time_major=False,
    zero_output_for_mask=False,
    return_all_outputs=True,
):
    """Keras's `rnn`, arguments and results alike; a masked step keeps the
    states and repeats the previous output (zeros before the first) or,
    with `zero_output_for_mask`, outputs zeros."""
    options = dict(
        constants=constants,
        unroll=unroll,
        input_length=input_length,
        time_major=time_major,
        return_all_outputs=return_all_outputs,
    )
    if mask is None or keras.backend.backend() == "tensorflow":
        return backend_rnn(
            step_function,
            inputs,
            initial_states,
            go_backwards=go_backwards,
            mask=mask,
            zero_output_for_mask=zero_output_for_mask,
            **options,
        )
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    mask = ops.cast(mask, "bool")
    if time_major:
        mask = ops.transpose(mask)
    time_axis = 0 if time_major else 1
    if go_backwards:
        # Reversed here rather than by the backend's loop, which cannot
        # reverse nested outputs; the outputs keep the processing order,
        # as Keras's.
        inputs = tree.map_structure(
            lambda x: ops.flip(x, axis=time_axis), inputs
        )
        mask = ops.flip(mask, axis=time_axis)

    def masked_step(step_inputs, states):
        step_inputs, step_mask = step_inputs
        output, new_states = step_function(step_inputs, tuple(states))
        new_states = [
            _where_real(step_mask, new, old)
            for new, old in zip(new_states, states)
        ]
        return output, new_states

    _, outputs, final_states = backend_rnn(
        masked_step,
        (inputs, mask),
        list(initial_states),
        mask=None,
        zero_output_for_mask=False,
        **{**options, "return_all_outputs": True},
    )
    # A masked step's output: zeros, or the last real step's output (zeros
    # before the first), gathered after the loop.
    steps = ops.shape(mask)[time_axis]
    positions = ops.arange(steps, dtype="int32")
    if time_major:
        positions = ops.expand_dims(positions, 1)
    if zero_output_for_mask:
        source = ops.where(mask, positions, -1)
    else:
        source = _running_max(ops.where(mask, positions, -1), time_axis)
    has_source = source >= 0
    source = ops.maximum(source, 0)

    def fill(output):
        rows = ops.reshape(
            source, tuple(source.shape) + (1,) * (len(output.shape) - 2)
        )
        gathered = ops.take_along_axis(output, rows, axis=time_axis)
        keep = ops.reshape(has_source, rows.shape)
        return ops.where(keep, gathered, ops.zeros_like(gathered))

    outputs = tree.map_structure(fill, outputs)
    last_output = tree.map_structure(
        lambda o: ops.take(o, -1, axis=time_axis), outputs
    )
    if not return_all_outputs:
        outputs = tree.map_structure(
            lambda o: ops.expand_dims(o, time_axis), last_output
        )
    return last_output, outputs, list(final_states)


def _running_max(values, axis):
    """The running maximum of `values` along `axis`."""
    if keras.backend.backend() == "jax":
        # `lax.cummax` also traces over a dynamic time axis, as Keras's
        # shape inference gives it; an associative scan cannot.
        from jax import lax

        return lax.cummax(values, axis=axis)
    return ops.associative_scan(ops.maximum, values, axis=axis)


def _where_real(step_mask, new, old):
    """`new` where the step is real, else `old`; `step_mask` `(batch,)`."""
    condition = ops.reshape(step_mask, (-1,) + (1,) * (len(new.shape) - 1))
    return ops.where(condition, new, old)
