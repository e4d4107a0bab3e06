"""Peak memory of one training step, per candidate, from TF's allocator.

How it is measured: TensorFlow's default CPU allocator keeps no statistics
(`tf.config.experimental.get_memory_info("CPU:0")` reports zeros), and
`tracemalloc` does not see TensorFlow's buffers. With the environment
variable `TF_CPU_ALLOCATOR_USE_BFC=true`, TensorFlow allocates host memory
through its BFC allocator, which counts the bytes in use and their peak.
So the measurement runs in a child process with that variable set (the
allocator changes speed a little, so it is never used for the timings):

1. read the bytes in use (`current`) before the candidate's model exists,
2. build the model and its optimizer, run one training step (tracing and
   compilation; XLA's buffers also come from this allocator),
3. reset the peak (`tf.config.experimental.reset_memory_stats`), run
   `MEASURED_STEPS` more steps and read the peak: the executor runs
   independent ops in a different order from step to step, which moves a
   step's peak by a few MB, and the highest is the one that must fit.

The result, `peak - current before the model`, is what the candidate adds
at the height of a training step: weights, Adam slots, the batch, the
activations kept for the backward pass and the temporaries of the step.

Limits: memory that bypasses TensorFlow's allocator is not counted (the
Python heap, oneDNN's and XLA's own small scratch buffers, compiled code).
The peak is the allocator's, which rounds requests up to its bin sizes.

Run as a module, it measures the given candidates and prints one JSON line:
`python -m benchmarks.memory --settings small:0 large:1 --names keras.LSTM`.
"""

import argparse
import gc
import json
import os

from benchmarks.child_process import json_from_child

MEMORY_ENVIRONMENT = {"TF_CPU_ALLOCATOR_USE_BFC": "true"}
MEASURED_STEPS = 3


def measure_in_this_process(settings, names):
    """`{"size:jit": {name: peak bytes}}` for the named candidates."""
    import tensorflow as tf

    from benchmarks.candidates import SIZES
    from benchmarks.candidates import candidates
    from benchmarks.layers_bench import compiled_functions
    from benchmarks.layers_bench import model_inputs

    if os.environ.get("TF_CPU_ALLOCATOR_USE_BFC") != "true":
        raise RuntimeError(
            "Memory is measured with TF_CPU_ALLOCATOR_USE_BFC=true; run it "
            "through `measure_peak_memory`"
        )
    tf.get_logger().setLevel("ERROR")
    by_name = {c.name: c for c in candidates()}
    results = {}
    for size_name, jit_compile in settings:
        size = SIZES[size_name]
        table = results[setting_key(size_name, jit_compile)] = {}
        for name in names:
            gc.collect()
            memory_info = tf.config.experimental.get_memory_info
            before = memory_info("CPU:0")["current"]
            candidate = by_name[name]
            model = candidate.build(size)
            inputs, _ = model_inputs(candidate, size)
            train_step, _ = compiled_functions(model, inputs, jit_compile)
            train_step()
            tf.config.experimental.reset_memory_stats("CPU:0")
            for _ in range(MEASURED_STEPS):
                loss = train_step()
                tf.nest.map_structure(lambda x: x.numpy(), loss)
            table[name] = memory_info("CPU:0")["peak"] - before
            del model, inputs, train_step, loss
    return results


def setting_key(size_name: str, jit_compile: bool) -> str:
    return f"{size_name}:{int(jit_compile)}"


def measure_peak_memory(
    settings: list[tuple[str, bool]], names: list[str]
) -> dict[str, dict[str, int]]:
    """Measures the candidates in a child process (see the module doc).

    Args:
        settings: `(size name, jit_compile)` pairs.
        names: Candidate names.

    Returns:
        `setting_key(size, jit_compile)` to name to peak bytes.
    """
    arguments = [
        "--settings",
        *[setting_key(*setting) for setting in settings],
        "--names",
        *names,
    ]
    return json_from_child(
        "benchmarks.memory", arguments, MEMORY_ENVIRONMENT, what="memory"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings", nargs="+", required=True, help="size:jit, e.g. small:0"
    )
    parser.add_argument("--names", nargs="+", required=True)
    args = parser.parse_args(argv)
    settings = []
    for setting in args.settings:
        size_name, jit_compile = setting.split(":")
        settings.append((size_name, jit_compile == "1"))
    print(json.dumps(measure_in_this_process(settings, args.names)))


if __name__ == "__main__":
    main()
