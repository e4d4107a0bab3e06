"""Presets: a model's config, weights, metadata and assets in one folder.

A preset folder holds

* `config.json`: the model, serialized with `keras.saving`;
* `model.weights.h5`: its weights;
* `metadata.json`: rnnzoo and Keras versions, parameter count, and what the
  caller adds (dataset, metrics, ...);
* `assets/`: what layers save beside their weights (e.g. the vocabulary of
  a `TextVectorization` layer), one sub-folder per layer;
* `preprocessor.json`, for a model with a `preprocessor`: its class and
  options (see `rnnzoo.preprocessors`), its vocabularies in `assets/`.

For download it is packed into one `.tar.gz` archive (`pack_preset`).
`load_preset` takes a folder, an archive, an `https://`/`file://` URL of an
archive, or `hf://org/repo` (through `huggingface_hub`, when installed), and
loads in Keras safe mode: no code from a downloaded file is run.
"""

import json
import os
import shutil
import tarfile
import tempfile
import urllib.parse
from pathlib import Path

import keras

from rnnzoo.zoo import hub

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
ASSETS_DIR = "assets"


def _layers_with_assets(model):
    for layer in model._flatten_layers(include_self=False):
        if hasattr(layer, "save_assets") and hasattr(layer, "load_assets"):
            yield layer


def save_preset(model, directory, metadata=None) -> Path:
    """Saves `model` as a preset folder.

    Args:
        model: A built `keras.Model` (any rnnzoo architecture).
        directory: The folder to write; created if needed.
        metadata: Optional dict merged into `metadata.json`, e.g.
            `{"dataset": "imdb", "metrics": {"accuracy": 0.86}}`.

    Returns:
        The preset folder.
    """
    import rnnzoo

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = keras.saving.serialize_keras_object(model)
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2))
    model.save_weights(directory / WEIGHTS_FILE)
    for layer in _layers_with_assets(model):
        layer_dir = directory / ASSETS_DIR / layer.name
        layer_dir.mkdir(parents=True, exist_ok=True)
        layer.save_assets(str(layer_dir))
    preprocessor = getattr(model, "preprocessor", None)
    if preprocessor is not None:
        preprocessor.save(directory)
    full_metadata = {
        "rnnzoo_version": rnnzoo.__version__,
        "keras_version": keras.__version__,
        "parameter_count": int(model.count_params()),
        **(metadata or {}),
    }
    (directory / METADATA_FILE).write_text(json.dumps(full_metadata, indent=2))
    return directory


def pack_preset(directory, archive_path) -> Path:
    """Packs a preset folder into one `.tar.gz` archive for the hub."""
    directory, archive_path = Path(directory), Path(archive_path)
    with tarfile.open(archive_path, "w:gz") as archive:
        for path in sorted(directory.rglob("*")):
            archive.add(
                path, arcname=path.relative_to(directory), recursive=False
            )
    return archive_path


def extract_archive(archive_path, target_dir) -> Path:
    """Extracts a preset archive inside `target_dir`, and nowhere else.

    Raises:
        ValueError: a member is absolute, climbs out with `..`, or is a link
            or device; nothing is extracted then.
    """
    target_dir = Path(target_dir).resolve()
    with tarfile.open(archive_path, "r:*") as archive:
        for member in archive.getmembers():
            destination = (target_dir / member.name).resolve()
            unsafe = (
                not (member.isfile() or member.isdir())
                or os.path.isabs(member.name)
                or not destination.is_relative_to(target_dir)
            )
            if unsafe:
                raise ValueError(
                    f"Refusing to extract {archive_path}: member "
                    f"{member.name!r} would land outside {target_dir} or is "
                    "not a plain file or folder."
                )
        target_dir.mkdir(parents=True, exist_ok=True)
        archive.extractall(target_dir, filter="data")
    return target_dir


def resolve_preset(path_or_url, sha256=None) -> Path:
    """Returns a local preset folder for any accepted preset location."""
    location = str(path_or_url)
    if location.startswith("hf://"):
        return _from_hugging_face(location[len("hf://") :])
    if "://" in location:
        file_name = Path(urllib.parse.urlsplit(location).path).name
        archive = hub.cache_dir() / file_name
        if not archive.exists() or (
            sha256 is not None and hub.sha256_of(archive) != sha256
        ):
            if hub.is_offline():
                raise hub.DownloadError(
                    f"RNNZOO_OFFLINE is set and {file_name} is not in the "
                    f"cache: expected {archive}."
                )
            hub.download(location, archive, sha256)
        location = archive
    path = Path(location).expanduser()
    if path.is_dir():
        return path
    if path.is_file() and tarfile.is_tarfile(path):
        extracted = path.parent / (_archive_stem(path.name) + "_preset")
        digest = hub.sha256_of(path)
        stamp = extracted / ".source_sha256"
        if not (stamp.exists() and stamp.read_text() == digest):
            _extract_atomically(path, extracted, digest)
        return extracted
    raise FileNotFoundError(
        f"No preset at {path_or_url}: expected a folder with {CONFIG_FILE} "
        f"and {WEIGHTS_FILE}, a .tar.gz archive of one, a URL or hf://org/repo."
    )


def _archive_stem(file_name):
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if file_name.endswith(suffix):
            return file_name[: -len(suffix)]
    return file_name


def _extract_atomically(archive, extracted, digest):
    """Extracts beside `extracted`, then swaps it in: never half a preset."""
    scratch = Path(tempfile.mkdtemp(dir=extracted.parent, prefix=".extract-"))
    try:
        extract_archive(archive, scratch)
        (scratch / ".source_sha256").write_text(digest)
        shutil.rmtree(extracted, ignore_errors=True)
        os.replace(scratch, extracted)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _from_hugging_face(repo_id):
    try:
        import huggingface_hub
    except ImportError as error:
        raise ImportError(
            "hf:// presets need the `huggingface_hub` package: "
            "pip install huggingface_hub"
        ) from error
    return Path(huggingface_hub.snapshot_download(repo_id))


def read_metadata(preset_dir) -> dict:
    path = Path(preset_dir) / METADATA_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def build_from_preset(preset_dir):
    """Builds the model of a preset folder, without its weights."""
    preset_dir = Path(preset_dir)
    config_path = preset_dir / CONFIG_FILE
    if not config_path.exists():
        raise FileNotFoundError(
            f"{preset_dir} is not a preset: {CONFIG_FILE} is missing."
        )
    config = json.loads(config_path.read_text())
    return keras.saving.deserialize_keras_object(config, safe_mode=True)


def load_assets(model, preset_dir) -> None:
    assets = Path(preset_dir) / ASSETS_DIR
    for layer in _layers_with_assets(model):
        layer_dir = assets / layer.name
        if layer_dir.is_dir():
            layer.load_assets(str(layer_dir))


def load_preset(path_or_url, sha256=None):
    """Loads a preset: builds its model and restores weights and assets.

    Args:
        path_or_url: A preset folder, a `.tar.gz` archive of one, an
            `https://` or `file://` URL of an archive, or `hf://org/repo`.
        sha256: Optional pinned sha256 of a downloaded archive.

    Returns:
        The `keras.Model`, ready to predict.

    Example:

    >>> model = rnnzoo.zoo.load_preset("path/to/preset")  # doctest: +SKIP
    """
    preset_dir = resolve_preset(path_or_url, sha256=sha256)
    model = build_from_preset(preset_dir)
    load_assets(model, preset_dir)
    model.load_weights(preset_dir / WEIGHTS_FILE)
    return model
