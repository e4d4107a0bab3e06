"""The `rnnzoo` command: `rnnzoo list | info | download | predict | train
| evaluate | verify | tune | bench`.

Errors print one line to stderr (a config error, one line per problem)
and exit with status 1.
"""

import argparse
import json
import os
import sys


def _list(args):
    from rnnzoo.zoo import list_models

    for name in list_models(args.pattern, pretrained=args.pretrained):
        print(name)


def _info(args):
    from rnnzoo.zoo import model_info

    print(json.dumps(model_info(args.name), indent=2, sort_keys=False))


def _download(args):
    from rnnzoo.zoo.registry import fetch_weights

    print(fetch_weights(args.name))


def _predict(args):
    from rnnzoo.zoo import predict

    inputs = predict.read_inputs(args.inputs, args.file)
    model = predict.load_model(args.name)
    predictions = predict.predict(
        model,
        inputs,
        output_midi=args.output_midi,
        strategy=args.strategy,
        beam_width=args.beam_width,
        max_length=args.max_length,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
        replace_unknown=args.replace_unknown,
    )
    text = predict.format_predictions(predictions, as_json=args.json)
    if text or args.json:
        print(text)


def _add_predict_parser(commands):
    from rnnzoo.decoding import STRATEGIES

    predict = commands.add_parser(
        "predict",
        help="run a published model (or a preset) on texts, image files or "
        ".npy arrays; one result per input",
        description="Runs a model on raw inputs and prints one result per "
        "input: a line each (the tagger's as token/TAG ...), or with --json "
        "one JSON list of {input, result} (and classifiers' probabilities). "
        "Inputs are texts for the text models, image files (or .npy images) "
        "for the captioner, .npy arrays (steps, features) or (batch, steps, "
        "features) for the numeric models; a blank input gives an empty "
        "result.",
    )
    predict.add_argument(
        "name",
        metavar="NAME.TAG",
        help="a zoo model (NAME alone: its default tag), or a preset folder "
        "or archive",
    )
    predict.add_argument(
        "inputs", nargs="*", help="texts, image files or .npy files"
    )
    predict.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="a text file of inputs, one a line (- for standard input), "
        "read after the inputs given as arguments; repeatable",
    )
    predict.add_argument(
        "--json", action="store_true", help="print one JSON document"
    )
    predict.add_argument("--strategy", choices=STRATEGIES)
    predict.add_argument("--beam-width", type=int)
    predict.add_argument(
        "--max-length", type=int, help="most tokens (steps) generated"
    )
    predict.add_argument("--temperature", type=float)
    predict.add_argument("--top-k", type=int)
    predict.add_argument("--seed", type=int, help="for repeatable sampling")
    predict.add_argument(
        "--replace-unknown",
        action=argparse.BooleanOptionalAction,
        help="translator: write the most-attended source word for each "
        "[UNK] (default: as the model's default decoding says)",
    )
    predict.add_argument(
        "--output-midi",
        metavar="PATH",
        help="music model: write each prompt and its continuation as MIDI "
        "(PATH, then STEM-2.mid, ...) instead of printing the notes",
    )
    predict.set_defaults(run=_predict)


def parse_assignments(pairs):
    """`["units=8", "cell=gru"]` to `{"units": 8, "cell": "gru"}` (values
    read as YAML)."""
    import yaml

    overrides = {}
    for pair in pairs or []:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {pair!r}")
        overrides[key] = yaml.safe_load(value)
    return overrides


def _train(args):
    from rnnzoo.training import train

    overrides = parse_assignments(args.set)
    for key in ("epochs", "batch_size", "learning_rate", "clipnorm"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    result = train(
        args.config,
        data_dir=args.data_dir,
        output_dir=args.output,
        strategy=args.strategy,
        precision=args.precision,
        jit_compile=False if args.no_jit else None,
        schedule=args.schedule,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
        **overrides,
    )
    summary = {
        "name": result.name,
        "epochs": result.epochs,
        "split": result.split,
        "metrics": result.metrics,
        "strategy": result.strategy,
        "preset": None if result.preset_dir is None else str(result.preset_dir),
        "archive": None if result.archive is None else str(result.archive),
        "sha256": result.sha256,
    }
    print(json.dumps(summary, indent=2))


def _evaluate(args):
    from rnnzoo.training import evaluate

    metrics = evaluate(
        args.preset,
        args.config,
        data_dir=args.data_dir,
        split=args.split,
        batch_size=args.batch_size,
    )
    print(json.dumps(metrics, indent=2))


def _verify(args):
    from rnnzoo.zoo import verify

    return verify.run(args)


def _add_verify_parser(commands):
    from rnnzoo.zoo import verify

    parser = commands.add_parser(
        "verify",
        help="measure published weights on their full split and compare "
        "with the recorded metrics (exit 1 on a difference)",
    )
    verify.add_arguments(parser)
    parser.set_defaults(run=_verify)


def _add_train_parser(commands):
    from rnnzoo.training.precision import PRECISIONS
    from rnnzoo.training.strategies import STRATEGIES

    train = commands.add_parser(
        "train",
        help="train a zoo model from its config, evaluate it, export a preset",
    )
    train.add_argument("config", help="zoo model name or config YAML path")
    train.add_argument("--data-dir", help="folder of the dataset's files")
    train.add_argument(
        "--output", help="run folder (default runs/NAME); resumes if present"
    )
    train.add_argument("--strategy", default="auto", choices=STRATEGIES)
    train.add_argument("--precision", default="auto", choices=PRECISIONS)
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int, help="global batch size")
    train.add_argument("--learning-rate", type=float)
    train.add_argument(
        "--clipnorm", type=float, help="global-norm clipping (0: off)"
    )
    train.add_argument(
        "--schedule",
        choices=("constant", "cosine", "linear"),
        help="learning-rate schedule",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--no-jit", action="store_true", help="do not XLA-compile the step"
    )
    train.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override an architecture argument, e.g. --set units=256",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)
    evaluate = commands.add_parser(
        "evaluate", help="measure a trained preset on a split of its dataset"
    )
    evaluate.add_argument("preset", help="preset folder, archive or URL")
    evaluate.add_argument(
        "--config", help="zoo config (default: the preset's own)"
    )
    evaluate.add_argument("--data-dir", help="folder of the dataset's files")
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--batch-size", type=int)
    evaluate.set_defaults(run=_evaluate)


def _tune(args):
    from rnnzoo.tuning import command

    return command.run(args)


def _add_tune_parser(commands):
    from rnnzoo.tuning import command

    parser = commands.add_parser(
        "tune",
        help="search a zoo model's hyperparameters with KerasTuner (on one "
        "machine or spread over several)",
        description=command.DESCRIPTION,
    )
    command.add_arguments(parser)
    parser.set_defaults(run=_tune)


def _benchmark_runner():
    """`benchmarks.run` of the source checkout in the current folder: the
    suite lives beside the package, not in it (see `benchmarks/README.md`)."""
    root = os.getcwd()
    if not os.path.isfile(os.path.join(root, "benchmarks", "run.py")):
        raise RuntimeError(
            "`rnnzoo bench` runs the benchmark suite of a source checkout; "
            f"expected benchmarks/run.py in the current folder {root}, found "
            "none (run it from the repository root)"
        )
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks import run

    return run


def _bench(args):
    _benchmark_runner().main(args.benchmark_arguments)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="rnnzoo", description="rnnzoo's model zoo from the command line."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list zoo models")
    listing.add_argument(
        "pattern",
        nargs="?",
        default="*",
        help="fnmatch wildcard, e.g. '*lstm*'",
    )
    listing.add_argument(
        "--pretrained",
        action="store_true",
        help="list name.tag for each published weight",
    )
    listing.set_defaults(run=_list)
    info = commands.add_parser("info", help="show a zoo model's config")
    info.add_argument("name")
    info.set_defaults(run=_info)
    download = commands.add_parser(
        "download", help="download a zoo model's weights into the cache"
    )
    download.add_argument("name", help="NAME or NAME.TAG")
    download.set_defaults(run=_download)
    _add_predict_parser(commands)
    _add_train_parser(commands)
    _add_verify_parser(commands)
    _add_tune_parser(commands)
    # Its arguments are `python -m benchmarks.run`'s (`rnnzoo bench --help`
    # prints them), passed through as they are.
    bench = commands.add_parser(
        "bench",
        add_help=False,
        help="run the speed benchmarks of a source checkout "
        "(python -m benchmarks.run)",
    )
    bench.set_defaults(run=_bench)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "bench":
        args.benchmark_arguments = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        status = args.run(args)
    except (ValueError, OSError, RuntimeError) as error:
        from rnnzoo.zoo.schema import ConfigError

        lines = str(error).splitlines() or [repr(error)]
        if not isinstance(error, ConfigError):
            lines = lines[:1]  # Past the first line, detail.
        for line in lines:
            print(f"rnnzoo {args.command}: error: {line}", file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
