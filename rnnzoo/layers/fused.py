"""The fused recurrence: a recurrent time loop with a hand-written gradient.

A cell that implements the fused recurrence (see
`RecurrentCell.supports_fused_recurrence`) provides a forward step that saves
what its gradient needs, a hand-written backward step, and the terms of the
weight gradients. `fused_recurrence` then runs the time loop with that
gradient instead of differentiating the loop, as cuDNN does for Keras's LSTM
on GPU: no autodiff accumulators, one fused recurrent matmul per step on the
critical path forwards and backwards, a few steps per loop iteration, and
everything that does not depend on the recurrence (the input projection of
the next steps, the weight gradients) computed in the loop beside the
recurrent chain: on a CPU with few cores it runs on a core the serial
recurrence leaves idle, and the projected sequence and its gradient never
exist whole. The forward equations stay written once: `recurrent_step` and
the fused forward step call the same `equations`. The fused path serves
unmasked, rolled loops with the default activations; masks, `unroll=True`,
other activations and other backends take the generic loop, which projects
all steps in one matmul before it. The tests check the layers' gradients,
fused or not, against finite differences of NumPy references.
"""

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


def add_gradients(gradient, other):
    """`gradient + other`, where `other` may be `None` (no gradient)."""
    return gradient if other is None else gradient + other


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


def fused_recurrence(
    cell,
    sequences,
    initial_states,
    recurrent_dropout_mask=None,
    go_backwards=False,
    return_all_outputs=True,
):
    """Runs a cell's fused recurrence over a sequence.

    The forward loop projects each step's inputs (beside the recurrent
    chain, which does not wait for it), runs `cell.fused_forward_step` and
    pushes what each step saved on stacks.
    The gradient is a second loop, backwards in time, over
    `cell.fused_backward_step`, which pops them; the gradients of the
    weights (the input projection's too) are summed inside it, off the
    loop's critical path, and `cell.fused_weight_gradients` finishes them.
    Autodiff differentiates neither loop, so it adds no per-step
    accumulators. The first step of each loop runs before it, so that the
    shapes of what a step keeps are known. TensorFlow only.

    Args:
        cell: A `RecurrentCell` whose `supports_fused_recurrence()` is true.
        sequences: `(batch, timesteps, features)`, after input dropout.
        initial_states: The list of initial state tensors.
        recurrent_dropout_mask: The per-sequence recurrent dropout mask of
            the first state, or `None`.
        go_backwards: Whether to run from the last step to the first.
        return_all_outputs: Whether `outputs` holds every step.

    Returns:
        `(last_output, outputs, final_states)` as `keras.src.backend.rnn`.
    """
    sequences = tf.transpose(sequences, (1, 0, 2))
    if go_backwards:
        sequences = tf.reverse(sequences, (0,))

    def as_tensor(weight):
        # Tensors, not variables: `tf.custom_gradient` must not see one.
        return tf.convert_to_tensor(ops.convert_to_tensor(weight))

    projection = [as_tensor(cell.kernel)]
    if cell.use_bias:
        projection.append(as_tensor(cell.bias))
    initial_states = [tf.convert_to_tensor(s) for s in initial_states]
    weights = [as_tensor(w) for w in cell.loop_weights()]
    extras = [] if recurrent_dropout_mask is None else [recurrent_dropout_mask]
    num_projection, num_states = len(projection), len(initial_states)
    num_weights = len(weights)

    @tf.custom_gradient
    def recurrence(inputs, *tensors):
        kernel, *bias = tensors[:num_projection]
        tensors = tensors[num_projection:]
        initial_states = list(tensors[:num_states])
        weights = list(tensors[num_states : num_states + num_weights])
        mask = tensors[-1] if extras else None
        steps = inputs.shape[0]
        if steps is None:
            steps = tf.shape(inputs)[0]

        def project(index, num_steps):
            # `x W + b` of the next steps, one matmul: it does not depend on
            # the recurrence, so the loop computes it beside the recurrent
            # chain, and the projected sequence never exists whole.
            # A slice of static length (XLA's dynamic slice).
            chunk = tf.slice(inputs, [index, 0, 0], [num_steps, -1, -1])
            projected = tf.matmul(
                tf.reshape(chunk, (-1, inputs.shape[-1])), kernel
            )
            if bias:
                projected = tf.nn.bias_add(projected, bias[0])
            batch = inputs.shape[1]
            if batch is None:
                batch = tf.shape(inputs)[1]
            return tf.reshape(projected, (num_steps, batch, kernel.shape[-1]))

        output, states, saved = cell.fused_forward_step(
            project(0, 1)[0], initial_states, weights, mask
        )
        saved_like = saved
        carry = (
            _write(_arrays_for(steps, [output]), 0, [output]),
            _push(_new_stacks(saved, steps), saved),
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
            forward_step, 1, steps - 1, carry, direction=1, prepare=project
        )
        outputs = outputs[0]
        # Without `return_all_outputs` only the last output is a result: no
        # other step receives an output gradient.
        if return_all_outputs:
            result = outputs.stack()
        else:
            result = outputs.read(steps - 1)

        def gradient(result_gradient, *final_state_gradients):
            if result_gradient is None:
                result_gradient = tf.zeros_like(result)
            state_gradients = [
                tf.zeros_like(state) if grad is None else grad
                for grad, state in zip(final_state_gradients, final_states)
            ]
            backward_weights = cell.fused_backward_weights(weights)
            transposed_kernel = transpose_kernel(kernel)

            def backward_step(
                index, saved_stacks, state_gradients, output_gradient=None
            ):
                if return_all_outputs:
                    output_gradient = result_gradient[index]
                saved_stacks, saved = _pop(saved_stacks, saved_like)
                projected_gradient, state_gradients, terms = (
                    cell.fused_backward_step(
                        output_gradient,
                        list(state_gradients),
                        saved,
                        backward_weights,
                        mask,
                    )
                )
                # The input projection's gradients: kernel, bias (summed
                # over the batch after the loop) and inputs.
                terms = [
                    kernel_gradient(inputs[index], projected_gradient),
                    *[projected_gradient for _ in bias],
                    *terms,
                ]
                input_gradient = ops.matmul(
                    projected_gradient, transposed_kernel
                )
                return saved_stacks, input_gradient, state_gradients, terms

            last = steps - 1
            stacks, input_gradient, state_gradients, terms = backward_step(
                last,
                saved_stacks,
                state_gradients,
                output_gradient=result_gradient,
            )
            carry = (
                _write(
                    _arrays_for(steps, [input_gradient]), last, [input_gradient]
                ),
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
            if bias:
                projection_gradients.append(ops.sum(sums[1], axis=0))
            weight_gradients = cell.fused_weight_gradients(
                sums[num_projection:]
            )
            return [
                input_gradients[0].stack(),
                *projection_gradients,
                *state_gradients,
                *weight_gradients,
                *[None for _ in extras],
            ]

        return (result, *final_states), gradient

    result, *final_states = recurrence(
        sequences, *projection, *initial_states, *weights, *extras
    )
    if return_all_outputs:
        return result[-1], tf.transpose(result, (1, 0, 2)), final_states
    return result, result[:, None], final_states
