"""Where published preset archives live, and how they reach the cache.

The released archives sit in the repository's `hub/` folder, beside a
`manifest.json`. `DEFAULT_WEIGHTS_URL` is the one place that says where that
folder is served; `RNNZOO_WEIGHTS_URL` points at a mirror instead: an
`https://` or `file://` URL, or a local folder holding a copy of `hub/`.

Downloads go through `keras.utils.get_file` (progress bar, clean-up of a
broken transfer) into a temporary name, are checked against the pinned
sha256, and only then move into the cache under `RNNZOO_HOME` (default
`<Keras home>/rnnzoo`). A cached file is checked again on every use. With
`RNNZOO_OFFLINE=1` nothing touches the network.

Offline first: in a source checkout (or any install that ships `hub/`
beside the package) an archive found there with the pinned hash is copied
into the cache instead of downloaded, unless `RNNZOO_WEIGHTS_URL` names
another hub.
"""

import hashlib
import os
import shutil
import urllib.parse
from pathlib import Path

import keras

DEFAULT_WEIGHTS_URL = (
    "https://raw.githubusercontent.com/rnnzoo/rnnzoo/main/hub/"
)


class DownloadError(RuntimeError):
    """A file could not be fetched, or did not match its pinned hash."""


def cache_dir() -> Path:
    """The folder cached archives live in: `RNNZOO_HOME` or its default."""
    home = os.environ.get("RNNZOO_HOME")
    if home:
        return Path(home).expanduser()
    keras_home = os.environ.get("KERAS_HOME", os.path.join("~", ".keras"))
    return Path(keras_home).expanduser() / "rnnzoo"


def checkout_hub() -> Path:
    """The `hub/` folder of the source checkout rnnzoo runs from (it may
    not exist, e.g. for an installed wheel)."""
    return Path(__file__).resolve().parents[2] / "hub"


def weights_url() -> str:
    """The base URL of the hub: `RNNZOO_WEIGHTS_URL` or the default.

    A plain folder path becomes a `file://` URL; the result ends in `/`.
    """
    base = os.environ.get("RNNZOO_WEIGHTS_URL") or DEFAULT_WEIGHTS_URL
    if "://" not in base:
        base = Path(base).expanduser().resolve().as_uri()
    return base if base.endswith("/") else base + "/"


def is_offline() -> bool:
    return os.environ.get("RNNZOO_OFFLINE", "").lower() in ("1", "true", "yes")


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(file_name: str, sha256: str, base_url: str | None = None) -> Path:
    """Returns the cached path of a hub file, downloading it if needed.

    Args:
        file_name: The file's name in the hub, e.g.
            `"sentiment_bilstm.imdb.tar.gz"`.
        sha256: Its pinned sha256, checked after the download and on every
            cache hit.
        base_url: The hub to fetch from; default `weights_url()`.

    Returns:
        The path of the verified file in `cache_dir()`.

    Raises:
        DownloadError: offline without a cached copy, a failed transfer, or
            a hash mismatch. A mismatching file is never left in the cache.
    """
    if "/" in file_name or "\\" in file_name or file_name in ("", ".", ".."):
        raise ValueError(
            f"`file_name` must be a plain file name, got {file_name!r}"
        )
    target = cache_dir() / file_name
    if target.exists():
        if sha256_of(target) == sha256:
            return target
        target.unlink()  # Stale or corrupt: never trusted, fetched again.
    local = checkout_hub() / file_name
    if (
        base_url is None
        and not os.environ.get("RNNZOO_WEIGHTS_URL")
        and local.is_file()
        and sha256_of(local) == sha256
    ):
        return _copy_into_cache(local, target)
    if is_offline():
        raise DownloadError(
            f"RNNZOO_OFFLINE is set and {file_name} is not in the cache: "
            f"expected {target}. Unset RNNZOO_OFFLINE or copy the file there."
        )
    url = urllib.parse.urljoin(base_url or weights_url(), file_name)
    return download(url, target, sha256)


def download(url: str, target: Path, sha256: str | None) -> Path:
    """Downloads `url` to `target` via a temporary file; checks the hash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial_name = f".{target.name}.partial"
    partial = target.parent / partial_name
    try:
        keras.utils.get_file(
            fname=partial_name,
            origin=url,
            cache_dir=str(target.parent),
            cache_subdir=".",
            force_download=True,
        )
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, Exception):
            raise DownloadError(f"Could not download {url}: {error}") from error
        raise
    actual = sha256_of(partial)
    if sha256 is not None and actual != sha256:
        partial.unlink()
        raise DownloadError(
            f"The file downloaded from {url} is corrupt: expected sha256 "
            f"{sha256}, got {actual}. Nothing was cached; try again or use "
            "another mirror (RNNZOO_WEIGHTS_URL)."
        )
    os.replace(partial, target)
    return target


def _copy_into_cache(source: Path, target: Path) -> Path:
    """Copies a verified local archive into the cache, via a temporary
    name, so the cache never holds half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{target.name}.partial"
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
