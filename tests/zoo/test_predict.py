"""`rnnzoo predict`: the published models on raw inputs from the command
line, run in-process on the archives of the checkout's `hub/`."""

import io
import json

import keras
import numpy as np
import pytest

from rnnzoo import cli
from rnnzoo.data.captions import load_mnist_captions
from rnnzoo.zoo import predict
from rnnzoo.zoo import registry

TRANSLATOR = "translator_bahdanau.multi30k_en_de"
TAGGER = "upos_tagger.ud_en_ewt"
CHARACTER_LM = "shakespeare_char_lm.tiny_shakespeare"
CAPTIONER = "mnist_captioner.mnist_captions"
CLASSIFIER = "sentiment_skip_rnn.sst2"
SERIES_CLASSIFIER = "vowels_mgu.japanese_vowels"
MUSIC = "jsb_music_gru.jsb_chorales"


@pytest.fixture(scope="module", autouse=True)
def zoo(tmp_path_factory):
    """A fresh cache, filled from `hub/` with no network; each model is
    loaded once per module (the CLI's loader, memoized), so the tests pay
    for inference, not for loading."""
    loaded = {}
    load_model = predict.load_model

    def load_once(name):
        if name not in loaded:
            loaded[name] = load_model(name)
        return loaded[name]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNZOO_HOME", str(tmp_path_factory.mktemp("cache")))
        patch.setenv("RNNZOO_OFFLINE", "1")
        patch.delenv("RNNZOO_WEIGHTS_URL", raising=False)
        patch.setattr(predict, "load_model", load_once)
        yield load_once


def run(capsys, *argv):
    """The command's status, standard output and standard error."""
    capsys.readouterr()
    status = cli.main(["predict", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def lines(capsys, *argv):
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    return out.splitlines()


def json_output(capsys, *argv):
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def test_translator_prints_a_line_per_input(capsys):
    sentence = "two dogs play in the snow ."
    assert lines(capsys, TRANSLATOR, sentence, "") == [
        "zwei hunde spielen im schnee .",
        "",
    ]
    records = json_output(
        capsys, TRANSLATOR, sentence, "--strategy", "beam", "--beam-width", 5
    )
    assert records == [
        {"input": sentence, "result": "zwei hunde spielen im schnee ."}
    ]


def test_translator_copies_unknown_words_when_asked(capsys):
    sentence = "a zyxwv man plays in the park ."
    kept = lines(capsys, TRANSLATOR, sentence, "--no-replace-unknown")
    copied = lines(capsys, TRANSLATOR, sentence, "--replace-unknown")
    assert "[UNK]" in kept[0] and "[UNK]" not in copied[0]
    assert copied[0] == kept[0].replace("[UNK]", "zyxwv")


def test_tagger_prints_token_slash_tag(capsys, tmp_path):
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("I love this movie .\n\nThe cat sat .\n")
    assert lines(capsys, TAGGER, "--file", sentences) == [
        "I/PRON love/VERB this/DET movie/NOUN ./PUNCT",
        "",
        "The/DET cat/NOUN sat/VERB ./PUNCT",
    ]
    records = json_output(capsys, TAGGER, "Hi !", "--file", sentences)
    assert [record["input"] for record in records] == [
        "Hi !",
        "I love this movie .",
        "",
        "The cat sat .",
    ]
    assert records[1]["result"][0] == ["I", "PRON"]
    assert records[2]["result"] == []


def test_a_preset_archive_and_standard_input(capsys, monkeypatch):
    archive = registry.fetch_weights(TAGGER)
    monkeypatch.setattr("sys.stdin", io.StringIO("The cat sat .\n"))
    assert lines(capsys, archive, "I love this movie .", "--file", "-") == [
        "I/PRON love/VERB this/DET movie/NOUN ./PUNCT",
        "The/DET cat/NOUN sat/VERB ./PUNCT",
    ]


def test_language_model_seeded_sampling_repeats(capsys):
    argv = [CHARACTER_LM, "ROMEO:", "--max-length", 60]
    argv += ["--strategy", "sample", "--temperature", 0.8]
    first = lines(capsys, *argv, "--seed", 0)
    assert first == lines(capsys, *argv, "--seed", 0)
    assert first != lines(capsys, *argv, "--seed", 1)
    # One line per input: the continuation's line breaks are escaped.
    assert len(first) == 1 and first[0].startswith("ROMEO:")
    [record] = json_output(capsys, *argv, "--seed", 0)
    assert "\n" in record["result"]
    assert record["result"].replace("\n", "\\n") == first[0]


def test_captioner_reads_an_image_file(capsys, tmp_path):
    example = next(iter(load_mnist_captions("test", None).take(1)))
    path = tmp_path / "strip.png"
    keras.utils.save_img(path, example["image"].numpy(), scale=False)
    caption = example["caption"].numpy().decode()
    assert lines(capsys, CAPTIONER, path) == [caption]
    pixels = tmp_path / "strip.npy"
    np.save(pixels, example["image"].numpy())
    records = json_output(capsys, CAPTIONER, pixels, " ")
    assert records == [
        {"input": str(pixels), "result": caption},
        {"input": " ", "result": ""},
    ]


def test_classifier_json_has_label_and_probabilities(capsys, zoo):
    model = zoo(CLASSIFIER)
    texts = ["A wonderful, moving film.", "", "Dull and far too long."]
    records = json_output(capsys, CLASSIFIER, *texts)
    assert [record["result"] for record in records] == [
        "positive",
        None,
        "negative",
    ]
    assert records[2]["result"] == model.predict_labels(texts[2:])[0]
    for record in (records[0], records[2]):
        probabilities = record["probabilities"]
        assert sorted(probabilities) == sorted(model.preprocessor.label_names)
        assert all(0 <= p <= 1 for p in probabilities.values())
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-5)
        assert max(probabilities, key=probabilities.get) == record["result"]
    assert records[1]["probabilities"] == {}


def test_series_classifier_reads_npy_arrays(capsys, tmp_path, zoo):
    rng = np.random.default_rng(0)
    one, batch = tmp_path / "one.npy", tmp_path / "batch.npy"
    np.save(one, rng.normal(size=(10, 12)).astype("float32"))
    np.save(batch, rng.normal(size=(2, 7, 12)).astype("float32"))
    printed = lines(capsys, SERIES_CLASSIFIER, one, batch)
    label_names = zoo(SERIES_CLASSIFIER).preprocessor.label_names
    assert len(printed) == 3 and set(printed) <= set(label_names)
    records = json_output(capsys, SERIES_CLASSIFIER, batch)
    assert [record["input"] for record in records] == [
        f"{batch}[0]",
        f"{batch}[1]",
    ]
    assert [record["result"] for record in records] == printed[1:]


def test_music_model_prints_notes_or_writes_midi(capsys, tmp_path, zoo):
    roll = np.zeros((3, 88), "float32")
    roll[:, [60 - 21, 64 - 21, 67 - 21]] = 1  # A C major chord, held.
    prompt = tmp_path / "prompt.npy"
    np.save(prompt, roll)
    argv = [MUSIC, prompt, "--max-length", 4, "--strategy", "sample"]
    [line] = lines(capsys, *argv, "--seed", 0)
    steps = line.split(" | ")
    assert len(steps) == 3 + 4 and steps[:3] == ["60,64,67"] * 3
    [record] = json_output(capsys, *argv, "--seed", 0)
    assert record["result"][:3] == [[60, 64, 67]] * 3
    if getattr(zoo(MUSIC).preprocessor, "save_midi", None) is None:
        pytest.skip("this music model's preprocessor writes no MIDI")
    pytest.importorskip("pretty_midi")
    midi = tmp_path / "out.mid"
    assert lines(capsys, *argv, "--output-midi", midi) == [str(midi)]
    assert midi.read_bytes().startswith(b"MThd")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["upos_tager.ud_en_ewt", "x"], "Did you mean upos_tagger"),
        (["no/such/preset", "x"], "No preset folder or archive"),
        ([TAGGER], "Give at least one input"),
        ([TAGGER, "--file", "missing.txt"], "missing.txt: no such file"),
        ([CAPTIONER, "a dog runs ."], "reads image files, not text"),
        ([CAPTIONER, "missing.png"], "missing.png: no such file"),
        ([SERIES_CLASSIFIER, "hello"], "reads (steps, 12) .npy files"),
        ([SERIES_CLASSIFIER, "WRONG"], "expected an array (steps, 12)"),
        ([CLASSIFIER, "x", "--seed", "1"], "--seed: only for generating"),
        ([TAGGER, "x", "--output-midi", "a.mid"], "is for a music model"),
        ([CHARACTER_LM, "x", "--replace-unknown"], "only for translators"),
    ],
)
def test_errors_are_one_line(capsys, tmp_path, argv, expected):
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((10, 5), "float32"))
    argv = [str(wrong) if arg == "WRONG" else arg for arg in argv]
    status, out, error = run(capsys, *argv)
    assert status == 1 and out == ""
    assert expected in error
    messages = [line for line in error.splitlines() if "rnnzoo predict" in line]
    assert len(messages) == 1 and messages[0].startswith("rnnzoo predict:")
