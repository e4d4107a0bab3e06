"""Training-step and forward-pass times of every candidate, interleaved.

For one size and one `jit_compile` setting, every candidate of
`benchmarks.candidates` gets two compiled functions, a full training step
(forward, backward and Adam update inside one `tf.function`) and a forward
pass; all of them are timed round after round by
`benchmarks.timing.interleaved_times`.
"""

import dataclasses

import keras
import tensorflow as tf
from keras import ops

from benchmarks import timing
from benchmarks.candidates import Candidate
from benchmarks.candidates import Size
from benchmarks.candidates import matmul_states

BASELINE = "keras.LSTM"


@dataclasses.dataclass
class Timings:
    """The times (seconds, one per round) of one candidate in one setting."""

    candidate: Candidate
    size: Size
    jit_compile: bool
    train: list[float]
    forward: list[float]


def model_inputs(candidate: Candidate, size: Size):
    """The model inputs and the training target of `candidate`."""
    sequences = keras.random.normal(
        (size.batch, size.steps, size.features), seed=0
    )
    if candidate.kind == "matmul":
        states = matmul_states(size, candidate.family)
        return [sequences, states], None
    return sequences, None


def compiled_functions(model: keras.Model, inputs, jit_compile: bool):
    """`(train_step, forward)`, both `tf.function`s without arguments.

    The training step is what `model.fit` runs for one batch: forward,
    mean squared error to a fixed target, gradients and an Adam update.
    """
    variables = model.trainable_variables
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    optimizer.build(variables)
    target = ops.zeros_like(model(inputs))
    # The matmul baseline also computes the gradient of its states `H`,
    # as a recurrent layer computes the gradient of the states it feeds
    # back (see `MatmulBaseline`).
    watched = inputs[1] if isinstance(inputs, list) else None

    @tf.function(jit_compile=jit_compile)
    def train_step(inputs, target):
        with tf.GradientTape() as tape:
            if watched is not None:
                tape.watch(inputs[1])
            outputs = model(inputs, training=True)
            loss = ops.mean(ops.square(outputs - target))
        sources = variables + ([inputs[1]] if watched is not None else [])
        gradients = tape.gradient(loss, sources)
        optimizer.apply(gradients[: len(variables)], variables)
        if watched is not None:
            return loss, ops.sum(gradients[-1])
        return loss

    @tf.function(jit_compile=jit_compile)
    def forward(inputs):
        return model(inputs, training=False)

    return (lambda: train_step(inputs, target)), (lambda: forward(inputs))


def time_candidates(
    all_candidates: list[Candidate],
    size: Size,
    jit_compile: bool,
    repeats: int,
) -> dict[str, Timings]:
    """Times every candidate's training step and forward pass, interleaved."""
    functions = {}
    for candidate in all_candidates:
        keras.utils.set_random_seed(0)
        model = candidate.build(size)
        inputs, _ = model_inputs(candidate, size)
        train_step, forward = compiled_functions(model, inputs, jit_compile)
        functions[(candidate.name, "train")] = train_step
        functions[(candidate.name, "forward")] = forward
    # One untimed call each: tracing and compilation.
    times = timing.interleaved_times(functions, repeats=repeats, warmup=1)
    return {
        candidate.name: Timings(
            candidate=candidate,
            size=size,
            jit_compile=jit_compile,
            train=times[(candidate.name, "train")],
            forward=times[(candidate.name, "forward")],
        )
        for candidate in all_candidates
    }
