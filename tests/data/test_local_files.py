"""Each local-file loader on small files in the upstream layout, and the
errors promised for missing and corrupt files."""

import gzip
import pickle
import re
import tarfile

import numpy as np
import pytest

import rnnzoo.data as data
from rnnzoo.data.conllu import parse_conllu
from tests.data import fixture_files as files


def as_python(dataset):
    """The examples as lists of Python values (strings decoded)."""

    def convert(value):
        value = value.numpy()
        if isinstance(value, bytes):
            return value.decode("utf-8")
        if value.dtype == object:
            return [v.decode("utf-8") for v in value]
        return value.tolist()

    return [
        {key: convert(value) for key, value in example.items()}
        for example in dataset
    ]


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch):
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)


def test_conllu_skips_multiword_tokens_empty_nodes_and_comments():
    sentences = list(parse_conllu(files.CONLLU_TRAIN))
    assert [s["sent_id"] for s in sentences] == [
        "weblog-1-0001",
        "weblog-1-0002",
    ]
    assert sentences[0]["text"] == "I don't know."
    assert sentences[0]["tokens"] == ["I", "do", "n't", "know", "."]
    assert sentences[0]["upos"] == ["PRON", "AUX", "PART", "VERB", "PUNCT"]
    assert sentences[0]["xpos"] == ["PRP", "VBP", "RB", "VB", "."]
    # The last sentence has no closing blank line and is still read; the
    # empty node 1.1 is not a word.
    assert sentences[1]["tokens"] == ["Cats", "sleep"]
    assert sentences[1]["upos"] == ["NOUN", "VERB"]


def test_ud_en_ewt_loads_gzipped_splits_by_their_own_names(tmp_path):
    files.write_ud(tmp_path)
    train = as_python(data.load("ud_en_ewt", "train", tmp_path))
    assert [e["tokens"] for e in train] == [
        ["I", "do", "n't", "know", "."],
        ["Cats", "sleep"],
    ]
    # "dev" is the validation split; the folder itself works as data_dir.
    validation = as_python(
        data.load("ud_en_ewt", "dev", tmp_path / "ud_en_ewt")
    )
    assert validation == [
        {
            "tokens": ["Dogs", "bark"],
            "upos": ["NOUN", "VERB"],
            "xpos": ["NNS", "VBP"],
        }
    ]


def test_conllu_with_wrong_field_count_names_file_and_line(tmp_path):
    folder = files.write_ud(tmp_path)
    broken = files.CONLLU_DEV.replace("\tbark\tbark", " bark bark")
    files.write_text(folder / "en_ewt-ud-test.conllu.gz", broken, True)
    with pytest.raises(data.DataFormatError, match=r"test.conllu.gz, line 3"):
        data.load("ud_en_ewt", "test", tmp_path)


def test_ptb_lines(tmp_path):
    files.write_ptb(tmp_path)
    train = as_python(data.load("ptb", "train", tmp_path))
    assert [e["text"] for e in train] == [
        line.strip() for line in files.PTB_LINES["train"]
    ]
    assert as_python(data.load("ptb", "valid", tmp_path)) == [
        {"text": "the dog sat"}
    ]


def test_sst2_labels_and_sentences(tmp_path):
    files.write_sst2(tmp_path)
    train = as_python(data.load("sst2", "train", tmp_path))
    assert train == [
        {"text": "a stirring , funny film", "label": 1},
        {"text": "a dull , tired mess .", "label": 0},
    ]
    files.write_text(tmp_path / "sst2" / "stsa.binary.test", "good film\n")
    with pytest.raises(data.DataFormatError, match="stsa.binary.test, line 1"):
        data.load("sst2", "test", tmp_path)


@pytest.mark.parametrize("layout", ["folder", "archive"])
def test_imdb_folders_and_archive(tmp_path, layout):
    if layout == "folder":
        files.write_imdb_folder(tmp_path / "imdb")
    else:
        files.write_imdb_archive(tmp_path, tmp_path / "scratch")
    for split, folder in (("train", "train"), ("validation", "val")):
        examples = as_python(data.load("imdb", split, tmp_path))
        reviews = files.IMDB_REVIEWS[folder]
        expected = {(r, 1) for r in reviews["pos"]}
        expected |= {(r, 0) for r in reviews["neg"]}
        assert {(e["text"], e["label"]) for e in examples} == expected


def test_imdb_upstream_layout_carves_validation_from_train(tmp_path):
    files.write_imdb_folder(tmp_path, folders=("train", "test"))
    train = as_python(data.load("imdb", "train", tmp_path))
    validation = as_python(data.load("imdb", "validation", tmp_path))
    texts = {e["text"] for e in train} | {e["text"] for e in validation}
    upstream = files.IMDB_REVIEWS["train"]
    assert texts == set(upstream["pos"] + upstream["neg"])
    assert not {e["text"] for e in train} & {e["text"] for e in validation}
    # The last 20% of each class (of 5 reviews: 1) is held out.
    assert sorted(e["label"] for e in validation) == [0, 1]
    again = as_python(data.load("imdb", "validation", tmp_path))
    assert again == validation


def test_corrupt_imdb_archive(tmp_path):
    archive = tmp_path / "imdb" / "aclImdb.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(data.DataFormatError, match="aclImdb.tar.gz"):
        data.load("imdb", "train", tmp_path)


def test_multi30k_pairs_and_misaligned_files(tmp_path):
    files.write_multi30k(tmp_path)
    train = as_python(data.load("multi30k_en_de", "train", tmp_path))
    english, german = files.MULTI30K["train"]
    assert train == [{"en": e, "de": d} for e, d in zip(english, german)]
    files.write_text(
        tmp_path / "multi30k" / "val.de.gz", "Eins.\nZwei.\n", True
    )
    with pytest.raises(data.DataFormatError, match="line counts differ"):
        data.load("multi30k_en_de", "validation", tmp_path)


def test_tiny_shakespeare_first_90_percent_and_last_10(tmp_path):
    files.write_tiny_shakespeare(tmp_path)
    train = as_python(data.load("tiny_shakespeare", "train", tmp_path))
    validation = as_python(
        data.load("tiny_shakespeare", "validation", tmp_path)
    )
    assert len(train) == len(validation) == 1
    assert train[0]["text"] + validation[0]["text"] == files.TINY_TEXT
    assert len(train[0]["text"]) == int(len(files.TINY_TEXT) * 0.9)
    with pytest.raises(ValueError, match=r"no split 'test'"):
        data.load("tiny_shakespeare", "test", tmp_path)


@pytest.mark.parametrize("as_pickle", [False, True])
def test_jsb_json_and_pickle_give_the_same_piano_rolls(tmp_path, as_pickle):
    files.write_jsb(tmp_path, as_pickle=as_pickle)
    for split, key in (("train", "train"), ("validation", "valid")):
        rolls = [
            np.asarray(e["piano_roll"])
            for e in as_python(data.load("jsb_chorales", split, tmp_path))
        ]
        chorales = files.JSB_CHORALES[key]
        assert [r.shape for r in rolls] == [(len(c), 88) for c in chorales]
        for roll, chorale in zip(rolls, chorales):
            for step, chord in zip(roll, chorale):
                assert (np.flatnonzero(step) + 21).tolist() == sorted(chord)


def test_jsb_pitch_outside_the_piano(tmp_path):
    path = files.write_jsb(tmp_path)
    path.write_text(
        '{"train": [[[60], [109]]], "valid": [[[60]]], "test": [[[60]]]}'
    )
    with pytest.raises(data.DataFormatError, match="MIDI pitch 109"):
        data.load("jsb_chorales", "train", tmp_path)
    dropped = as_python(
        data.load("jsb_chorales", "train", tmp_path, out_of_range="drop")
    )
    assert np.asarray(dropped[0]["piano_roll"]).sum(axis=1).tolist() == [1, 0]


def test_jsb_pickle_cannot_run_code(tmp_path):
    folder = tmp_path / "jsb_chorales"
    folder.mkdir()

    class Exploit:
        def __reduce__(self):
            return (print, ("this must never run",))

    (folder / "jsb-chorales-quarter.pkl").write_bytes(
        pickle.dumps({"train": [Exploit()], "valid": [], "test": []})
    )
    with pytest.raises(data.DataFormatError, match="refusing to load"):
        data.load("jsb_chorales", "train", tmp_path)


def test_japanese_vowels_from_ts_files(tmp_path, rng):
    series = [rng.normal(size=(length, 12)) for length in (3, 5, 4)]
    files.write_text(
        tmp_path / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts",
        files.japanese_vowels_ts(series, [1, 9, 4]),
    )
    examples = as_python(data.load("japanese_vowels", "train", tmp_path))
    assert [e["label"] for e in examples] == [0, 8, 3]
    for example, frames in zip(examples, series):
        np.testing.assert_allclose(example["series"], frames, atol=1e-4)


def test_bundled_datasets_accept_a_data_root_without_their_files(
    tmp_path,
):
    # One `--data-dir` serves every zoo config: a data root that lacks a
    # bundled dataset's files reads the bundled copy, as without one.
    (tmp_path / "sst2").mkdir()
    for name, split, count in (
        ("japanese_vowels", "test", 370),
        ("mnist_rows", "test", 500),
    ):
        with_root = data.load(name, split, tmp_path)
        bundled = data.load(name, split)
        assert int(with_root.cardinality()) == count
        first, expected = next(iter(with_root)), next(iter(bundled))
        for key in expected:
            np.testing.assert_array_equal(first[key], expected[key])
    captions = data.load("mnist_captions", "test", tmp_path, num_examples=3)
    expected = data.load("mnist_captions", "test", num_examples=3)
    assert [e["caption"] for e in as_python(captions)] == [
        e["caption"] for e in as_python(expected)
    ]


@pytest.mark.parametrize(
    "name, expected_file",
    [
        ("ptb", "ptb/ptb.train.txt.gz"),
        ("sst2", "sst2/stsa.binary.train"),
        ("ud_en_ewt", "ud_en_ewt/en_ewt-ud-train.conllu.gz"),
        ("multi30k_en_de", "multi30k/train.en.gz"),
        ("imdb", "imdb/aclImdb.tar.gz"),
        ("jsb_chorales", "jsb_chorales/jsb-chorales-quarter.json"),
        ("tiny_shakespeare", "tinyshakespeare/input.txt"),
    ],
)
def test_missing_file_names_expected_path_and_source(
    tmp_path, name, expected_file
):
    with pytest.raises(data.DataNotFoundError) as error:
        data.load(name, "train", tmp_path)
    message = str(error.value)
    assert str(tmp_path / expected_file) in message
    assert re.search(r"Obtain the data from (https?://|the `)", message)


def test_no_data_dir_for_a_files_only_dataset_says_what_to_pass():
    with pytest.raises(data.DataNotFoundError, match="data_dir") as error:
        data.load("ptb", "train")
    assert "ptb/ptb.{train,valid,test}.txt.gz" in str(error.value)


def test_data_dir_from_environment(tmp_path, monkeypatch):
    files.write_ptb(tmp_path)
    monkeypatch.setenv("RNNZOO_DATA_DIR", str(tmp_path))
    assert len(as_python(data.load("ptb", "test"))) == 1


def test_truncated_gzip_is_a_format_error(tmp_path):
    files.write_ptb(tmp_path)
    path = tmp_path / "ptb" / "ptb.test.txt.gz"
    path.write_bytes(gzip.compress(b" a cat ran \n" * 50)[:-12])
    with pytest.raises(data.DataFormatError, match="ptb.test.txt.gz"):
        data.load("ptb", "test", tmp_path)


def test_unknown_dataset_and_split():
    with pytest.raises(ValueError, match="known datasets"):
        data.load("penn_treebank", "train")
    with pytest.raises(ValueError, match="splits are"):
        data.load("japanese_vowels", "validation")


def test_tarfile_module_is_only_read(tmp_path):
    # The archive is streamed, never extracted beside the data.
    files.write_imdb_archive(tmp_path, tmp_path / "scratch")
    data.load("imdb", "test", tmp_path)
    assert sorted(p.name for p in (tmp_path / "imdb").iterdir()) == [
        "aclImdb.tar.gz"
    ]
    assert tarfile.is_tarfile(tmp_path / "imdb" / "aclImdb.tar.gz")
