"""The `rnnzoo` command: `rnnzoo list | info | download`.

Errors print one line to stderr and exit with status 1.
"""

import argparse
import json
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
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, OSError, RuntimeError) as error:
        message = str(error).splitlines()[0] if str(error) else repr(error)
        print(f"rnnzoo {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
