"""Polyphonic music: JSB Chorales as multi-hot piano rolls over 88 keys.

Examples are `{"piano_roll": float32 (steps, 88)}`: column `k` is MIDI
pitch `21 + k` (A0 ... C8), 1.0 where the note sounds at that quarter-note
step. A step with no note (a rest) is all zeros.
"""

import json
import pickle
from pathlib import Path

import numpy as np
import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import find_file

JSB_SOURCE = (
    "https://github.com/czhuang/JSB-Chorales-dataset "
    "(jsb-chorales-quarter.json or .pkl, the Boulanger-Lewandowski 2012 "
    "split)"
)
LOWEST_PITCH = 21
NUM_KEYS = 88
MUSIC_DTYPES = {"piano_roll": tf.float32}
_SPLIT_KEYS = {"train": "train", "validation": "valid", "test": "test"}


def piano_roll(steps, out_of_range: str = "error", where="") -> np.ndarray:
    """Turns a list of chords into a multi-hot piano roll.

    Args:
        steps: One sequence of MIDI pitches per time step (`[]` for a
            rest).
        out_of_range: What to do with a pitch outside the piano's 21..108:
            `"error"` (default) raises `DataFormatError`, `"drop"` leaves it
            out of the roll. (Every pitch of JSB Chorales lies in 43..96.)
        where: Names the sequence in error messages.

    Returns:
        A float32 array `(len(steps), 88)`.

    Example:

    >>> roll = piano_roll([[60, 64, 67], []])
    >>> roll.shape, np.flatnonzero(roll[0]).tolist()
    ((2, 88), [39, 43, 46])
    """
    if out_of_range not in ("error", "drop"):
        raise ValueError(
            "`out_of_range` must be 'error' or 'drop', got "
            f"out_of_range={out_of_range!r}"
        )
    roll = np.zeros((len(steps), NUM_KEYS), dtype=np.float32)
    for step, chord in enumerate(steps):
        for pitch in chord:
            key = int(pitch) - LOWEST_PITCH
            if 0 <= key < NUM_KEYS:
                roll[step, key] = 1.0
            elif out_of_range == "error":
                raise DataFormatError(
                    f"{where}step {step}: MIDI pitch {pitch} is outside the "
                    f"piano's {LOWEST_PITCH}..{LOWEST_PITCH + NUM_KEYS - 1}; "
                    "pass out_of_range='drop' to leave such pitches out."
                )
    return roll


class _PianoRollUnpickler(pickle.Unpickler):
    """Unpickles lists, tuples, dicts and NumPy scalars, and nothing else,
    so a pickle file cannot run code."""

    def find_class(self, module, name):
        if (module, name) == ("numpy", "dtype"):
            return np.dtype
        if (module, name) == ("_codecs", "encode"):
            # How protocol-2 pickles written by Python 3 store bytes.
            import codecs

            return codecs.encode
        if name == "scalar" and module in (
            "numpy.core.multiarray",
            "numpy._core.multiarray",
        ):
            try:
                from numpy._core import multiarray
            except ImportError:  # NumPy 1.x
                from numpy.core import multiarray
            return multiarray.scalar
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: a piano-roll pickle holds "
            "only lists of pitch tuples"
        )


def read_chorales(path) -> dict:
    """Reads `{"train", "valid", "test"}` lists of chorales from JSON or
    pickle; each chorale a list of steps, each step a list of pitches."""
    path = Path(path)
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            with open(path, "rb") as file:
                data = _PianoRollUnpickler(file, encoding="latin1").load()
    except (
        json.JSONDecodeError,
        pickle.UnpicklingError,
        UnicodeDecodeError,
        EOFError,
        ValueError,
    ) as error:
        raise DataFormatError(
            f"Could not read {path}: expected a dict with 'train', 'valid' "
            f"and 'test' lists of chorales ({error})."
        ) from error
    if not isinstance(data, dict) or not set(_SPLIT_KEYS.values()) <= set(data):
        found = sorted(data) if isinstance(data, dict) else type(data)
        raise DataFormatError(
            f"{path}: expected a dict with 'train', 'valid' and 'test' "
            f"lists of chorales, found {found}."
        )
    return data


def load_jsb_chorales(
    split: str, data_dir, out_of_range: str = "error"
) -> tf.data.Dataset:
    """Loads JSB Chorales at quarter-note steps (Boulanger-Lewandowski
    et al. 2012 split: 229 / 76 / 77 chorales).

    Reads `data_dir/jsb_chorales/jsb-chorales-quarter.json`, else the
    `.pkl` of the same data (read without running any code it might hold).

    Args:
        split: `"train"`, `"validation"` or `"test"` (`valid` in the file).
        data_dir: The data root or the JSB folder.
        out_of_range: `"error"` or `"drop"`, for pitches outside 21..108
            (see `piano_roll`).

    Returns:
        A dataset of `{"piano_roll": float32 (steps, 88)}`.
    """
    path = find_file(
        data_dir,
        "jsb_chorales",
        ["jsb-chorales-quarter.json", "jsb-chorales-quarter.pkl"],
        "jsb_chorales",
        JSB_SOURCE,
    )
    chorales = read_chorales(path)[_SPLIT_KEYS[split]]
    if not chorales:
        raise DataFormatError(f"{path} holds no {split} chorales.")
    rolls = [
        piano_roll(
            chorale, out_of_range, where=f"{path}, {split} chorale {index}, "
        )
        for index, chorale in enumerate(chorales)
    ]
    return examples_dataset({"piano_roll": rolls}, MUSIC_DTYPES)
