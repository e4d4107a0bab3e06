"""Computes, on one Keras backend, the outputs that the cross-backend tests
compare: run as a script in a fresh process, with `KERAS_BACKEND` set
before Keras is imported.

    KERAS_BACKEND=jax python tests/backends/backend_outputs.py OUT.npz

Every weight is drawn from a NumPy generator seeded by the weight's path,
not by the backend's initializers (whose random streams differ between
backends), so each backend computes with the same weights; they are saved
beside the outputs (`weights/<family>/<path>`) for the parent to check.
Saved, under `outputs/<case>`:

* every registered sequence cell (`rnnzoo.layers.cell_names()`, with the
  option sets the layer tests use) run by its sequence layer over a
  padded, masked batch, every step's output and the final states;
* every registered tree cell run by `TreeLSTM` over a batch of trees of
  mixed shapes, every node's output;
* a small attentional `Seq2Seq`: its teacher-forced probabilities, and the
  tokens and scores of a greedy and a beam-search translation;
* greedy and beam search (every beam) over a stateful step function of
  `keras.ops` whose best sequence is not the greedy one.
"""

import functools
import os
import sys
import time
import traceback
from pathlib import Path

# The repository root, so that `tests.layers` imports as a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnnzoo import decoding  # noqa: E402
from rnnzoo import layers  # noqa: E402
from rnnzoo.models import Seq2Seq  # noqa: E402
from tests.layers import random_trees  # noqa: E402
from tests.layers.cases import OPTIONS  # noqa: E402

UNITS = 5
FEATURES = 4
STEPS = 7
# Rows 1 and 2 are padded after 5 and 2 steps.
LENGTHS = (STEPS, 5, 2)
# Weights are N(0, WEIGHT_SCALE): large enough that the gates saturate
# somewhere, small enough that outputs stay away from +-1 everywhere.
WEIGHT_SCALE = 0.4
SOURCE = np.array([[5, 6, 7, 8, 3], [4, 9, 0, 0, 0]], "int32")
MAX_LENGTH = 6
BEAM_WIDTH = 3
VOCABULARY = 6


def sequence_cases() -> dict[str, tuple[str, dict]]:
    """`{case: (cell name, options)}` for every registered sequence cell,
    Keras's own included."""
    cases = {}
    for name in layers.cell_names():
        for suffix, options in OPTIONS.get(name, {"": {}}).items():
            cases[f"{name}-{suffix}" if suffix else name] = (name, options)
    return cases


def seeded_weights(model, family: str) -> dict[str, np.ndarray]:
    """Assigns every weight of the built `model` values drawn from a
    generator seeded by `family` and the weight's path; returns them."""
    assigned = {}
    for weight in model.weights:
        path = weight.path
        seed = [ord(character) for character in f"{family}/{path}"]
        rng = np.random.default_rng(seed)
        values = rng.normal(scale=WEIGHT_SCALE, size=tuple(weight.shape))
        values = values.astype(keras.backend.standardize_dtype(weight.dtype))
        weight.assign(values)
        assigned[f"weights/{family}/{path}"] = values
    return assigned


def sequence_inputs():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(len(LENGTHS), STEPS, FEATURES))
    mask = np.arange(STEPS)[None, :] < np.array(LENGTHS)[:, None]
    return inputs.astype("float32"), mask


def sequence_outputs(results: dict, case: str) -> None:
    """The sequence layer of `case` over a padded, masked batch."""
    inputs, mask = sequence_inputs()
    name, options = sequence_cases()[case]
    layer = layers.get_recurrent_layer(
        name, UNITS, return_sequences=True, return_state=True, **options
    )
    layer.build(inputs.shape)
    results.update(seeded_weights(layer, case))
    outputs, *states = layer(inputs, mask=mask)
    results[f"outputs/{case}/sequence"] = keras.ops.convert_to_numpy(outputs)
    for index, state in enumerate(states):
        results[f"outputs/{case}/state_{index}"] = keras.ops.convert_to_numpy(
            state
        )


def tree_outputs(results: dict, name: str) -> None:
    """`TreeLSTM` running the tree cell `name` over trees of mixed shapes."""
    rng = np.random.default_rng(1)
    slots = 3 if name == "child_sum_tree_lstm" else 2
    node_inputs, children, node_mask, _, _ = random_trees.batch_trees(
        rng, random_trees.mixed_trees(rng, name, slots), FEATURES
    )
    layer = layers.get_recurrent_layer(name, UNITS, return_sequences=True)
    layer(node_inputs, children, node_mask)  # builds it
    results.update(seeded_weights(layer, name))
    outputs = layer(node_inputs, children, node_mask)
    results[f"outputs/{name}/nodes"] = keras.ops.convert_to_numpy(outputs)


def seq2seq_outputs(results: dict) -> None:
    model = Seq2Seq(
        vocab_size=12,
        units=UNITS,
        cell="gru",
        bidirectional=True,
        attention="luong",
    )
    target = np.array([[7, 6, 5], [9, 4, 0]], "int32")
    inputs, _ = model.training_data(SOURCE, target)
    model(inputs)
    results.update(seeded_weights(model, "seq2seq"))
    # Larger logits, so that the search's choices are far from ties.
    head = next(w for w in model.weights if w.path.endswith("logits/kernel"))
    head.assign(keras.ops.convert_to_numpy(head) * 4)
    results["weights/seq2seq/head_scaled"] = keras.ops.convert_to_numpy(head)
    results["outputs/seq2seq/probabilities"] = keras.ops.convert_to_numpy(
        model(inputs)
    )
    for strategy, options in (
        ("greedy", {}),
        ("beam", {"beam_width": BEAM_WIDTH}),
    ):
        result = model.translate(
            SOURCE, MAX_LENGTH, strategy=strategy, **options
        )
        results[f"tokens/seq2seq/{strategy}"] = np.asarray(result.tokens)
        results[f"outputs/seq2seq/{strategy}_scores"] = np.asarray(
            result.scores
        )


def markov_step_function():
    """A step function whose logits depend on the previous token and on a
    state that remembers the whole prefix, so that the best sequence is
    not the greedy one: beams must be reordered, their states gathered."""
    # A seed whose best beam differs from the greedy sequence in both rows,
    # with no two beams' scores within 0.03.
    rng = np.random.default_rng(29)
    table = 1.5 * rng.normal(size=(VOCABULARY, VOCABULARY))
    embedding = rng.normal(size=(VOCABULARY, 3))
    readout = 1.5 * rng.normal(size=(3, VOCABULARY))
    table, embedding, readout = (
        array.astype("float32") for array in (table, embedding, readout)
    )

    def step_fn(tokens, state):
        ops = keras.ops
        logits = ops.take(table, tokens, axis=0) + ops.matmul(state, readout)
        new_state = ops.tanh(state + ops.take(embedding, tokens, axis=0))
        return logits, new_state

    return step_fn


def search_outputs(results: dict) -> None:
    """Greedy search and beam search (every beam) driving a step function
    of `keras.ops`, apart from any model."""
    step_fn = markov_step_function()
    initial_state = np.random.default_rng(3).normal(size=(2, 3))
    initial_state = initial_state.astype("float32")
    options = {"start_token": 1, "max_length": MAX_LENGTH, "end_token": 2}
    tokens, scores = decoding.greedy_search(step_fn, initial_state, **options)
    results["tokens/search/greedy"] = keras.ops.convert_to_numpy(tokens)
    results["outputs/search/greedy_scores"] = keras.ops.convert_to_numpy(scores)
    tokens, scores = decoding.beam_search(
        step_fn,
        initial_state,
        beam_width=BEAM_WIDTH,
        length_penalty=0.6,
        return_all_beams=True,
        **options,
    )
    results["tokens/search/beams"] = keras.ops.convert_to_numpy(tokens)
    results["outputs/search/beam_scores"] = keras.ops.convert_to_numpy(scores)


def computations() -> dict:
    """`{case: function(results)}`: every case, computed apart."""
    cases = {
        case: functools.partial(sequence_outputs, case=case)
        for case in sequence_cases()
    }
    for name in layers.tree_cell_names():
        cases[name] = functools.partial(tree_outputs, name=name)
    cases["seq2seq"] = seq2seq_outputs
    cases["search"] = search_outputs
    return cases


def main(path: str) -> None:
    """Computes every case, each on its own: a case that fails saves its
    error as `errors/<case>` (for the test to show) and the others go on."""
    results = {"backend": np.array(keras.backend.backend())}
    for case, compute in computations().items():
        start = time.perf_counter()
        try:
            compute(results)
        except Exception as error:  # noqa: BLE001 - reported by the test
            message = "".join(traceback.format_exception_only(error))
            results[f"errors/{case}"] = np.array(message[-3000:])
        results[f"seconds/{case}"] = np.array(time.perf_counter() - start)
    np.savez(path, **results)
    seconds = {
        name.partition("/")[2]: round(float(value), 1)
        for name, value in results.items()
        if name.startswith("seconds/")
    }
    print(f"{keras.backend.backend()}: seconds per case {seconds}")


if __name__ == "__main__":
    main(sys.argv[1])
