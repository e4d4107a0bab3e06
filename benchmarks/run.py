"""Runs rnnzoo's speed and memory benchmarks and writes the results.

    python -m benchmarks.run                      # small and large, ~5 min
    python -m benchmarks.run --sizes small --repeats 5
    python -m benchmarks.run --quick --output-dir /tmp/bench   # smoke run

Writes `<output-dir>/<machine>.md` (tables of medians and ratios, and every
target with whether it is met, and why not) and `<output-dir>/<machine>.csv`.
`<machine>` is `cpu-<n>core` (see `benchmarks.rendering.machine_name`) unless
`--machine` names it.
"""

import argparse
import os
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _requested_backend(argv):
    """The value of `--backend` in `argv`, or `None`."""
    for index, argument in enumerate(argv):
        if argument.startswith("--backend="):
            return argument.split("=", 1)[1]
        if argument == "--backend" and index + 1 < len(argv):
            return argv[index + 1]
    return None


# Keras reads its backend once, on import: `--backend` must be set before.
if __name__ == "__main__" and _requested_backend(sys.argv[1:]):
    os.environ["KERAS_BACKEND"] = _requested_backend(sys.argv[1:])

from benchmarks.candidates import SIZES  # noqa: E402

DEFAULT_OUTPUT_DIR = os.path.join(os.path.dirname(__file__), "results")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmarks rnnzoo's recurrent layers and decoders.",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        choices=sorted(SIZES),
        default=["small", "large"],
        help="Layer sizes to run (default: small large).",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="Timed rounds per setting (default: 5).",
    )
    parser.add_argument(
        "--jit-compile",
        choices=("both", "off", "on"),
        default="both",
        help="Time with jit_compile False, True or both (default).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            "Smoke run: the tiny size, 2 rounds and a tiny decoder; checks "
            "that everything runs, its timings mean nothing."
        ),
    )
    parser.add_argument(
        "--backend",
        choices=("tensorflow", "jax"),
        default="tensorflow",
        help=(
            "tensorflow (default): the full suite. jax: the training step of "
            "every rnnzoo layer against Keras's LSTM and a lax.scan LSTM "
            "(`benchmarks.jax_bench`), without TensorFlow."
        ),
    )
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR)
    parser.add_argument(
        "--machine",
        default=None,
        help="Name of the results files (default: cpu-<cores>core).",
    )
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--memory-all",
        action="store_true",
        help="Also measure the memory of the textbook cells.",
    )
    parser.add_argument("--skip-decoding", action="store_true")
    parser.add_argument(
        "--skip-cores",
        action="store_true",
        help="Skip `benchmarks.cores`, the core use of a step's matmul.",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = ["tiny"]
        args.repeats = min(args.repeats, 2)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv=None):
    args = parse_args(argv)
    import keras

    if keras.backend.backend() != args.backend:
        raise SystemExit(
            f"--backend {args.backend} needs Keras on that backend, got "
            f"{keras.backend.backend()!r}: run `python -m benchmarks.run "
            f"--backend {args.backend}` or set KERAS_BACKEND={args.backend}"
        )
    command = "python -m benchmarks.run " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    if args.backend == "jax":
        from benchmarks import jax_bench

        paths = jax_bench.main(
            [SIZES[name] for name in args.sizes],
            args.repeats,
            args.output_dir,
            machine=args.machine,
            command=command.strip() + f" (repeats={args.repeats})",
            log=log,
        )
        log(f"wrote {paths[0]} and {paths[1]}")
        return paths
    return _tensorflow_suite(args, command)


def _tensorflow_suite(args, command):
    import tensorflow as tf

    from benchmarks import cores
    from benchmarks import decoding_bench
    from benchmarks import layers_bench
    from benchmarks import ratios
    from benchmarks import rendering
    from benchmarks import targets
    from benchmarks.candidates import candidates
    from benchmarks.memory import measure_peak_memory
    from benchmarks.memory import setting_key

    # Every candidate gets its own `tf.function`s: that is not retracing.
    tf.get_logger().setLevel("ERROR")
    settings = {
        "both": (False, True),
        "off": (False,),
        "on": (True,),
    }[args.jit_compile]
    machine = args.machine or rendering.machine_name()
    os.makedirs(args.output_dir, exist_ok=True)
    all_candidates = candidates()
    sizes = [SIZES[name] for name in args.sizes]
    notes = []
    if args.quick:
        notes.append(
            "**Smoke run (`--quick`)**: tiny sizes and few rounds; the "
            "timings and target checks mean nothing."
        )
    markdown_path = os.path.join(args.output_dir, f"{machine}.md")
    csv_path = os.path.join(args.output_dir, f"{machine}.csv")
    timings, memory, decoding_results, setups = {}, {}, [], []
    core_use = []

    def write_results(partial):
        rows = []
        for (size_name, jit_compile), timed in timings.items():
            key = setting_key(size_name, jit_compile)
            rows += ratios.layer_rows(timed, all_candidates, memory.get(key))
        checks = targets.check_targets(rows, decoding_results, core_use)
        rendering.write_markdown(
            markdown_path,
            rows,
            decoding_results,
            checks,
            sizes,
            command.strip() + f" (repeats={args.repeats})",
            decoding_setups=setups,
            core_use=core_use,
            notes=notes
            + (
                ["**Partial results**: the run has not finished."]
                if partial
                else []
            ),
        )
        rendering.write_csv(csv_path, rows, decoding_results)

    # Timings first, each setting written as soon as it is done.
    for size in sizes:
        for jit_compile in settings:
            log(f"layers: {size.name}, jit_compile={jit_compile}")
            timings[(size.name, jit_compile)] = layers_bench.time_candidates(
                all_candidates, size, jit_compile, repeats=args.repeats
            )
            write_results(partial=True)

    if not args.skip_decoding:
        log("decoding")
        setups.extend(decoding_bench.setups(quick=args.quick))
        for setup in setups:
            decoding_results += decoding_bench.time_decoders(
                setup, repeats=1 if args.quick else max(3, args.repeats // 2)
            )
        write_results(partial=True)

    if not args.skip_cores:
        log("cores")
        for size in sizes:
            core_use.extend(
                cores.measure_core_use(size.name, repeats=args.repeats)
            )
        write_results(partial=True)

    if not args.skip_memory:
        log("memory")
        names = [
            c.name
            for c in all_candidates
            if c.kind in ("keras", "rnnzoo")
            or (c.kind == "textbook" and args.memory_all)
        ]
        memory.update(
            measure_peak_memory(
                [(size.name, jit) for size in sizes for jit in settings], names
            )
        )
    write_results(partial=False)
    log(f"wrote {markdown_path} and {csv_path}")
    return markdown_path, csv_path


if __name__ == "__main__":
    main()
