"""Finding and reading a dataset's local files, and the errors they raise.

Every loader looks for its files the same way: `data_dir` is either the
root that holds one folder per dataset (as `../shared/data` does:
`data_dir/ptb/ptb.train.txt.gz`) or that dataset's folder itself
(`data_dir/ptb.train.txt.gz`). Compressed (`.gz`) and plain copies are both
accepted where a dataset ships either.
"""

import gzip
import io
import os
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path

DATA_DIR_VARIABLE = "RNNZOO_DATA_DIR"


class DataNotFoundError(FileNotFoundError):
    """A dataset's file is missing: the message names the path(s) looked
    at and where the data can be obtained."""


class DataFormatError(ValueError):
    """A dataset's file exists but does not hold what its format promises:
    the message names the file, the line where known, and what was
    expected."""


def resolve_data_dir(data_dir) -> Path | None:
    """Returns `data_dir`, else `$RNNZOO_DATA_DIR`, else `None`."""
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_VARIABLE) or None
    return None if data_dir is None else Path(data_dir).expanduser()


def find_file(
    data_dir,
    folder: str,
    names: Sequence[str],
    dataset: str,
    source: str,
) -> Path:
    """Finds the first of `names` in `data_dir/folder` or in `data_dir`.

    Args:
        data_dir: The data root, or the dataset's own folder.
        folder: The dataset's folder name under the data root.
        names: Accepted file names, best first (e.g. the `.gz` copy, then
            the plain one).
        dataset: The dataset's name, for the error message.
        source: Where the data can be obtained, for the error message.

    Returns:
        The path of the first file found.

    Raises:
        DataNotFoundError: none of the names exists in either place.
    """
    data_dir = Path(data_dir)
    candidates = [data_dir / folder / name for name in names]
    candidates += [data_dir / name for name in names]
    for path in candidates:
        if path.exists():
            return path
    raise DataNotFoundError(
        f"{dataset}: expected {candidates[0]}"
        + (
            f" (or {', '.join(str(path.name) for path in candidates[1:])} "
            f"in {data_dir / folder} or {data_dir})"
            if len(candidates) > 1
            else ""
        )
        + f", but found none. Obtain the data from {source}."
    )


def missing_data_dir_error(dataset: str, layout: str, source: str):
    """The error for a dataset that needs local files and got no
    `data_dir`."""
    return DataNotFoundError(
        f"{dataset} is read from local files and no `data_dir` was given "
        f"(nor ${DATA_DIR_VARIABLE}). Pass data_dir= the folder that holds "
        f"{layout}. Obtain the data from {source}."
    )


def read_text(path) -> str:
    """Reads a UTF-8 text file, gunzipping it when its name ends in `.gz`.

    Raises:
        DataFormatError: the file is not valid gzip or UTF-8.
    """
    path = Path(path)
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as file:
                raw = file.read()
        else:
            raw = path.read_bytes()
        return raw.decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataFormatError(
            f"Could not read {path}: expected a "
            f"{'gzip-compressed ' if path.name.endswith('.gz') else ''}"
            f"UTF-8 text file ({error})."
        ) from error
    except UnicodeDecodeError as error:
        raise DataFormatError(
            f"Could not read {path}: expected UTF-8 text, found a byte that "
            f"is not ({error})."
        ) from error


def read_lines(path) -> list[str]:
    """The lines of a (possibly gzipped) text file, without line ends."""
    return read_text(path).splitlines()


def iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """`(line_number, line)` pairs of `text`, numbered from 1."""
    for number, line in enumerate(io.StringIO(text), start=1):
        yield number, line.rstrip("\r\n")


def reject_options(dataset: str, options: dict) -> None:
    """Raises for loading options a dataset does not take."""
    if options:
        raise TypeError(
            f"{dataset} takes no loading options, got {sorted(options)}"
        )
