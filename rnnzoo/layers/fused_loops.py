"""The two time loops of the fused recurrence on TensorFlow (see
`rnnzoo.layers.fused`), and the TensorFlow versions of the gradient helpers
that the cells' fused steps share (`rnnzoo.layers.fused_gradients`).

`forward_loop` runs a cell's `fused_forward_step` over the sequence and
pushes what each step saves on stacks; `backward_loop`, the gradient, runs
its `fused_backward_step` backwards in time and pops them. Both are plain
TensorFlow loops: `fused_tensorflow.fused_recurrence` joins them with
`tf.custom_gradient`, so autodiff differentiates neither. TensorFlow only:
only that backend imports this module.
"""

import dataclasses

import tensorflow as tf
from keras import ops


def sigmoid_gradient(outputs, output_gradient):
    """`dy * y * (1 - y)`: the gradient through `y = sigmoid(x)`, one op."""
    return tf.raw_ops.SigmoidGrad(y=outputs, dy=output_gradient)


def tanh_gradient(outputs, output_gradient):
    """`dy * (1 - y ** 2)`: the gradient through `y = tanh(x)`, one op."""
    return tf.raw_ops.TanhGrad(y=outputs, dy=output_gradient)


def transpose_kernel(kernel):
    """`kernel^T`, for `gradient kernel^T`, the gradient of `x` in
    `x kernel`: a matmul with a transposed operand is slower on CPU."""
    return tf.transpose(kernel)


def kernel_gradient(inputs, gradient):
    """`inputs^T gradient`: one step's gradient of `kernel` in
    `inputs kernel`."""
    return tf.matmul(inputs, gradient, transpose_a=True)


# Steps per iteration of the fused loops: unrolling a few steps into one
# iteration spreads the loop's own ops (one set per loop variable and
# iteration in TensorFlow's executor) over several steps.
FUSED_UNROLL = 4

# Loop iterations TensorFlow's executor may run at once. The overlap the
# fused loops need is one iteration ahead: the next steps' input projection
# beside this iteration's recurrent chain. With TensorFlow's default of 10
# the executor may project up to ten iterations ahead, and a training
# step's peak memory then moves with the schedule (the coupled LSTM at the
# large benchmark size: 56-72 MB from run to run, 52-54 MB with 2, at the
# same speed).
FUSED_PARALLEL_ITERATIONS = 2


def _arrays_for(steps, tensors):
    """One TensorArray per tensor, for `steps` elements shaped like it."""
    return [
        tf.TensorArray(
            tensor.dtype,
            size=steps,
            element_shape=tensor.shape,
            clear_after_read=False,
        )
        for tensor in tensors
    ]


def _write(arrays, index, tensors):
    return [array.write(index, t) for array, t in zip(arrays, tensors)]


def _new_stacks(tensors, max_size):
    """One empty TensorList per tensor, used as a stack of its values.

    What the forward loop saves is pushed and the backward loop, which runs
    the steps in reverse, pops it: every step's memory is freed as soon as
    its gradient is computed, as with autodiff's own accumulators.
    """
    return [
        tf.raw_ops.EmptyTensorList(
            element_shape=_shape_tensor(tensor.shape),
            max_num_elements=max_size,
            element_dtype=tensor.dtype,
        )
        for tensor in tensors
    ]


def _shape_tensor(shape):
    return tf.constant([-1 if d is None else d for d in shape], "int32")


def _push(stacks, tensors):
    return [
        tf.raw_ops.TensorListPushBack(input_handle=stack, tensor=tensor)
        for stack, tensor in zip(stacks, tensors)
    ]


def _pop(stacks, like):
    """`(stacks, tensors)`: the stacks without their last element, and
    those elements, shaped like the tensors of `like`."""
    popped_stacks, tensors = [], []
    for stack, tensor in zip(stacks, like):
        stack, value = tf.raw_ops.TensorListPopBack(
            input_handle=stack,
            element_shape=_shape_tensor(tensor.shape),
            element_dtype=tensor.dtype,
        )
        value.set_shape(tensor.shape)
        popped_stacks.append(stack)
        tensors.append(value)
    return popped_stacks, tensors


def _run_steps(step, first, count, carry, direction, sums=(), prepare=None):
    """Runs `count` steps from index `first`; returns `(carry, sums)`.

    `step(index, carry, prepared, offset) -> (carry, terms)`; every list
    `terms` is added to `sums`, with one `AddN` per loop iteration.
    `direction` is `1` (forwards) or `-1`. With a static `count`, the
    remainder of `count` by `FUSED_UNROLL` runs before the loop and the loop
    runs `FUSED_UNROLL` steps per iteration. `prepare(index, num_steps)`, if
    given, computes once what the next `num_steps` steps from `index` share
    (`prepared`; `offset` is the step's place among them).
    """

    def run(index, carry, sums, num_steps):
        prepared = prepare(index, num_steps) if prepare else None
        pending = [[total] for total in sums]
        for offset in range(num_steps):
            carry, terms = step(
                index + direction * offset, carry, prepared, offset
            )
            for terms_so_far, term in zip(pending, terms):
                terms_so_far.append(term)
        return carry, [tf.add_n(terms) for terms in pending]

    sums, unroll = list(sums), FUSED_UNROLL
    if isinstance(count, int):
        remainder = count % unroll
        if remainder:
            carry, sums = run(first, carry, sums, remainder)
            first += direction * remainder
        iterations = count // unroll
        if iterations == 0:
            return carry, sums
    else:
        unroll, iterations = 1, count

    def body(iteration, index, carry, sums):
        carry, sums = run(index, carry, sums, unroll)
        return iteration + 1, index + direction * unroll, carry, sums

    _, _, carry, sums = tf.while_loop(
        lambda iteration, *_: iteration < iterations,
        body,
        (
            tf.constant(0, "int32"),
            tf.convert_to_tensor(first, "int32"),
            carry,
            sums,
        ),
        maximum_iterations=iterations,
        parallel_iterations=FUSED_PARALLEL_ITERATIONS,
    )
    return carry, sums


@dataclasses.dataclass
class FusedLoop:
    """What both loops of one fused recurrence read.

    Attributes:
        cell: The cell, a `FusedRecurrence`.
        inputs: `(timesteps, batch, features)`, time first.
        kernel: The input projection's kernel.
        bias: `[bias]`, or `[]` without one.
        weights: The cell's `loop_weights()`, as tensors.
        mask: The per-sequence recurrent dropout mask, or `None`.
        return_all_outputs: Whether every step's output is a result.
    """

    cell: object
    inputs: tf.Tensor
    kernel: tf.Tensor
    bias: list
    weights: list
    mask: object
    return_all_outputs: bool

    @property
    def steps(self):
        """The number of steps, static where known."""
        steps = self.inputs.shape[0]
        return tf.shape(self.inputs)[0] if steps is None else steps

    def project(self, index, num_steps):
        """`x W + b` of `num_steps` steps from `index`, one matmul.

        It does not depend on the recurrence, so the forward loop computes
        it beside the recurrent chain, and the projected sequence never
        exists whole. The slice has a static length (XLA's dynamic slice).
        """
        inputs = self.inputs
        chunk = tf.slice(inputs, [index, 0, 0], [num_steps, -1, -1])
        projected = tf.matmul(
            tf.reshape(chunk, (-1, inputs.shape[-1])), self.kernel
        )
        if self.bias:
            projected = tf.nn.bias_add(projected, self.bias[0])
        batch = inputs.shape[1]
        if batch is None:
            batch = tf.shape(inputs)[1]
        return tf.reshape(projected, (num_steps, batch, self.kernel.shape[-1]))


def forward_loop(loop: FusedLoop, initial_states):
    """Runs the forward steps from the list of `initial_states`.

    Returns:
        `(result, final_states, saved_stacks, saved_like)`: `result` holds
        every output (`return_all_outputs`) or the last one, `saved_stacks`
        what each step saved for `backward_loop`, and `saved_like` the first
        step's saved tensors, whose shapes the stacks' elements have.
    """
    cell, weights, mask, steps = loop.cell, loop.weights, loop.mask, loop.steps
    output, states, saved_like = cell.fused_forward_step(
        loop.project(0, 1)[0], list(initial_states), weights, mask
    )
    carry = (
        _write(_arrays_for(steps, [output]), 0, [output]),
        _push(_new_stacks(saved_like, steps), saved_like),
        list(states),
    )

    def forward_step(index, carry, projected, offset):
        outputs, saved_stacks, states = carry
        output, states, saved = cell.fused_forward_step(
            projected[offset], list(states), weights, mask
        )
        carry = (
            _write(outputs, index, [output]),
            _push(saved_stacks, saved),
            list(states),
        )
        return carry, []

    (outputs, saved_stacks, final_states), _ = _run_steps(
        forward_step, 1, steps - 1, carry, direction=1, prepare=loop.project
    )
    outputs = outputs[0]
    # Without `return_all_outputs` only the last output is a result: no
    # other step receives an output gradient.
    if loop.return_all_outputs:
        result = outputs.stack()
    else:
        result = outputs.read(steps - 1)
    return result, final_states, saved_stacks, saved_like


def backward_loop(
    loop: FusedLoop, saved_stacks, saved_like, result_gradient, state_gradients
):
    """Runs the backward steps, from the last step to the first.

    Args:
        loop: The recurrence, as `forward_loop` ran it.
        saved_stacks: What `forward_loop` saved, popped step by step.
        saved_like: The tensors whose shapes the stacks' elements have.
        result_gradient: The gradient of `forward_loop`'s `result`.
        state_gradients: The gradients of its final states.

    Returns:
        `(input_gradients, projection_gradients, state_gradients,
        weight_term_sums)`: the gradient of `loop.inputs`, those of the
        kernel and bias, those of the initial states, and the `terms` of
        `fused_backward_step` summed over all steps.
    """
    cell, mask, steps = loop.cell, loop.mask, loop.steps
    backward_weights = cell.fused_backward_weights(loop.weights)
    transposed_kernel = transpose_kernel(loop.kernel)

    def backward_step(index, stacks, state_gradients, output_gradient=None):
        if loop.return_all_outputs:
            output_gradient = result_gradient[index]
        stacks, saved = _pop(stacks, saved_like)
        projected_gradient, state_gradients, terms = cell.fused_backward_step(
            output_gradient,
            list(state_gradients),
            saved,
            backward_weights,
            mask,
        )
        # The input projection's gradients: kernel, bias (summed over the
        # batch after the loop) and inputs.
        terms = [
            kernel_gradient(loop.inputs[index], projected_gradient),
            *[projected_gradient for _ in loop.bias],
            *terms,
        ]
        input_gradient = ops.matmul(projected_gradient, transposed_kernel)
        return stacks, input_gradient, state_gradients, terms

    last = steps - 1
    stacks, input_gradient, state_gradients, terms = backward_step(
        last, saved_stacks, state_gradients, output_gradient=result_gradient
    )
    carry = (
        _write(_arrays_for(steps, [input_gradient]), last, [input_gradient]),
        stacks,
        list(state_gradients),
    )

    def step_back(index, carry, prepared, offset):
        input_gradients, stacks, state_gradients = carry
        stacks, input_gradient, state_gradients, terms = backward_step(
            index, stacks, state_gradients
        )
        carry = (
            _write(input_gradients, index, [input_gradient]),
            stacks,
            list(state_gradients),
        )
        return carry, terms

    (input_gradients, _, state_gradients), sums = _run_steps(
        step_back, last - 1, steps - 1, carry, -1, sums=terms
    )
    projection_gradients = [sums[0]]
    if loop.bias:
        projection_gradients.append(ops.sum(sums[1], axis=0))
    return (
        input_gradients[0].stack(),
        projection_gradients,
        state_gradients,
        sums[1 + len(loop.bias) :],
    )
