"""Speed and memory ratios against the baselines timed in the same run.

Every ratio divides two candidates timed in the same interleaved rounds
(`benchmarks.timing.paired_ratio`), so the load of a shared machine cancels
out. A layer's baselines are `keras.layers.LSTM`, the textbook cell of its
family and the plain matmuls of its matmul FLOPs; a decoder's are the Python
loops of the same model and search strategy.

Rows are found by id, never by a piece of their display name: a layer row
by its candidate's name (`"keras.LSTM"`, `"textbook/mgu"`), a decoder by
`decoder_id`.
"""

import dataclasses

from benchmarks import timing
from benchmarks.candidates import matmul_candidate_for
from benchmarks.decoding_bench import MODEL_STEPS_ONLY
from benchmarks.layers_bench import BASELINE


@dataclasses.dataclass
class LayerRow:
    """One candidate in one setting, with its ratios.

    A ratio is `None` where the candidate has no such baseline (a matmul
    has no same-FLOPs matmul, a Keras layer no textbook cell) or where its
    memory was not measured.

    Attributes:
        size: The size's name.
        jit_compile: Whether the functions were compiled with XLA.
        name: The candidate's name, the row's id.
        kind: `"rnnzoo"`, `"keras"`, `"textbook"` or `"matmul"`.
        family: The recurrent family whose FLOPs the candidate has.
        train_ms: Median training step, in milliseconds.
        forward_ms: Median forward pass, in milliseconds.
        train_vs_lstm: Training step over `keras.layers.LSTM`'s.
        forward_vs_lstm: Forward pass over `keras.layers.LSTM`'s.
        textbook_vs_train: The textbook cell's training step over this
            layer's: how many times faster the layer is.
        train_vs_matmul: Training step over the same-FLOPs matmul's.
        forward_vs_matmul: Forward pass over the same-FLOPs matmul's.
        peak_memory_mb: Peak memory of a training step, in MiB.
        memory_vs_lstm: Peak memory over `keras.layers.LSTM`'s.
    """

    size: str
    jit_compile: bool
    name: str
    kind: str
    family: str
    train_ms: float
    forward_ms: float
    train_vs_lstm: float
    forward_vs_lstm: float
    textbook_vs_train: float | None
    train_vs_matmul: float | None
    forward_vs_matmul: float | None
    peak_memory_mb: float | None = None
    memory_vs_lstm: float | None = None


def layer_rows(timings, all_candidates, memory=None) -> list[LayerRow]:
    """Rows for one `(size, jit_compile)` from `time_candidates` results.

    Args:
        timings: Name to `Timings`, all of one size and setting.
        all_candidates: The candidates that were timed.
        memory: Optional name to peak bytes of a training step.

    Returns:
        One `LayerRow` per timed candidate, in the order of `timings`.
    """
    baseline = timings[BASELINE]
    memory = memory or {}
    rows = []
    for name, timed in timings.items():
        candidate = timed.candidate
        textbook = timings.get(f"textbook/{candidate.family}")
        textbook_vs_train = None
        if candidate.kind == "rnnzoo" and textbook is not None:
            textbook_vs_train = timing.paired_ratio(textbook.train, timed.train)
        train_vs_matmul = forward_vs_matmul = None
        if candidate.kind != "matmul":
            matmul = timings[
                matmul_candidate_for(candidate.family, all_candidates).name
            ]
            train_vs_matmul = timing.paired_ratio(timed.train, matmul.train)
            forward_vs_matmul = timing.paired_ratio(
                timed.forward, matmul.forward
            )
        peak = memory.get(name)
        rows.append(
            LayerRow(
                size=timed.size.name,
                jit_compile=timed.jit_compile,
                name=name,
                kind=candidate.kind,
                family=candidate.family,
                train_ms=1000 * timing.median(timed.train),
                forward_ms=1000 * timing.median(timed.forward),
                train_vs_lstm=timing.paired_ratio(timed.train, baseline.train),
                forward_vs_lstm=timing.paired_ratio(
                    timed.forward, baseline.forward
                ),
                textbook_vs_train=textbook_vs_train,
                train_vs_matmul=train_vs_matmul,
                forward_vs_matmul=forward_vs_matmul,
                peak_memory_mb=None if peak is None else peak / 2**20,
                memory_vs_lstm=(
                    None
                    if peak is None or not memory.get(BASELINE)
                    else peak / memory[BASELINE]
                ),
            )
        )
    return rows


# `decoding_bench.decoders` names a decoder `<search>/<implementation>`
# (`"beam5/python loop, eager"`); the implementation, looked up whole, is
# its id, so a renamed or new decoder fails loudly instead of matching the
# wrong baseline.
DECODER_IDS = {
    "rnnzoo tf.function": "rnnzoo",
    "rnnzoo XLA": "rnnzoo_xla",
    f"{MODEL_STEPS_ONLY}, tf.function": "model_steps",
    f"{MODEL_STEPS_ONLY}, XLA": "model_steps_xla",
    "python loop, eager": "python_loop_eager",
    "python loop, tf.function step": "python_loop_step",
}
RNNZOO_DECODERS = ("rnnzoo", "rnnzoo_xla")
PYTHON_LOOPS = ("python_loop_eager", "python_loop_step")


def decoder_id(result) -> str:
    """The id of a `DecodingResult`'s decoder, one of `DECODER_IDS`'s
    values."""
    implementation = result.name.partition("/")[2]
    if implementation not in DECODER_IDS:
        raise ValueError(
            "Expected a decoder named `<search>/<implementation>` with an "
            f"implementation in {sorted(DECODER_IDS)}, got {result.name!r}"
        )
    return DECODER_IDS[implementation]


def decoding_speedups(decoding_results):
    """Every decoder's tokens/s against the Python loops of its model and
    strategy.

    Args:
        decoding_results: The `DecodingResult`s of one run.

    Yields:
        `(result, speedup over the eager loop, speedup over the
        tf.function-step loop)`, a speedup `None` where that loop was not
        timed.
    """
    loops = {}
    for result in decoding_results:
        decoder = decoder_id(result)
        if decoder in PYTHON_LOOPS:
            loops[(result.model, result.strategy, decoder)] = (
                result.tokens_per_second
            )
    for result in decoding_results:
        speedups = []
        for loop in PYTHON_LOOPS:
            baseline = loops.get((result.model, result.strategy, loop))
            speedups.append(
                None
                if baseline is None
                else result.tokens_per_second / baseline
            )
        yield (result, *speedups)
