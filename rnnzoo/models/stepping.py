"""Running a model's recurrent layers one step at a time, for generation:
the same computation as the layers over a whole sequence (what training
runs), in the loops of `rnnzoo.decoding` (no Python loop per step).

* `stack_step` runs a forward `RecurrentStack` through its cells;
* `draw_dropout_masks` draws a `TokenDecoder`'s dropout masks of every
  step before a training loop of its steps;
* `prime_stack` reads a batch of right-padded prompts into its state;
* `decode_frames` generates multi-hot frames (polyphonic music), where
  every step is a vector of independent notes rather than one token.
"""

import keras
from keras import ops

from rnnzoo.decoding.random_draws import fold_in
from rnnzoo.decoding.random_draws import stateless_uniform


def state_sizes_of(cell) -> list[int]:
    """The sizes of a cell's states, as a list."""
    sizes = cell.state_size
    return list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]


def _unidirectional_layers(stack):
    if stack.bidirectional:
        raise ValueError(
            f"Layer '{stack.name}' is bidirectional; only a forward stack "
            "can run one step at a time"
        )
    return stack.recurrent_layers


def embedding_lookup(embedding, token_ids):
    """The rows of a `keras.layers.Embedding` for `token_ids`, without the
    Keras mask that calling the layer would attach (a one-step cell takes
    no mask)."""
    return ops.take(embedding.embeddings, ops.cast(token_ids, "int32"), 0)


def stack_zero_state(stack, batch_size, dtype="float32") -> list:
    """Zero states of a `RecurrentStack`, one list per layer."""
    return [
        [ops.zeros((batch_size, size), dtype=dtype) for size in sizes]
        for sizes in (
            state_sizes_of(layer.cell)
            for layer in _unidirectional_layers(stack)
        )
    ]


def stack_step(stack, inputs, states, training=False, dropout_masks=None):
    """Runs one step of a forward `RecurrentStack` through its cells.

    The same computation as the stack over a sequence, one step at a time:
    each layer's cell reads the output of the layer below, and with
    `residual=True` a layer of equal input and output width adds its input
    to its output.

    Args:
        stack: A `RecurrentStack` with `bidirectional=False`.
        inputs: `(batch, features)`, the step's input.
        states: One list of state tensors per layer.
        training: Whether dropout is active: the stack's dropout on every
            layer's input, and the cells' own (whose per-sequence masks a
            loop makes beforehand, see `rnnzoo.layers.decoder_parts`).
            Default `False` (generation).
        dropout_masks: Optional list of one `(batch, features)` dropout
            mask (`0` or `1 / (1 - rate)`) per layer, used in training in
            place of the stack's dropout draws: a loop draws every step's
            before it (a draw inside JAX's loops leaks a tracer).

    Returns:
        `(outputs, new_states)`: `(batch, units)` and the new states.
    """
    layers = _unidirectional_layers(stack)
    x = inputs
    new_states = []
    for index, (layer, layer_states) in enumerate(zip(layers, states)):
        cell_inputs = x
        if training and dropout_masks is not None:
            cell_inputs = x * ops.cast(dropout_masks[index], x.dtype)
        elif training and stack.dropout_layer is not None:
            cell_inputs = stack.dropout_layer(x, training=True)
        outputs, new = layer.cell(
            cell_inputs, list(layer_states), training=training
        )
        new_states.append(
            list(new) if isinstance(new, (list, tuple)) else [new]
        )
        if stack.residual and x.shape[-1] == outputs.shape[-1]:
            outputs = ops.add(outputs, x)
        x = outputs
    return x, new_states


def draw_dropout_masks(decoder, batch, steps, seed):
    """Every step's dropout masks of `decoder` (a `TokenDecoder`) for
    `TokenDecoder.step(dropout_masks=...)`, drawn before the time loop from
    `seed` (a dropout layer called inside JAX's loop would advance its seed
    there: a leaked tracer). Each mask is `(batch, steps, features)`, `0`
    or `1 / (1 - rate)`; an empty dict without dropout."""

    def draw(layer, index, width):
        keep = stateless_uniform(
            (batch, steps, width), seed=fold_in(seed, index)
        )
        keep = ops.cast(ops.greater_equal(keep, layer.rate), "float32")
        return keep / (1.0 - layer.rate)

    masks = {}
    width = decoder.embedding.output_dim
    stack = decoder.stack
    if stack is not None:
        if stack.dropout_layer is not None:
            masks["stack"] = []
            for index in range(len(stack.recurrent_layers)):
                masks["stack"].append(draw(stack.dropout_layer, index, width))
                width = decoder.units
        width = decoder.units
    if decoder.dropout_layer is not None:
        # Past the stack's indices.
        first = 0 if stack is None else len(stack.recurrent_layers)
        if decoder.attention_decoder is not None:
            masks["attention"] = draw(decoder.dropout_layer, first, width)
        masks["output"] = draw(decoder.dropout_layer, first + 1, decoder.units)
    return masks


def scan_steps(step, state, sequence, mask=None):
    """Runs `step(x_t, state) -> new_state` over the steps of a sequence.

    Args:
        step: The step function.
        state: The initial state, a nested structure of tensors.
        sequence: `(batch, steps, ...)`.
        mask: Optional boolean `(batch, steps)`; a row keeps its state at
            the steps where it is `False`.

    Returns:
        The final state, in one `while_loop` (no Python loop per step).
    """

    def body(index, state):
        new_state = step(ops.take(sequence, index, axis=1), state)
        if mask is None:
            return new_state
        keep = ops.take(mask, index, axis=1)

        def select(new, old):
            condition = ops.reshape(keep, (-1,) + (1,) * (len(new.shape) - 1))
            return ops.where(condition, new, old)

        return keras.tree.map_structure(select, new_state, state)

    return ops.fori_loop(0, ops.shape(sequence)[1], body, state)


def prime_stack(stack, embed, prompt, lengths):
    """Reads right-padded prompts into the state of a `RecurrentStack`.

    Args:
        stack: A forward `RecurrentStack`.
        embed: Maps one step of `prompt` to the stack's input, e.g. an
            embedding lookup of token ids (identity for frames).
        prompt: `(batch, steps)` ids or `(batch, steps, features)` frames.
        lengths: int32 `(batch,)`, the number of real steps of each row,
            at least one.

    Returns:
        `(state, last)`: the state after every real step but the last, and
        that last step, `(batch,)` or `(batch, features)`, which the first
        generation step reads.
    """
    state = stack_zero_state(stack, ops.shape(prompt)[0], stack.compute_dtype)
    positions = ops.arange(ops.shape(prompt)[1], dtype="int32")
    mask = ops.less(positions[None, :], (lengths - 1)[:, None])

    def step(x, state):
        return stack_step(stack, embed(x), state)[1]

    state = scan_steps(step, state, prompt, mask)
    index = ops.reshape(lengths - 1, (-1,) + (1,) * (len(prompt.shape) - 1))
    return state, ops.take_along_axis(prompt, index, axis=1)[:, 0]


def decode_frames(
    step_fn,
    state,
    first_frame,
    max_length,
    sample=False,
    temperature=1.0,
    seed=None,
):
    """Generates multi-hot frames, every note on or off independently.

    Args:
        step_fn: `step_fn(frame, state) -> (logits, new_state)`, one logit
            per note.
        state: The state before the first step.
        first_frame: float `(batch, notes)`, the frame the first step reads.
        max_length: Number of frames to generate.
        sample: `False`: a note sounds when its probability is above 0.5.
            `True`: each note is drawn from its own Bernoulli distribution,
            `sigmoid(logit / temperature)`, by stateless random ops seeded
            by `seed` and the step.
        temperature: Positive number dividing the logits when sampling.
        seed: int32 `(2,)` seed, when sampling.

    Returns:
        `(frames, scores)`: float32 0/1 `(batch, max_length, notes)` and
        float32 `(batch,)` sums of the log-likelihoods of the frames.
    """
    frame = ops.cast(first_frame, "float32")
    batch, notes = ops.shape(frame)[0], frame.shape[-1]
    frames = ops.zeros((batch, max_length, notes), dtype="float32")
    scores = ops.zeros((batch,), dtype="float32")
    steps = ops.arange(max_length, dtype="int32")[None, :, None]

    def body(index, carry):
        frame, state, frames, scores = carry
        logits, state = step_fn(frame, state)
        logits = ops.cast(logits, "float32")
        if sample:
            draws = stateless_uniform(
                ops.shape(logits), seed=fold_in(seed, index)
            )
            probabilities = ops.sigmoid(logits / temperature)
            frame = ops.cast(ops.less(draws, probabilities), "float32")
        else:
            frame = ops.cast(ops.greater(logits, 0.0), "float32")
        log_likelihood = frame * ops.log_sigmoid(logits) + (
            1.0 - frame
        ) * ops.log_sigmoid(-logits)
        scores = scores + ops.sum(log_likelihood, axis=-1)
        frames = ops.where(ops.equal(steps, index), frame[:, None, :], frames)
        return frame, state, frames, scores

    carry = (frame, state, frames, scores)
    _, _, frames, scores = ops.fori_loop(0, max_length, body, carry)
    return frames, scores
