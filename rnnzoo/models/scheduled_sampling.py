"""Scheduled sampling (Bengio, Vinyals, Jaitly & Shazeer 2015): training a
teacher-forced decoder on its own predictions, more and more often.

At training step `i`, each target step of each sequence reads the true
previous token with probability `ε_i` and the model's own previous
prediction otherwise, `ε_i` decaying by one of the paper's schedules:

```
"linear":          ε_i = max(ε, k - c i)       (0 ≤ ε < 1, k ≤ 1, c > 0)
"exponential":     ε_i = k^i                   (0 < k < 1)
"inverse_sigmoid": ε_i = k / (k + exp(i / k))  (k ≥ 1)
"constant":        ε_i = 1 - probability
```

The prediction is the most probable token (`sampling="argmax"`) or a draw
from the model's distribution (`"sample"`); padding is never predicted. A
zoo config sets it in its training recipe:

```yaml
training:
  scheduled_sampling: {schedule: inverse_sigmoid, k: 2000, sampling: sample}
```

An `EncoderDecoderModel` trained with `set_scheduled_sampling(...)` runs its
decoder step by step in `fit` (`TokenDecoder` reads the probability through
`feeding_scope`); evaluation, prediction and generation are unchanged.
"""

import contextlib
import math
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
from rnnzoo.validation import check_int
from rnnzoo.validation import fail
from rnnzoo.validation import is_number

SCHEDULES = ("linear", "exponential", "inverse_sigmoid", "constant")
SAMPLING = ("argmax", "sample")

# The arguments each schedule takes, beside `sampling` and `seed`, with
# their defaults (`None`: required).
_SCHEDULE_ARGUMENTS = {
    "linear": {"k": 1.0, "c": None, "epsilon": 0.0},
    "exponential": {"k": None},
    "inverse_sigmoid": {"k": None},
    "constant": {"probability": None},
}


def _check_range(name, value, low, high, low_open=False, high_open=False):
    bad = not is_number(value) or not math.isfinite(value)
    if not bad:
        bad = (value <= low if low_open else value < low) or (
            value >= high if high_open else value > high
        )
    if bad:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        fail(name, f"a number in {left}{low:g}, {high:g}{right}", value)
    return float(value)


class ScheduledSampling:
    """A scheduled-sampling recipe: the decay of the probability of
    feeding the truth, and how the model's own token is chosen.

    Args:
        schedule: `"linear"`, `"exponential"`, `"inverse_sigmoid"` or
            `"constant"` (see the module docstring). Default
            `"inverse_sigmoid"`.
        k: The schedule's `k`: for `"linear"` the starting probability of
            the truth, in `(0, 1]` (default 1); for `"exponential"` the
            decay factor per step, in `(0, 1)`; for `"inverse_sigmoid"` the
            steps' scale, at least 1 (the truth's probability is one half
            near step `k ln k`).
        c: For `"linear"`, the decrease per training step, positive.
        epsilon: For `"linear"`, the least probability of the truth, in
            `[0, 1)`. Default 0.
        probability: For `"constant"`, the probability of feeding the
            model's own prediction, in `[0, 1]`.
        sampling: `"argmax"` (default) feeds the most probable token,
            `"sample"` a token drawn from the model's distribution.
        seed: Integer seed of the draws; each training step draws anew.

    Example:

    >>> recipe = ScheduledSampling("inverse_sigmoid", k=10)
    >>> round(float(recipe.sampling_probability(0)), 4)
    0.0909
    >>> round(float(recipe.sampling_probability(50)), 4)
    0.9369
    >>> ScheduledSampling.from_config({"schedule": "exponential", "k": 1.5})
    Traceback (most recent call last):
    ...
    ValueError: `k` must be a number in (0, 1), got k=1.5
    """

    def __init__(
        self,
        schedule: str = "inverse_sigmoid",
        k: float | None = None,
        c: float | None = None,
        epsilon: float | None = None,
        probability: float | None = None,
        sampling: str = "argmax",
        seed: int = 0,
    ):
        self.schedule = check_choice("schedule", schedule, SCHEDULES)
        given = {"k": k, "c": c, "epsilon": epsilon, "probability": probability}
        accepted = _SCHEDULE_ARGUMENTS[schedule]
        for name, value in given.items():
            if value is not None and name not in accepted:
                raise ValueError(
                    f"`{name}` is no argument of the {schedule!r} schedule, "
                    f"which takes {sorted(accepted)}; got {name}={value!r}"
                )
            if value is None and name in accepted:
                if accepted[name] is None:
                    raise ValueError(
                        f"The {schedule!r} schedule needs `{name}`, got "
                        f"{name}=None"
                    )
                given[name] = accepted[name]
        if schedule == "linear":
            self.k = _check_range("k", given["k"], 0.0, 1.0, low_open=True)
            self.c = _check_range("c", given["c"], 0.0, math.inf, True, True)
            self.epsilon = _check_range(
                "epsilon", given["epsilon"], 0.0, 1.0, high_open=True
            )
        elif schedule == "exponential":
            self.k = _check_range("k", given["k"], 0.0, 1.0, True, True)
        elif schedule == "inverse_sigmoid":
            self.k = _check_range("k", given["k"], 1.0, math.inf, False, True)
        else:
            self.probability = _check_range(
                "probability", given["probability"], 0.0, 1.0
            )
        self.sampling = check_choice("sampling", sampling, SAMPLING)
        self.seed = check_int("seed", seed)

    def truth_probability(self, step):
        """`ε_i`: the probability of feeding the true token at training
        step `step` (counted from 0), a float32 scalar tensor."""
        i = ops.cast(step, "float32")
        if self.schedule == "linear":
            return ops.maximum(self.epsilon, self.k - self.c * i)
        if self.schedule == "exponential":
            # k^i through a logarithm: no overflow of an integer power.
            return ops.exp(i * math.log(self.k))
        if self.schedule == "inverse_sigmoid":
            # k / (k + exp(i / k)) = sigmoid(ln k - i / k), which never
            # overflows.
            return ops.sigmoid(math.log(self.k) - i / self.k)
        return ops.convert_to_tensor(1.0 - self.probability, "float32")

    def sampling_probability(self, step):
        """`1 - ε_i`: the probability of feeding the model's own
        prediction at training step `step`."""
        return 1.0 - self.truth_probability(step)

    def get_config(self) -> dict:
        config = {"schedule": self.schedule}
        for name in _SCHEDULE_ARGUMENTS[self.schedule]:
            config[name] = getattr(self, name)
        return {**config, "sampling": self.sampling, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict) -> "ScheduledSampling":
        """The recipe of a config's `training.scheduled_sampling` mapping;
        an unknown key raises a `ValueError` that lists the known ones."""
        if isinstance(config, cls):
            return config
        if not isinstance(config, dict):
            fail("scheduled_sampling", "a mapping", config)
        known = ("schedule", "k", "c", "epsilon", "probability")
        known += ("sampling", "seed")
        unknown = sorted(set(config) - set(known))
        if unknown:
            raise ValueError(
                f"Unknown scheduled-sampling keys {unknown}; expected some "
                f"of {list(known)}"
            )
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(
            f"{k}={v!r}" for k, v in self.get_config().items()
        )
        return f"ScheduledSampling({arguments})"


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


class ScheduledSamplingTraining:
    """Mixin of a `keras.Model` with a `TokenDecoder`: `train_step` runs the
    decoder with scheduled sampling once `set_scheduled_sampling` is
    called, its probability read from `optimizer.iterations` (so it follows
    the training step inside a compiled, XLA or distributed train step and
    resumes with the optimizer)."""

    scheduled_sampling = None

    def set_scheduled_sampling(self, recipe) -> None:
        """Trains with scheduled sampling from the next `fit` on.

        Args:
            recipe: A `ScheduledSampling`, its config (a config's
                `training.scheduled_sampling` mapping), or `None` for plain
                teacher forcing.
        """
        if recipe is not None:
            recipe = ScheduledSampling.from_config(recipe)
        self.scheduled_sampling = recipe
        # The next `fit` traces a train step that reads the new recipe.
        self.train_function = None

    def _training_iteration(self, args):
        """The optimizer's step count in the train step being traced.

        JAX's train step is stateless: it receives the optimizer's
        variables in its `state` (its first argument) rather than reading
        them, so the count is read from there.
        """
        iterations = self.optimizer.iterations
        if keras.backend.backend() != "jax":
            return iterations
        optimizer_values = args[0][2]
        for variable, value in zip(self.optimizer.variables, optimizer_values):
            if variable is iterations:
                return value
        raise ValueError("The optimizer's `iterations` is not in its state")

    def train_step(self, *args, **kwargs):
        recipe = self.scheduled_sampling
        if recipe is None:
            return super().train_step(*args, **kwargs)
        iteration = ops.cast(self._training_iteration(args), "int32")
        seed = ops.stack(
            [ops.convert_to_tensor(recipe.seed, "int32"), iteration]
        )
        probability = recipe.sampling_probability(iteration)
        with feeding_scope(probability, recipe.sampling, seed):
            return super().train_step(*args, **kwargs)
