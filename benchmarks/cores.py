"""How many cores the recurrent matmul of one step can use.

Half of a recurrent layer's matmul FLOPs are its recurrent matmuls (forward
`h U`, backward `dz U^T`), and each waits for the previous step: they form a
chain of small matmuls, `(batch, R * units)` by `(R * units, G * units)`,
however the layer is written. The matmul baseline does the same FLOPs as
one large matmul. This module measures how fast each kind runs with one
thread and with all of them; the ratio says how many cores each
kind puts to work, and so how close to the baseline a layer can come.

The number of threads is fixed when TensorFlow starts, so each thread count
runs in a child process. In each, for every matmul shape (`G x R` as in
`benchmarks.candidates.MATMUL_SHAPES`) and with and without XLA, two
functions are timed, interleaved:

* `step`: a `while_loop` over the steps whose body multiplies the state by
  `U` and turns the product back into the next state (a sum over the gate
  blocks, a `tanh`, and for `R = 2` the previous state beside it);
* `whole`: the same FLOPs in one matmul, `(steps * batch, R * units)` by
  `U`.

Run as a module, it prints one JSON line:
`python -m benchmarks.cores --size large --threads 1`.
"""

import argparse
import dataclasses
import json

from benchmarks import timing
from benchmarks.candidates import MATMUL_SHAPES
from benchmarks.candidates import SIZES
from benchmarks.candidates import Size
from benchmarks.child_process import json_from_child

KINDS = ("step", "whole")


@dataclasses.dataclass
class CoreUse:
    """One matmul kind of one shape, timed with one thread and with all.

    Attributes:
        size: The size's name.
        shape: `"GxR"`, the gate blocks and state blocks of the matmul.
        kind: `"step"` (the chain of per-step matmuls) or `"whole"` (one
            matmul of the same FLOPs).
        jit_compile: Whether the functions were compiled with XLA.
        flops: Floating-point operations of the matmuls.
        one_thread_seconds: Median time with one thread (one intra-op and
            one inter-op thread).
        all_threads_seconds: Median time with TensorFlow's default threads.
    """

    size: str
    shape: str
    kind: str
    jit_compile: bool
    flops: int
    one_thread_seconds: float
    all_threads_seconds: float

    @property
    def speedup(self) -> float:
        """How much faster all threads are than one."""
        return self.one_thread_seconds / self.all_threads_seconds

    def gflops(self, seconds: float) -> float:
        return self.flops / seconds / 1e9


def matmul_shapes() -> list[tuple[int, int]]:
    """The distinct `(G, R)` of `MATMUL_SHAPES`, in its order."""
    return list(dict.fromkeys(MATMUL_SHAPES.values()))


def matmul_flops(size: Size, gates: int, recurrent_inputs: int) -> int:
    """FLOPs of the recurrent matmuls of one sequence pass."""
    rows = size.steps * size.batch
    return 2 * rows * recurrent_inputs * size.units * gates * size.units


def _functions(size: Size, gates: int, recurrent_inputs: int, jit_compile):
    import tensorflow as tf

    units, batch = size.units, size.batch
    kernel = tf.random.normal((recurrent_inputs * units, gates * units)) * 0.05
    state = tf.random.normal((batch, recurrent_inputs * units))
    states = tf.random.normal((size.steps * batch, recurrent_inputs * units))

    def next_state(state):
        product = tf.matmul(state, kernel)
        new = tf.tanh(tf.reduce_sum(tf.reshape(product, (batch, gates, -1)), 1))
        if recurrent_inputs == 1:
            return new
        return tf.concat([new, state[:, : (recurrent_inputs - 1) * units]], 1)

    @tf.function(jit_compile=jit_compile)
    def step():
        return tf.while_loop(
            lambda index, _: index < size.steps,
            lambda index, state: (index + 1, next_state(state)),
            (tf.constant(0), state),
        )[1]

    @tf.function(jit_compile=jit_compile)
    def whole():
        return tf.matmul(states, kernel)

    return {"step": step, "whole": whole}


def measure_in_this_process(size_name: str, repeats: int) -> dict:
    """`{"GxR:kind:jit": median seconds}` with this process's threads."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    size = SIZES[size_name]
    functions = {}
    for gates, recurrent_inputs in matmul_shapes():
        for jit_compile in (False, True):
            made = _functions(size, gates, recurrent_inputs, jit_compile)
            for kind in KINDS:
                key = f"{gates}x{recurrent_inputs}:{kind}:{int(jit_compile)}"
                functions[key] = made[kind]
    times = timing.interleaved_times(functions, repeats=repeats, warmup=1)
    return {key: timing.median(values) for key, values in times.items()}


def _measure_in_child(size_name: str, threads: int | None, repeats: int):
    arguments = ["--size", size_name, "--repeats", str(repeats)]
    if threads is not None:
        arguments += ["--threads", str(threads)]
    return json_from_child("benchmarks.cores", arguments, what="core-use")


def measure_core_use(size_name: str, repeats: int = 9) -> list[CoreUse]:
    """Times every shape and kind with one thread and with all, each in a
    child process (see the module doc)."""
    one = _measure_in_child(size_name, 1, repeats)
    every = _measure_in_child(size_name, None, repeats)
    size = SIZES[size_name]
    results = []
    for key, seconds in one.items():
        shape, kind, jit_compile = key.split(":")
        gates, recurrent_inputs = (int(n) for n in shape.split("x"))
        results.append(
            CoreUse(
                size=size_name,
                shape=shape,
                kind=kind,
                jit_compile=jit_compile == "1",
                flops=matmul_flops(size, gates, recurrent_inputs),
                one_thread_seconds=seconds,
                all_threads_seconds=every[key],
            )
        )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="Intra- and inter-op threads (default: TensorFlow's).",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    print(json.dumps(measure_in_this_process(args.size, args.repeats)))


if __name__ == "__main__":
    main()
