"""The step-function contract shared by every decoding strategy, the checks
of what a step function takes and returns, the beam layout of the batch
(`tile_batch`), and the token-by-token loop that greedy search and sampling
share.

A decoder is driven by a step function

```
step_fn(tokens, state) -> (logits, new_state)
```

* `tokens`: `(batch,)` int32, the token emitted at the previous step (the
  start token at the first step).
* `state`: any nested structure (tuple, list, dict) of tensors whose leading
  dimension is the batch, e.g. `[h, c]` of an LSTM decoder, an encoder's
  outputs for attention, or a position counter.
* `logits`: `(batch, vocab_size)` unnormalised log-probabilities of the next
  token.
* `new_state`: the same structure, shapes and dtypes as `state`.

Every strategy emits `max_length` tokens per sequence, the start token
excluded. When `end_token` is given, a sequence is finished once it emits
`end_token`: the end token is kept in the output and every later position
holds `pad_token`. The loop is a `keras.ops.while_loop` over preallocated
outputs that stops once every sequence is finished, so a whole decode can be
compiled on every backend (`tf.function`, with or without
`jit_compile=True`, or `jax.jit`).
"""

from typing import Any
from typing import Callable

import keras
from keras import ops

from rnnzoo.validation import is_integer

StepFunction = Callable[[Any, Any], tuple[Any, Any]]
"""`step_fn(tokens, state) -> (logits, new_state)`, see the module doc."""

TokenChooser = Callable[[Any, Any], Any]
"""`choose(logits, step) -> tokens`: `(batch, vocab)` float32 logits and the
int32 step index in, the `(batch,)` int32 tokens emitted at that step out."""


def describe(structure):
    """The structure with every tensor shown by its shape, for messages."""
    return keras.tree.map_structure(
        lambda x: f"<shape={tuple(x.shape)}>" if hasattr(x, "shape") else x,
        structure,
    )


def check_step_fn(step_fn) -> None:
    if not callable(step_fn):
        raise ValueError(
            "`step_fn` must be a callable `step_fn(tokens, state) -> "
            f"(logits, new_state)`, got step_fn={step_fn!r}"
        )


def prepare_start(initial_state, start_token):
    """Converts the state to tensors and the start token to `(batch,)` int32.

    Returns `(state, start_tokens, batch_size)`; `batch_size` is a (possibly
    dynamic) scalar read from `start_token` when it is a vector, else from
    the first tensor of `initial_state`.
    """
    state = keras.tree.map_structure(ops.convert_to_tensor, initial_state)
    leaves = keras.tree.flatten(state)
    for leaf in leaves:
        if len(leaf.shape) == 0:
            raise ValueError(
                "Every tensor of `initial_state` must have a leading batch "
                f"dimension, got initial_state={describe(state)}"
            )
    if is_integer(start_token):
        if start_token < 0:
            raise ValueError(
                "`start_token` must be a non-negative integer token id or a "
                f"`(batch,)` integer tensor, got start_token={start_token!r}"
            )
        if not leaves:
            raise ValueError(
                "Cannot tell the batch size: `initial_state` holds no tensor "
                "and `start_token` is a single id. Pass `start_token` as a "
                "`(batch,)` integer tensor."
            )
        batch_size = ops.shape(leaves[0])[0]
        start = ops.full((batch_size,), int(start_token), dtype="int32")
        return state, start, batch_size
    start = ops.convert_to_tensor(start_token)
    if len(start.shape) != 1 or "int" not in str(start.dtype):
        raise ValueError(
            "`start_token` must be a non-negative integer token id or a "
            f"`(batch,)` integer tensor, got start_token={start_token!r}"
        )
    start = ops.cast(start, "int32")
    return state, start, ops.shape(start)[0]


def call_step_fn(step_fn, tokens, state):
    """Calls `step_fn` and checks what it returns.

    Returns `(logits, new_state)` with `logits` cast to float32.
    """
    outputs = step_fn(tokens, state)
    if not isinstance(outputs, (tuple, list)) or len(outputs) != 2:
        raise ValueError(
            "`step_fn` must return a pair `(logits, new_state)`, got "
            f"{describe(outputs)}"
        )
    logits, new_state = outputs
    logits = ops.convert_to_tensor(logits)
    if len(logits.shape) != 2:
        raise ValueError(
            "`step_fn` must return logits of shape `(batch, vocab_size)`, "
            f"got logits.shape={tuple(logits.shape)}"
        )
    try:
        # Lists and tuples are interchangeable: Keras cells return `[h, c]`.
        keras.tree.assert_same_structure(
            keras.tree.lists_to_tuples(state),
            keras.tree.lists_to_tuples(new_state),
        )
    except (TypeError, ValueError) as error:
        raise ValueError(
            "`step_fn` must return a state with the structure of "
            f"`initial_state`; expected {describe(state)}, got "
            f"{describe(new_state)}"
        ) from error
    new_state = keras.tree.pack_sequence_as(
        state,
        [ops.convert_to_tensor(x) for x in keras.tree.flatten(new_state)],
    )
    return ops.cast(logits, "float32"), new_state


def check_token_in_vocabulary(name: str, token, logits) -> None:
    """Raises if `token` cannot index the (statically known) vocabulary."""
    vocab_size = logits.shape[-1]
    if token is not None and vocab_size is not None and token >= vocab_size:
        raise ValueError(
            f"`{name}` must be a token id below vocab_size={vocab_size} "
            f"(the last dimension of the logits), got {name}={token}"
        )


def tile_batch(structure, multiples: int):
    """Repeats every tensor of `structure` `multiples` times along the batch
    axis: row `b * multiples + k` holds row `b`, the layout of beam search's
    rows (`rnnzoo.decoding.beam_search`)."""
    return keras.tree.map_structure(
        lambda x: ops.repeat(x, multiples, axis=0), structure
    )


def write_step(outputs, step, values):
    """Returns `outputs` with `outputs[..., step] = values`."""
    max_length = outputs.shape[-1]
    at_step = ops.equal(ops.arange(max_length, dtype="int32"), step)
    return ops.where(at_step, ops.expand_dims(values, -1), outputs)


def decode_token_by_token(
    step_fn: StepFunction,
    initial_state,
    start_token,
    max_length: int,
    choose: TokenChooser,
    end_token=None,
    pad_token: int = 0,
):
    """Runs one sequence per batch row, one token per step.

    The loop behind `greedy_search` and `sample`: `choose(logits, step)`
    picks the next token of every row. Arguments are those of
    `greedy_search`, already checked.

    Returns:
        `(tokens, scores)`: `(batch, max_length)` int32 ids, padded after the
        end token, and `(batch,)` float32 sums of the log-probabilities
        (`log_softmax` of the logits) of the emitted tokens, end token
        included.
    """
    state, tokens, batch_size = prepare_start(initial_state, start_token)
    outputs = ops.full((batch_size, max_length), pad_token, dtype="int32")
    scores = ops.zeros((batch_size,), dtype="float32")
    finished = ops.zeros((batch_size,), dtype="bool")

    def cond(step, tokens, state, outputs, scores, finished):
        return ops.logical_and(
            ops.less(step, max_length), ops.logical_not(ops.all(finished))
        )

    def body(step, tokens, state, outputs, scores, finished):
        logits, state = call_step_fn(step_fn, tokens, state)
        check_token_in_vocabulary("end_token", end_token, logits)
        log_probs = ops.log_softmax(logits, axis=-1)
        tokens = ops.cast(choose(logits, step), "int32")
        token_log_probs = ops.take_along_axis(
            log_probs, ops.expand_dims(tokens, -1), axis=-1
        )[:, 0]
        scores = scores + ops.where(finished, 0.0, token_log_probs)
        emitted = ops.where(finished, pad_token, tokens)
        outputs = write_step(outputs, step, emitted)
        if end_token is not None:
            finished = ops.logical_or(finished, ops.equal(tokens, end_token))
        return step + 1, tokens, state, outputs, scores, finished

    step = ops.convert_to_tensor(0, dtype="int32")
    loop_vars = (step, tokens, state, outputs, scores, finished)
    _, _, _, outputs, scores, _ = ops.while_loop(cond, body, loop_vars)
    return outputs, scores
