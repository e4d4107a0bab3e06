"""`rnnzoo tune`: its options and what it runs.

A single-process search:

    rnnzoo tune vowels_mgu --data-dir data --max-trials 20

The same search spread over processes or machines (see
`rnnzoo.tuning.distributed`): one chief, any number of workers, all with
the same `--output` folder:

    rnnzoo tune vowels_mgu --data-dir data --output tuning/vowels \\
        --max-trials 20 --chief --port 8470
    rnnzoo tune vowels_mgu --data-dir data --output tuning/vowels \\
        --worker w1 --chief-address chief-host:8470
"""

import argparse

from rnnzoo.tuning import distributed

DESCRIPTION = (
    "Searches a zoo model's hyperparameters on its config's data and "
    "exports the best model as a preset and a config. Distributed: one "
    "process runs with --chief --port PORT and serves the search; workers "
    "on any machine run with --worker NAME --chief-address HOST:PORT and "
    "train the trials; all need the same --output folder. KerasTuner's "
    "variables KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and "
    "KERASTUNER_ORACLE_PORT are honoured when neither option is given."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds `rnnzoo tune`'s options to `parser`."""
    from rnnzoo.training.strategies import STRATEGIES

    parser.add_argument("config", help="zoo model name or config YAML path")
    parser.add_argument(
        "--tuner", default="random", choices=("random", "bayesian", "hyperband")
    )
    parser.add_argument("--max-trials", type=int, default=10)
    parser.add_argument(
        "--epochs", type=int, help="per trial (default the config's)"
    )
    parser.add_argument("--data-dir", help="folder of the dataset's files")
    parser.add_argument(
        "--output", help="search folder (default tuning/NAME); resumes"
    )
    parser.add_argument(
        "--objective", default="val_loss", help="metric, or METRIC:min|max"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--overwrite", action="store_true", help="start the search afresh"
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="fix a value instead of tuning it, e.g. --set cell=gru",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help="tf.distribute strategy each trial trains under, e.g. mirrored "
        "on a worker with several GPUs (default none)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    cluster = parser.add_argument_group("distributed search")
    cluster.add_argument(
        "--chief", action="store_true", help="serve the search to workers"
    )
    cluster.add_argument("--port", type=int, help="chief: port to listen on")
    cluster.add_argument(
        "--host",
        default="0.0.0.0",
        help="chief: address to listen on (default every interface)",
    )
    cluster.add_argument(
        "--worker-timeout",
        type=float,
        default=distributed.DEFAULT_WORKER_TIMEOUT_S,
        metavar="SECONDS",
        help="chief: a worker silent this long is presumed dead and its "
        "trial retried (default %(default)g)",
    )
    cluster.add_argument(
        "--worker", metavar="NAME", help="train trials as worker NAME"
    )
    cluster.add_argument(
        "--chief-address", metavar="HOST:PORT", help="worker: the chief"
    )
    cluster.add_argument(
        "--connect-timeout",
        type=float,
        default=distributed.DEFAULT_CONNECT_TIMEOUT_S,
        metavar="SECONDS",
        help="worker: give up when the chief does not answer within this "
        "(default %(default)g)",
    )


def search_role(args) -> distributed.SearchRole | None:
    """The role `--chief` / `--worker` name; `None` leaves it to the
    KerasTuner environment variables (or a single-process search)."""
    if args.chief and args.worker:
        raise ValueError("--chief and --worker exclude each other")
    if args.chief:
        if args.port is None:
            raise ValueError("--chief needs --port, the port to listen on")
        return distributed.SearchRole.chief(
            args.port, host=args.host, worker_timeout=args.worker_timeout
        )
    if args.worker:
        if args.chief_address is None:
            raise ValueError(
                "--worker needs --chief-address HOST:PORT, where the chief "
                "listens"
            )
        return distributed.SearchRole.worker(
            args.worker,
            args.chief_address,
            connect_timeout=args.connect_timeout,
        )
    for option in ("port", "chief_address"):
        if getattr(args, option) is not None:
            flag = "--" + option.replace("_", "-")
            raise ValueError(f"{flag} belongs to a --chief / --worker search")
    return None


def run(args) -> None:
    """Runs the search `args` describe and prints its outcome."""
    from rnnzoo.cli import parse_assignments
    from rnnzoo.tuning.search import run_search

    role = search_role(args)
    strategy = None
    if args.strategy is not None:
        from rnnzoo.training.strategies import resolve_strategy

        strategy = resolve_strategy(args.strategy)
    result = run_search(
        args.config,
        tuner=args.tuner,
        max_trials=args.max_trials,
        epochs=args.epochs,
        data_dir=args.data_dir,
        output_dir=args.output,
        objective=args.objective,
        seed=args.seed,
        overwrite=args.overwrite,
        distribution_strategy=strategy,
        verbose=0 if args.quiet else 1,
        role=role,
        **parse_assignments(args.set),
    )
    if result.preset_dir is None:  # a worker: the chief reports
        trials = ", ".join(result.trials_run) or "none"
        print(f"worker {result.tuner.tuner_id} done; trials run: {trials}")
        return
    print(result.table)
    print(f"best preset: {result.preset_dir}")
    print(f"best config: {result.config_path}")
