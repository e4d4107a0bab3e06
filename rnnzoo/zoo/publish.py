"""Publishing a trained run: its preset archive copied into the hub folder,
hashed, and registered in its zoo config's `weights:` list with what the
run measured; and the hub's `manifest.json`, regenerated from the files.

    python -m rnnzoo.zoo.publish RUN_DIR --tag sst2 --license "research use"
    python -m rnnzoo.zoo.publish --manifest      # only refresh the manifest

A run folder is what `rnnzoo train` writes (`preset/metadata.json`,
`<name>.tar.gz`). The config file keeps its hand-written part as it is:
only its `weights:` list and `default_tag:` (generated, at the end of the
file) are rewritten.
"""

import argparse
import json
import os
import re
import shutil
from pathlib import Path

import yaml

from rnnzoo.zoo import hub
from rnnzoo.zoo import presets
from rnnzoo.zoo import registry
from rnnzoo.zoo.schema import load_config

HUB_DIR = Path(__file__).resolve().parents[2] / "hub"
MANIFEST_FILE = "manifest.json"
# Top-level keys this module owns in a config file.
GENERATED_KEYS = ("comparisons", "weights", "default_tag")


def archive_name(name: str, tag: str) -> str:
    """The hub file of `name.tag`: `"<name>.<tag>.tar.gz"`."""
    return f"{name}.{tag}.tar.gz"


def weights_entry_from_run(
    run_dir,
    tag: str,
    license: str,
    hub_dir=HUB_DIR,
    hardware: str | None = None,
    description: str | None = None,
    training_time_minutes: float | None = None,
) -> dict:
    """Copies a run's archive into `hub_dir` and returns its weights entry.

    Args:
        run_dir: The `rnnzoo train` output folder.
        tag: The weights' tag (usually the dataset).
        license: The weights' license (that of the training data).
        hub_dir: The hub folder the archive is copied into.
        hardware: What it was trained on; default the CPU count of this
            machine, e.g. `"2 CPU cores"`.
        description: Optional free text.
        training_time_minutes: The wall-clock training time; default the
            run's own record, which covers only the last process of a run
            that was stopped and resumed.

    Returns:
        A `weights:` entry (see `rnnzoo.zoo.schema.WEIGHTS_ENTRY`).
    """
    run_dir, hub_dir = Path(run_dir), Path(hub_dir)
    metadata = presets.read_metadata(run_dir / "preset")
    name = metadata["name"]
    source = run_dir / f"{name}.tar.gz"
    if not source.exists():
        raise FileNotFoundError(
            f"Expected the run's archive {source}; run `rnnzoo train` to the "
            "end first"
        )
    hub_dir.mkdir(parents=True, exist_ok=True)
    target = hub_dir / archive_name(name, tag)
    shutil.copyfile(source, target)
    training = metadata.get("training") or {}
    if training_time_minutes is None:
        training_time_minutes = training.get("training_time_minutes", 0.0)
    entry = {
        "tag": tag,
        "file": target.name,
        "sha256": hub.sha256_of(target),
        "dataset": metadata["dataset"],
        "split": metadata["split"],
        "metrics": {
            key: round(float(value), 6)
            for key, value in metadata["metrics"].items()
        },
        "license": license,
        "parameters": int(metadata["parameter_count"]),
        "epochs": int(metadata["epochs"]),
        "training_time_minutes": round(float(training_time_minutes), 1),
        "hardware": hardware or f"{os.cpu_count()} CPU cores",
        "size_bytes": target.stat().st_size,
    }
    if description:
        entry["description"] = description
    return entry


def register_weights(config_path, entry: dict, default: bool = True) -> dict:
    """Puts `entry` into the config file's `weights:` list (replacing the
    entry of the same tag) and, with `default`, makes it `default_tag`.

    Returns:
        The config as loaded back and checked.
    """
    config = load_config(config_path)
    weights = [w for w in config.get("weights", []) if w["tag"] != entry["tag"]]
    config["weights"] = weights + [entry]
    if default:
        config["default_tag"] = entry["tag"]
    return write_generated(config_path, config)


def write_generated(config_path, config: dict) -> dict:
    """Rewrites the generated keys (`GENERATED_KEYS`) at the end of the
    config file from `config`; the hand-written part stays as it is.

    Returns:
        The config as loaded back and checked.
    """
    config_path = Path(config_path)
    text = strip_generated(config_path.read_text(encoding="utf-8"))
    generated = {key: config[key] for key in GENERATED_KEYS if config.get(key)}
    text += yaml.safe_dump(
        generated, sort_keys=False, default_flow_style=False, width=76
    )
    config_path.write_text(text, encoding="utf-8")
    return load_config(config_path)


def strip_generated(text: str) -> str:
    """`text` without its top-level generated blocks (`GENERATED_KEYS`)."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        top_level = re.match(r"^([A-Za-z_][\w-]*):", line)
        if top_level:
            skipping = top_level.group(1) in GENERATED_KEYS
        if not skipping:
            kept.append(line)
    result = "".join(kept)
    return result if result.endswith("\n") else result + "\n"


def write_manifest(hub_dir=HUB_DIR) -> Path:
    """Writes `hub_dir/manifest.json`: every archive's name, size and
    sha256, and the zoo entry it belongs to."""
    hub_dir = Path(hub_dir)
    owners = {}
    for name in registry.list_models():
        for entry in registry.get_config(name).get("weights", []):
            owners[entry["file"]] = f"{name}.{entry['tag']}"
    files = [
        {
            "file": path.name,
            "model": owners.get(path.name),
            "size_bytes": path.stat().st_size,
            "sha256": hub.sha256_of(path),
        }
        for path in sorted(hub_dir.glob("*.tar.gz"))
    ]
    manifest = hub_dir / MANIFEST_FILE
    manifest.write_text(json.dumps({"files": files}, indent=2) + "\n")
    return manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnzoo.zoo.publish",
        description="Publish a trained run to the hub and its config.",
    )
    parser.add_argument("run_dir", nargs="?", help="rnnzoo train output")
    parser.add_argument("--tag", help="weights tag, e.g. the dataset")
    parser.add_argument("--license", help="license of the weights")
    parser.add_argument("--config", help="config file (default: the zoo's)")
    parser.add_argument("--hub", default=str(HUB_DIR), help="hub folder")
    parser.add_argument("--hardware", help="e.g. '2 CPU cores'")
    parser.add_argument("--description")
    parser.add_argument(
        "--training-time-minutes",
        type=float,
        help="wall-clock time of a run resumed over several processes",
    )
    parser.add_argument(
        "--manifest",
        action="store_true",
        help="only regenerate the hub's manifest.json",
    )
    args = parser.parse_args(argv)
    if not args.manifest:
        if not (args.run_dir and args.tag and args.license):
            parser.error("RUN_DIR, --tag and --license are required")
        entry = weights_entry_from_run(
            args.run_dir,
            args.tag,
            args.license,
            hub_dir=args.hub,
            hardware=args.hardware,
            description=args.description,
            training_time_minutes=args.training_time_minutes,
        )
        name = presets.read_metadata(Path(args.run_dir) / "preset")["name"]
        config_path = args.config or registry.configs_dir() / f"{name}.yaml"
        register_weights(config_path, entry)
        print(json.dumps(entry, indent=2))
    print(write_manifest(args.hub))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
