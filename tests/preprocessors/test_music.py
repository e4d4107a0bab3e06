"""`save_midi` and the music preprocessor: the files are read back with
pretty_midi itself, and the published JSB model writes playable music."""

import json
import os
import stat
import sys

import numpy as np
import pytest

import rnnzoo
from rnnzoo.data.music import LOWEST_PITCH
from rnnzoo.data.music import NUM_KEYS
from rnnzoo.data.music import piano_roll
from rnnzoo.preprocessors import MusicPreprocessor
from rnnzoo.preprocessors import load_preprocessor
from rnnzoo.preprocessors import preprocessor_class
from rnnzoo.preprocessors import save_midi
from rnnzoo.preprocessors.music import roll_to_notes

pretty_midi = pytest.importorskip("pretty_midi")


def read_notes(path):
    """`(pitch, start, end)` of every note of a MIDI file, sorted, with
    times rounded to the microsecond (MIDI stores ticks)."""
    music = pretty_midi.PrettyMIDI(str(path))
    return sorted(
        (note.pitch, round(float(note.start), 6), round(float(note.end), 6))
        for instrument in music.instruments
        for note in instrument.notes
    )


# C major held over three steps under a moving upper voice, a rest, then
# a single note: a held note, a chord and a rest.
STEPS = [[60, 64, 67], [60, 64, 67], [60, 65], [], [72]]


def test_known_notes_round_trip(tmp_path):
    path = save_midi(piano_roll(STEPS), tmp_path / "song.mid")
    assert path == tmp_path / "song.mid"
    assert read_notes(path) == [
        (60, 0.0, 1.5),  # Held over three steps: one note, not three.
        (64, 0.0, 1.0),
        (65, 1.0, 1.5),
        (67, 0.0, 1.0),
        (72, 2.0, 2.5),
    ]
    music = pretty_midi.PrettyMIDI(str(path))
    [instrument] = music.instruments
    assert instrument.program == 0 and not instrument.is_drum
    assert {note.velocity for note in instrument.notes} == {80}
    _, tempi = music.get_tempo_changes()
    np.testing.assert_allclose(tempi, [120.0])
    # A step is a quarter note: the beats fall on the steps.
    np.testing.assert_allclose(music.get_beats()[:5], [0.0, 0.5, 1, 1.5, 2])


def test_options_shift_pitch_time_and_sound(tmp_path):
    # Twelve keys from middle C: column k is pitch 60 + k.
    roll = np.zeros((4, 12), "float32")
    roll[0:2, 0] = 1  # C4, two steps
    roll[2:4, 11] = 1  # B4, two steps
    path = save_midi(
        roll,
        str(tmp_path / "shifted.midi"),
        seconds_per_step=0.25,
        lowest_pitch=60,
        velocity=100,
        program=52,
    )
    assert read_notes(path) == [(60, 0.0, 0.5), (71, 0.5, 1.0)]
    [instrument] = pretty_midi.PrettyMIDI(str(path)).instruments
    assert instrument.program == 52
    assert {note.velocity for note in instrument.notes} == {100}


def test_probabilities_are_thresholded_at_one_half(tmp_path):
    roll = np.array(
        [
            [0.9, 0.49, 0.5],
            [0.6, 0.1, 0.2],
            [-1.0, -1.0, -1.0],  # A padded frame (mask value) is silent.
            [0.7, 0.51, 0.0],
        ],
        "float32",
    )
    path = save_midi(roll, tmp_path / "p.mid", lowest_pitch=60)
    assert read_notes(path) == [
        (60, 0.0, 1.0),
        (60, 1.5, 2.0),
        (61, 1.5, 2.0),
        (62, 0.0, 0.5),
    ]
    stricter = save_midi(
        roll, tmp_path / "q.mid", lowest_pitch=60, threshold=0.8
    )
    assert read_notes(stricter) == [(60, 0.0, 0.5)]


def test_roll_to_notes_pairs_starts_and_ends_per_key():
    roll = np.array([[1, 0], [1, 1], [0, 1], [1, 1]])
    assert roll_to_notes(roll) == [(0, 0, 2), (1, 1, 4), (0, 3, 4)]
    assert roll_to_notes(np.zeros((3, 88))) == []


def test_an_empty_roll_is_a_playable_silent_file(tmp_path):
    path = save_midi(np.zeros((0, NUM_KEYS)), tmp_path / "silence.mid")
    assert read_notes(path) == []


def test_replaces_a_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "x.mid"
    target.write_bytes(b"old")
    save_midi(piano_roll(STEPS), target)
    assert os.listdir(tmp_path) == ["x.mid"]
    assert len(read_notes(target)) == 5
    # The umask decides the permissions, as for a file made with open().
    reference = tmp_path / "reference"
    reference.write_bytes(b"")
    assert stat.S_IMODE(os.stat(target).st_mode) == stat.S_IMODE(
        os.stat(reference).st_mode
    )


def _failing_write(self, file):
    file.write(b"MThd\x00\x00")  # Half a header, then the disk fills up.
    raise OSError("No space left on device")


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(pretty_midi.PrettyMIDI, "write", _failing_write)
    with pytest.raises(OSError, match="No space left"):
        save_midi(piano_roll(STEPS), tmp_path / "x.mid")
    assert os.listdir(tmp_path) == []


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "x.mid"
    save_midi(piano_roll(STEPS), target)
    before = target.read_bytes()
    monkeypatch.setattr(pretty_midi.PrettyMIDI, "write", _failing_write)
    with pytest.raises(OSError, match="No space left"):
        save_midi(piano_roll([[40]]), target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["x.mid"]


class _Result:
    tokens = np.zeros((1, 4, NUM_KEYS))


ROLL = piano_roll(STEPS)


@pytest.mark.parametrize(
    "roll, options, error, match",
    [
        (
            np.zeros(88),
            {},
            ValueError,
            r"`roll` must have rank 2, \(steps, keys\), got shape \(88,\)$",
        ),
        (
            np.zeros((1, 4, 88)),
            {},
            ValueError,
            r"got shape \(1, 4, 88\): for a batch \(batch, steps, keys\) "
            r"pass one row, e\.g\. `roll\[0\]`",
        ),
        (
            _Result(),
            {},
            ValueError,
            r"got a _Result: pass `result\.tokens\[0\]`",
        ),
        (
            [["a", "b"]],
            {},
            ValueError,
            r"`roll` must be a numeric piano roll \(steps, keys\)",
        ),
        (
            np.array([[0.0, np.nan]]),
            {},
            ValueError,
            r"got NaN at \(step, key\) \(0, 1\)",
        ),
        (
            ROLL,
            {"lowest_pitch": 60},
            ValueError,
            r"`roll` has 88 keys, which from lowest_pitch=60 reach MIDI "
            r"pitch 147, past the highest, 127: expected at most 68 keys",
        ),
        (
            ROLL,
            {"lowest_pitch": -1},
            ValueError,
            r"`lowest_pitch` must be an integer in 0\.\.127, got "
            r"lowest_pitch=-1",
        ),
        (
            ROLL,
            {"seconds_per_step": 0},
            ValueError,
            r"`seconds_per_step` must be a positive number of seconds, got "
            r"seconds_per_step=0$",
        ),
        (
            ROLL,
            {"seconds_per_step": float("inf")},
            ValueError,
            r"seconds_per_step=inf",
        ),
        (
            ROLL,
            {"velocity": 0},
            ValueError,
            r"`velocity` must be an integer in 1\.\.127, got velocity=0",
        ),
        (
            ROLL,
            {"program": 128},
            ValueError,
            r"`program` must be an integer in 0\.\.127, got program=128",
        ),
        (
            ROLL,
            {"velocity": 80.5},
            ValueError,
            r"got velocity=80\.5",
        ),
        (
            ROLL,
            {"threshold": "half"},
            ValueError,
            r"`threshold` must be a number, got threshold='half'",
        ),
    ],
)
def test_bad_input_is_named(tmp_path, roll, options, error, match):
    with pytest.raises(error, match=match):
        save_midi(roll, tmp_path / "x.mid", **options)
    assert os.listdir(tmp_path) == []


def test_bad_paths_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"folder .*missing.* does not"):
        save_midi(ROLL, tmp_path / "missing" / "x.mid")
    with pytest.raises(ValueError, match=r"`path` must name a file, got the"):
        save_midi(ROLL, tmp_path)
    with pytest.raises(ValueError, match=r"`path` must be a file path .* 42"):
        save_midi(ROLL, 42)
    assert os.listdir(tmp_path) == []


def test_without_pretty_midi_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pretty_midi", None)
    with pytest.raises(ImportError, match=r'pip install "rnnzoo\[midi\]"'):
        save_midi(ROLL, tmp_path / "x.mid")
    assert os.listdir(tmp_path) == []


def test_preprocessor_options_travel_in_a_preset(tmp_path):
    assert preprocessor_class("music_modelling") is MusicPreprocessor
    preprocessor = MusicPreprocessor(
        seconds_per_step=0.25, lowest_pitch=36, velocity=64, program=19
    )
    preprocessor.save(tmp_path)
    record = json.loads((tmp_path / "preprocessor.json").read_text())
    assert record == {
        "class_name": "MusicPreprocessor",
        "config": {
            "lowest_pitch": 36,
            "seconds_per_step": 0.25,
            "velocity": 64,
            "program": 19,
        },
    }
    loaded = load_preprocessor(tmp_path, None, {"task": "music_modelling"})
    assert isinstance(loaded, MusicPreprocessor)
    assert loaded.get_config() == preprocessor.get_config()
    assert "seconds_per_step=0.25" in repr(loaded)


def test_preset_without_preprocessor_file_gets_the_defaults(tmp_path):
    loaded = load_preprocessor(tmp_path, None, {"task": "music_modelling"})
    assert isinstance(loaded, MusicPreprocessor)
    assert loaded.get_config() == {
        "lowest_pitch": LOWEST_PITCH,
        "seconds_per_step": 0.5,
        "velocity": 80,
        "program": 0,
    }


def test_preprocessor_checks_its_options():
    with pytest.raises(ValueError, match="`seconds_per_step` must be"):
        MusicPreprocessor(seconds_per_step=-1)
    with pytest.raises(ValueError, match="`program` must be an integer"):
        MusicPreprocessor(program="organ")


def test_preprocessor_save_midi_uses_its_options(tmp_path):
    preprocessor = MusicPreprocessor(seconds_per_step=1.0, program=19)
    path = preprocessor.save_midi(piano_roll([[60], [60]]), tmp_path / "o.mid")
    assert read_notes(path) == [(60, 0.0, 2.0)]
    assert pretty_midi.PrettyMIDI(str(path)).instruments[0].program == 19


@pytest.fixture(scope="module")
def jsb_model(tmp_path_factory):
    """The published JSB Chorales model, loaded once into a private cache
    from the checkout's hub folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNZOO_HOME", str(tmp_path_factory.mktemp("cache")))
        patch.delenv("RNNZOO_WEIGHTS_URL", raising=False)
        yield rnnzoo.create_model("jsb_music_gru.jsb_chorales", pretrained=True)


def test_pretrained_music_model_generates_a_playable_midi(jsb_model, tmp_path):
    assert isinstance(jsb_model.preprocessor, MusicPreprocessor)
    # I - IV - V - I in C major, four voices, each chord held two steps.
    chords = [
        [48, 64, 67, 72],
        [53, 65, 69, 72],
        [55, 62, 67, 71],
        [48, 64, 67, 72],
    ]
    prompt = piano_roll([chord for chord in chords for _ in range(2)])[None]
    options = dict(max_length=16, strategy="sample", seed=0)
    roll = jsb_model.generate(prompt, **options).tokens
    again = jsb_model.generate(prompt, **options).tokens
    roll, again = np.asarray(roll), np.asarray(again)
    assert roll.shape == (1, 16, NUM_KEYS)
    assert set(np.unique(roll).tolist()) <= {0.0, 1.0}
    np.testing.assert_array_equal(roll, again)

    path = jsb_model.preprocessor.save_midi(roll[0], tmp_path / "x.mid")
    notes = read_notes(path)
    assert notes, "the model wrote 16 steps of silence"
    assert notes == sorted(
        (LOWEST_PITCH + key, start * 0.5, end * 0.5)
        for key, start, end in roll_to_notes(roll[0])
    )
    assert all(21 <= pitch <= 108 and end <= 8.0 for pitch, _, end in notes)
