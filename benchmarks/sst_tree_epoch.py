"""One training epoch of the zoo's Tree-LSTM on the Stanford Sentiment
Treebank, timed: the number `zoo_configs/sst_treelstm.yaml` trains with.

    python -m benchmarks.sst_tree_epoch --data-dir ../shared/data
    python -m benchmarks.sst_tree_epoch --data-dir DIR --jit-compile both

The model is the config's (binary N-ary Tree-LSTM, 150 units, 300-d
embeddings, a softmax at every node), the data its pipeline (8,544
training trees, batches of 25 bucketed by their number of nodes). One
untimed epoch of a few batches traces the step for every bucket shape;
then a whole epoch of the training split is timed, with and/or without
`jit_compile`. Writes `<output-dir>/sst_treelstm_epoch-<machine>.md`.
A shared machine's load changes the time: the load average is recorded
beside it.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from benchmarks import rendering  # noqa: E402
from rnnzoo import data  # noqa: E402
from rnnzoo.training import config_data  # noqa: E402
from rnnzoo.training import recipe  # noqa: E402
from rnnzoo.zoo import registry  # noqa: E402

CONFIG = "sst_treelstm"
DEFAULT_OUTPUT_DIR = os.path.join(os.path.dirname(__file__), "results")


def time_epoch(config, task_data, task, jit_compile: bool) -> dict:
    """Seconds of one epoch over the training split, after a warm-up pass
    that traces (and compiles) the step of every bucket shape."""
    keras.utils.set_random_seed(0)
    training = config["training"]
    model = registry.build_model(
        config, **task.data_arguments(task_data, config)
    )
    recipe.compile_model(
        model,
        task,
        training,
        recipe.make_optimizer(training, training["learning_rate"]),
        jit_compile,
    )
    train = task_data["train"]
    start = time.perf_counter()
    # Warm-up: every bucket's full batch and its last partial one.
    model.fit(train, epochs=1, verbose=0)
    warm_up = time.perf_counter() - start
    load = os.getloadavg()[0]
    start = time.perf_counter()
    model.fit(train, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    steps = recipe.count_batches(train)
    return {
        "jit_compile": jit_compile,
        "seconds": seconds,
        "first_epoch_seconds": warm_up,
        "steps": steps,
        "ms_per_step": 1000 * seconds / steps,
        "load": load,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sst_tree_epoch",
        description="Times one SST training epoch of sst_treelstm.",
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument(
        "--jit-compile", choices=("off", "on", "both"), default="off"
    )
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--machine", default=None)
    args = parser.parse_args(argv)
    config = registry.get_config(CONFIG)
    task = config_data.task_of(config)
    task_data = data.make_pipelines(
        config["data"]["dataset"],
        config["training"]["batch_size"],
        splits=["train"],
        vocabulary_size=config["data"].get("vocabulary_size"),
        data_dir=args.data_dir,
        **task.pipeline_options(config, seed=0),
    )
    settings = {"off": [False], "on": [True], "both": [False, True]}
    rows = [
        time_epoch(config, task_data, task, jit)
        for jit in settings[args.jit_compile]
    ]
    arguments = config["architecture"]["arguments"]
    lines = [
        f"# One SST training epoch of `{CONFIG}`",
        "",
        f"`python -m benchmarks.sst_tree_epoch --jit-compile "
        f"{args.jit_compile}`: `{arguments['cell']}`, {arguments['units']} "
        f"units, {arguments['embedding_dim']}-d embeddings, batches of "
        f"{config['training']['batch_size']} trees, on "
        f"{os.cpu_count()} CPU cores shared with other jobs (load average "
        "beside each time).",
        "",
        "| jit_compile | epoch | first epoch (tracing) | steps "
        "| per step | load average |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['jit_compile']} | {row['seconds']:.1f} s "
            f"| {row['first_epoch_seconds']:.1f} s | {row['steps']} "
            f"| {row['ms_per_step']:.0f} ms | {row['load']:.1f} |"
        )
    machine = args.machine or rendering.machine_name()
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, f"sst_treelstm_epoch-{machine}.md")
    with open(path, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
