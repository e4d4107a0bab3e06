"""The preprocessor of polyphonic music models, and `save_midi`, which
writes a piano roll as a playable standard MIDI file.

A music model (`rnnzoo.models.LanguageModel` with `multi_hot=True`, such as
the published `jsb_music_gru.jsb_chorales`) reads and writes piano rolls:
float `(steps, 88)` frames, column `k` being MIDI pitch `21 + k`, one step
per quarter note (see `rnnzoo.data.music`). Its continuations are rolls
too; `save_midi` makes them something to listen to.

Writing MIDI needs the optional `pretty_midi` package:
`pip install "rnnzoo[midi]"`.
"""

import os
import uuid
from pathlib import Path

import numpy as np

from rnnzoo.data.music import LOWEST_PITCH
from rnnzoo.preprocessors.base import Preprocessor
from rnnzoo.preprocessors.base import register_preprocessor
from rnnzoo.validation import check_int
from rnnzoo.validation import check_number
from rnnzoo.validation import check_positive_number

#: A JSB Chorales step is a quarter note: at 120 bpm, half a second.
SECONDS_PER_STEP = 0.5
DEFAULT_VELOCITY = 80
#: General MIDI program 0, Acoustic Grand Piano.
DEFAULT_PROGRAM = 0
#: Ticks per quarter note; 480 is what most sequencers write.
_TICKS_PER_STEP = 480
_HIGHEST_MIDI_PITCH = 127


def _import_pretty_midi():
    try:
        import pretty_midi
    except ImportError as error:
        raise ImportError(
            "Writing MIDI files needs the `pretty_midi` package: "
            'pip install "rnnzoo[midi]" (or pip install pretty_midi).'
        ) from error
    return pretty_midi


def _checked_roll(roll, lowest_pitch, threshold) -> np.ndarray:
    """The roll as a bool array `(steps, keys)`: True where a note sounds."""
    if hasattr(roll, "tokens") and not hasattr(roll, "shape"):
        raise ValueError(
            "`roll` must be one piano roll (steps, keys), got a "
            f"{type(roll).__name__}: pass `result.tokens[0]` (the first "
            "row of the generated frames)."
        )
    try:
        values = np.asarray(roll, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "`roll` must be a numeric piano roll (steps, keys) of 0/1 or "
            f"probabilities, got {type(roll).__name__} ({error})"
        ) from error
    if values.ndim != 2:
        hint = (
            ": for a batch (batch, steps, keys) pass one row, e.g. `roll[0]`"
            if values.ndim == 3
            else ""
        )
        raise ValueError(
            "`roll` must have rank 2, (steps, keys), got shape "
            f"{values.shape}{hint}"
        )
    if np.isnan(values).any():
        raise ValueError(
            "`roll` must hold 0/1 or probabilities, got NaN at (step, key) "
            f"{tuple(int(i) for i in np.argwhere(np.isnan(values))[0])}"
        )
    keys = values.shape[1]
    highest = lowest_pitch + keys - 1
    if highest > _HIGHEST_MIDI_PITCH:
        raise ValueError(
            f"`roll` has {keys} keys, which from lowest_pitch={lowest_pitch} "
            f"reach MIDI pitch {highest}, past the highest, "
            f"{_HIGHEST_MIDI_PITCH}: expected at most "
            f"{_HIGHEST_MIDI_PITCH + 1 - lowest_pitch} keys (an 88-key roll "
            f"starts at lowest_pitch={LOWEST_PITCH})."
        )
    return values >= threshold


def roll_to_notes(roll, threshold: float = 0.5):
    """The notes of a piano roll as `(key, first step, end step)` triples,
    sorted by start then key; the end step is exclusive.

    A key on over consecutive steps is one held note: a roll cannot tell a
    held note from a repeated one, and reading it as held is the usual
    convention for piano rolls.

    Args:
        roll: Array `(steps, keys)`: 0/1, or probabilities.
        threshold: A key sounds where its value is at least this.

    Example:

    >>> from rnnzoo.data.music import piano_roll
    >>> roll_to_notes(piano_roll([[60, 64], [60, 67], [], [60]]))
    [(39, 0, 2), (43, 0, 1), (46, 1, 2), (39, 3, 4)]
    """
    return _notes(np.asarray(roll) >= threshold)


def _notes(on: np.ndarray):
    edges = np.diff(np.pad(on.astype(np.int8), ((1, 1), (0, 0))), axis=0)
    # Per key, starts and ends alternate in time, so the k-th start of a
    # key pairs with its k-th end.
    start_steps, start_keys = np.nonzero(edges.T == 1)[::-1]
    end_steps, end_keys = np.nonzero(edges.T == -1)[::-1]
    notes = [
        (int(key), int(start), int(end))
        for key, start, end in zip(start_keys, start_steps, end_steps)
    ]
    return sorted(notes, key=lambda note: (note[1], note[0]))


def save_midi(
    roll,
    path,
    seconds_per_step: float = SECONDS_PER_STEP,
    lowest_pitch: int = LOWEST_PITCH,
    velocity: int = DEFAULT_VELOCITY,
    program: int = DEFAULT_PROGRAM,
    threshold: float = 0.5,
) -> Path:
    """Writes a piano roll as a playable standard MIDI file.

    A key on over consecutive steps is one held note. The file's tempo
    makes a step one quarter note (`60 / seconds_per_step` bpm), so a
    notation program shows the roll's own beat. The file is written under
    a temporary name in the same folder and then renamed: an error leaves
    no partial file (and an existing file at `path` as it was).

    Needs `pretty_midi` (`pip install "rnnzoo[midi]"`).

    Args:
        roll: Array `(steps, keys)` of 0/1 (a generated roll), or of
            probabilities; column `k` is MIDI pitch `lowest_pitch + k`.
        path: The file to write (`.mid` by convention); its folder must
            exist. An existing file is replaced.
        seconds_per_step: Duration of one step; the default, 0.5, is a
            quarter note at 120 bpm.
        lowest_pitch: MIDI pitch of column 0: 21 (A0) for an 88-key roll.
        velocity: Loudness of every note, 1..127.
        program: General MIDI instrument, 0..127 (0: acoustic grand
            piano, 19: church organ, 52: choir aahs).
        threshold: A key sounds where its value is at least this.

    Returns:
        The path written, as a `pathlib.Path`.

    Example:

    >>> import pathlib, tempfile
    >>> import pretty_midi
    >>> from rnnzoo.data.music import piano_roll
    >>> roll = piano_roll([[60, 64, 67], [60, 64, 67], [62, 65], []])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_midi(roll, pathlib.Path(folder) / "chords.mid")
    ...     notes = pretty_midi.PrettyMIDI(str(path)).instruments[0].notes
    >>> sorted((n.pitch, float(n.start), float(n.end)) for n in notes)
    [(60, 0.0, 1.0), (62, 1.0, 1.5), (64, 0.0, 1.0), (65, 1.0, 1.5), \
(67, 0.0, 1.0)]
    """
    seconds_per_step = check_positive_number(
        "seconds_per_step", seconds_per_step, unit="seconds"
    )
    lowest_pitch = check_int(
        "lowest_pitch", lowest_pitch, 0, _HIGHEST_MIDI_PITCH
    )
    velocity = check_int("velocity", velocity, 1, 127)
    program = check_int("program", program, 0, 127)
    check_number("threshold", threshold)
    on = _checked_roll(roll, lowest_pitch, threshold)
    path = _checked_path(path)
    pretty_midi = _import_pretty_midi()

    tempo = 60.0 / seconds_per_step
    music = pretty_midi.PrettyMIDI(
        resolution=_TICKS_PER_STEP, initial_tempo=tempo
    )
    instrument = pretty_midi.Instrument(
        program=program, name=pretty_midi.program_to_instrument_name(program)
    )
    for key, start, end in _notes(on):
        instrument.notes.append(
            pretty_midi.Note(
                velocity=velocity,
                pitch=lowest_pitch + key,
                start=start * seconds_per_step,
                end=end * seconds_per_step,
            )
        )
    music.instruments.append(instrument)
    _write_atomically(path, music.write)
    return path


def _checked_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(
            "`path` must be a file path (str or pathlib.Path), got "
            f"{type(path).__name__}: {path!r}"
        )
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"`path` must name a file, got the folder {str(path)!r}: add a "
            "file name such as 'music.mid'."
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"`path`'s folder {str(path.parent)!r} does not exist: create "
            f"it first (path={str(path)!r})."
        )
    return path


def _write_atomically(path: Path, write) -> None:
    """Calls `write(file)` on a new file beside `path`, then renames it to
    `path`; on any error the new file is removed."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    # O_EXCL: never write into someone else's file; mode 0o666 lets the
    # umask give the file the permissions a plain `open` would.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@register_preprocessor("music_modelling")
class MusicPreprocessor(Preprocessor):
    """Piano rolls in and out: the model reads frames `(batch, steps, 88)`
    as they are; `save_midi` writes a generated roll as a MIDI file.

    Args:
        vectorizer: Unused (music has no vocabulary); `None`.
        lowest_pitch: MIDI pitch of the rolls' column 0: 21 (A0) for the
            88 piano keys.
        seconds_per_step: Duration of one step in the MIDI files: 0.5, a
            quarter note at 120 bpm.
        velocity: Loudness of every note, 1..127.
        program: General MIDI instrument, 0..127.

    Example:

    >>> import pathlib, tempfile
    >>> import pretty_midi
    >>> from rnnzoo.data.music import piano_roll
    >>> preprocessor = MusicPreprocessor(seconds_per_step=0.25)
    >>> roll = piano_roll([[55, 62], [55, 62], [57, 64]])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = preprocessor.save_midi(roll, pathlib.Path(folder) / "a.mid")
    ...     music = pretty_midi.PrettyMIDI(str(path))
    >>> len(music.instruments[0].notes), float(music.get_end_time())
    (4, 0.75)
    """

    needs_vectorizer = False

    def __init__(
        self,
        vectorizer=None,
        lowest_pitch: int = LOWEST_PITCH,
        seconds_per_step: float = SECONDS_PER_STEP,
        velocity: int = DEFAULT_VELOCITY,
        program: int = DEFAULT_PROGRAM,
    ):
        super().__init__(vectorizer)
        # Checked now, so a bad preset fails on loading, not on saving.
        self.lowest_pitch = check_int(
            "lowest_pitch", lowest_pitch, 0, _HIGHEST_MIDI_PITCH
        )
        self.seconds_per_step = check_positive_number(
            "seconds_per_step", seconds_per_step, unit="seconds"
        )
        self.velocity = check_int("velocity", velocity, 1, 127)
        self.program = check_int("program", program, 0, 127)

    def model_inputs(self, raw):
        raise NotImplementedError(
            "A music model reads piano rolls: pass float frames (batch, "
            "steps, 88), e.g. from `rnnzoo.data.music.piano_roll(chords)`."
        )

    def save_midi(self, roll, path) -> Path:
        """Writes a piano roll `(steps, keys)` as a MIDI file with this
        preprocessor's options (see `rnnzoo.preprocessors.music.save_midi`).

        Returns:
            The path written.
        """
        return save_midi(
            roll,
            path,
            seconds_per_step=self.seconds_per_step,
            lowest_pitch=self.lowest_pitch,
            velocity=self.velocity,
            program=self.program,
        )

    def get_config(self) -> dict:
        return {
            "lowest_pitch": self.lowest_pitch,
            "seconds_per_step": self.seconds_per_step,
            "velocity": self.velocity,
            "program": self.program,
        }

    @classmethod
    def from_model(cls, model, vectorizer, metadata):
        return cls()

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({options})"
