"""One scheduled-sampling pass of a `TokenDecoder`: the decoder run step
by step, each step fed the true previous token or the model's own
prediction (`rnnzoo.models.scheduled_sampling` sets the probability).

Every random draw of a pass (which steps feed a prediction, the sampled
tokens, dropout masks, attention score noise) is made before the time
loop, so no seed advances inside a compiled loop on any backend.
"""

import contextlib
import threading

import keras
from keras import ops

from rnnzoo.decoding.random_draws import fold_in
from rnnzoo.decoding.random_draws import stateless_uniform
from rnnzoo.layers.decoder_parts import configure_dropout
from rnnzoo.layers.decoder_parts import reset_dropout
from rnnzoo.layers.keras_internals import rnn
from rnnzoo.models.generated_tokens import suppress_padding
from rnnzoo.models.stepping import draw_dropout_masks
from rnnzoo.validation import check_choice

SAMPLING = ("argmax", "sample")


class Feeding:
    """What a decoder needs for one scheduled-sampling pass: the
    probability of feeding its own prediction (a float scalar, possibly a
    tensor), `"argmax"` or `"sample"`, and an int32 `(2,)` seed."""

    def __init__(self, probability, sampling="argmax", seed=(0, 0)):
        self.probability = probability
        self.sampling = check_choice("sampling", sampling, SAMPLING)
        self.seed = seed


_SCOPE = threading.local()


@contextlib.contextmanager
def feeding_scope(probability, sampling: str = "argmax", seed=(0, 0)):
    """Within it, every `TokenDecoder` called teacher-forced feeds its own
    previous prediction with `probability` (scheduled sampling), one step
    at a time.

    `EncoderDecoderModel.train_step` opens it for the training pass when
    scheduled sampling is set; opened by hand it shows what training sees.
    Thread-local: each replica of a `tf.distribute` strategy opens its own.

    Args:
        probability: Probability of feeding the model's prediction, a
            Python float or a float scalar tensor in `[0, 1]`.
        sampling: `"argmax"` or `"sample"`.
        seed: int32 `(2,)` seed of the draws.
    """
    previous = getattr(_SCOPE, "feeding", None)
    _SCOPE.feeding = Feeding(probability, sampling, seed)
    try:
        yield _SCOPE.feeding
    finally:
        _SCOPE.feeding = previous


def active_feeding() -> Feeding | None:
    """The `Feeding` of the innermost open `feeding_scope`, or `None`."""
    return getattr(_SCOPE, "feeding", None)


def _configure_decoder_dropout(decoder, batch, state, training):
    """Per-sequence dropout masks of every cell of `decoder` (a
    `TokenDecoder`), made before the time loop."""
    if not training:
        return
    width = decoder.embedding.output_dim
    if decoder.stack is not None:
        for layer, layer_state in zip(decoder.stack.recurrent_layers, state):
            inputs = ops.zeros((batch, width), decoder.compute_dtype)
            configure_dropout(layer.cell, inputs, layer_state[0])
            width = decoder.units
    if decoder.attention_decoder is not None:
        inputs = ops.zeros((batch, width), decoder.compute_dtype)
        decoder.attention_decoder.configure_dropout(inputs, state[-1])


def _reset_decoder_dropout(decoder):
    if decoder.stack is not None:
        for layer in decoder.stack.recurrent_layers:
            reset_dropout(layer.cell)
    if decoder.attention_decoder is not None:
        decoder.attention_decoder.reset_dropout()


def _gumbel_noise(shape, seed):
    """Gumbel(0, 1) noise: `argmax(logits + noise)` is a draw from
    `softmax(logits)` (the Gumbel-max trick), so every draw of a sequence
    is made before its time loop."""
    uniform = stateless_uniform(
        shape, seed=seed, minval=1e-20, maxval=1.0, dtype="float32"
    )
    return -ops.log(-ops.log(uniform))


def decode_with_feeding(
    decoder,
    feeding: Feeding,
    token_ids,
    memory=None,
    initial_state=None,
    memory_mask=None,
    mask=None,
    training=None,
):
    """A `TokenDecoder`'s teacher-forced pass with scheduled sampling.

    Step `t > 0` reads, for each sequence independently, `token_ids[:, t]`
    with probability `1 - feeding.probability` and the token the decoder
    predicted at step `t - 1` otherwise (its argmax, or a draw); step 0
    reads the start token. Padded target steps keep the state.

    Returns:
        `(logits, alignments)`: `(batch, steps, vocab_size)` logits, zero
        at padded steps, and float32 `(batch, steps, Tv)` alignments
        (`None` without attention).
    """
    token_ids = ops.cast(token_ids, "int32")
    if mask is None:
        mask = ops.not_equal(token_ids, 0)
    batch, steps = ops.shape(token_ids)[0], token_ids.shape[1]
    state = decoder.get_initial_state(batch, memory, initial_state)
    cache = decoder.prepare_memory(memory, memory_mask)
    seed = ops.cast(feeding.seed, "int32")
    draws = stateless_uniform(ops.shape(token_ids), seed=seed)
    own = ops.less(draws, ops.cast(feeding.probability, "float32"))
    # The first step always reads the start token.
    own = ops.logical_and(own, ops.arange(ops.shape(token_ids)[1]) > 0)
    inputs = {
        "truth": ops.expand_dims(token_ids, -1),
        "own": ops.expand_dims(ops.cast(own, "int32"), -1),
    }
    if feeding.sampling == "sample":
        noise_seed = fold_in(seed, 1)
        shape = (batch, ops.shape(token_ids)[1], decoder.vocab_size)
        inputs["noise"] = _gumbel_noise(shape, noise_seed)
    if training and decoder.attention_decoder is not None:
        # A monotonic attention's score noise, drawn before the loop too.
        score_noise = decoder.attention_decoder.draw_score_noise(
            batch, ops.shape(token_ids)[1], cache
        )
        if score_noise is not None:
            inputs["score_noise"] = score_noise
    if training:
        masks = draw_dropout_masks(
            decoder, batch, ops.shape(token_ids)[1], fold_in(seed, 2)
        )
        if masks:
            inputs["dropout"] = masks

    logits_dtype = []  # The step function's, read when it is traced.

    def step_function(step_inputs, states):
        previous_prediction, *flat_state = states
        tokens = ops.where(
            ops.equal(step_inputs["own"], 1),
            previous_prediction,
            step_inputs["truth"],
        )[:, 0]
        decoder_state = keras.tree.pack_sequence_as(state, flat_state)
        logits, new_state, alignment = decoder.step(
            tokens,
            decoder_state,
            cache,
            training=training,
            score_noise=step_inputs.get("score_noise"),
            dropout_masks=step_inputs.get("dropout"),
        )
        choice = suppress_padding(ops.cast(logits, "float32"))
        if "noise" in step_inputs:
            choice = choice + step_inputs["noise"]
        prediction = ops.cast(ops.argmax(choice, axis=-1), "int32")
        outputs = logits
        logits_dtype.append(logits.dtype)
        if alignment is not None:
            # One output tensor: JAX's masked time loop takes no nested
            # outputs. float32 holds float16 logits exactly.
            outputs = ops.concatenate(
                [ops.cast(logits, "float32"), ops.cast(alignment, "float32")],
                axis=-1,
            )
        new_states = [prediction[:, None], *keras.tree.flatten(new_state)]
        return outputs, new_states

    first_prediction = ops.zeros((batch, 1), "int32")
    _configure_decoder_dropout(decoder, batch, state, training)
    try:
        _, outputs, _ = rnn(
            step_function,
            inputs,
            [first_prediction, *keras.tree.flatten(state)],
            mask=mask,
            unroll=False,
            input_length=steps,
            zero_output_for_mask=True,
            return_all_outputs=True,
        )
    finally:
        _reset_decoder_dropout(decoder)
    if decoder.attention_decoder is None:
        return outputs, None
    vocab_size = decoder.vocab_size
    logits = ops.cast(outputs[..., :vocab_size], logits_dtype[-1])
    return logits, outputs[..., vocab_size:]
