"""Character ids of a tagging pipeline: a character vocabulary adapted on
the training split, each token's first `max_word_length` characters,
padded with 0 in both the characters and the steps."""

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo.data as data
from rnnzoo.tasks import get_task
from tests.data import fixture_files as files


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch):
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)


def test_tagging_pipeline_gives_character_ids(tmp_path):
    # Train: "I do n't know ." and "Cats sleep" (fixture_files.CONLLU_TRAIN).
    files.write_ud(tmp_path)
    vectorizer = data.build_vectorizer(
        "ud_en_ewt", data_dir=tmp_path, characters=True
    )
    # By count, then ties in reverse code point order (StringLookup's).
    assert vectorizer.vocabulary("characters") == [
        "", "[UNK]", "t", "s", "o", "n", "e",
        "w", "p", "l", "k", "d", "a", "I", "C", ".", "'",
    ]  # fmt: skip
    (x, tags), *rest = data.make_pipeline(
        "ud_en_ewt",
        "train",
        batch_size=2,
        vectorizer=vectorizer,
        data_dir=tmp_path,
        shuffle=False,
        max_word_length=4,
    )
    assert not rest
    assert sorted(x) == ["character_ids", "token_ids"]
    assert x["token_ids"].shape == tags.shape == (2, 5)
    expected = np.array(
        [
            [
                [13, 0, 0, 0],  # I
                [11, 4, 0, 0],  # do
                [5, 16, 2, 0],  # n't
                [10, 5, 4, 7],  # know
                [15, 0, 0, 0],  # .
            ],
            [
                [14, 12, 2, 3],  # Cats
                [3, 9, 6, 6],  # slee(p), cut to 4 characters
                [0, 0, 0, 0],  # padded steps
                [0, 0, 0, 0],
                [0, 0, 0, 0],
            ],
        ],
        dtype="int32",
    )
    np.testing.assert_array_equal(x["character_ids"].numpy(), expected)
    assert x["character_ids"].dtype == tf.int32
    assert vectorizer.decode("tokens", x["token_ids"][1]) == ["Cats", "sleep"]
    assert vectorizer.decode("upos", tags[1]) == ["NOUN", "VERB"]


def test_character_ids_keep_their_width_in_buckets(tmp_path):
    files.write_ud(tmp_path)
    vectorizer = data.build_vectorizer(
        "ud_en_ewt", data_dir=tmp_path, characters=True
    )
    dataset = data.make_pipeline(
        "ud_en_ewt",
        "validation",
        batch_size=2,
        vectorizer=vectorizer,
        data_dir=tmp_path,
        buckets=[4, 8],
        max_word_length=6,
    )
    (x, tags), *_ = dataset
    # "Dogs bark": padded to the bucket of 4 steps, never in characters.
    assert x["character_ids"].shape == (1, 4, 6)
    assert x["token_ids"].shape == tags.shape == (1, 4)
    # "D" is unknown to the training characters: [UNK] (1).
    np.testing.assert_array_equal(
        x["character_ids"][0, 0].numpy(), [1, 4, 1, 3, 0, 0]
    )


def test_make_pipelines_adapts_characters_with_max_word_length(tmp_path):
    files.write_ud(tmp_path)
    task_data = data.make_pipelines(
        "ud_en_ewt", 2, data_dir=tmp_path, max_word_length=3
    )
    assert task_data.vectorizer.features == ["tokens", "upos", "characters"]
    x, _ = next(iter(task_data["test"]))
    assert x["character_ids"].shape[-1] == 3


def test_character_ids_need_a_character_vocabulary(tmp_path):
    files.write_ud(tmp_path)
    vectorizer = data.build_vectorizer("ud_en_ewt", data_dir=tmp_path)
    with pytest.raises(ValueError, match="characters=True"):
        data.make_pipeline(
            "ud_en_ewt", vectorizer=vectorizer, data_dir=tmp_path,
            max_word_length=4,
        )  # fmt: skip
    with pytest.raises(ValueError, match="positive integer"):
        data.make_pipeline(
            "ud_en_ewt",
            vectorizer=data.build_vectorizer(
                "ud_en_ewt", data_dir=tmp_path, characters=True
            ),
            data_dir=tmp_path,
            max_word_length=0,
        )


def test_lowercased_tokens_keep_the_case_of_their_characters(tmp_path):
    files.write_ud(tmp_path)
    task_data = data.make_pipelines(
        "ud_en_ewt",
        2,
        data_dir=tmp_path,
        max_word_length=4,
        lowercase=True,
        shuffle=False,
    )
    vectorizer = task_data.vectorizer
    assert vectorizer.lowercase == ["tokens"]
    assert "i" in vectorizer.vocabulary("tokens")
    assert "I" not in vectorizer.vocabulary("tokens")
    assert "I" in vectorizer.vocabulary("characters")
    x, _ = next(iter(task_data["validation"]))
    # "Dogs" is unknown, "dogs" too: [UNK]; its "D" stays unknown.
    assert vectorizer.decode("tokens", x["token_ids"][0]) == ["[UNK]", "[UNK]"]
    assert x["character_ids"][0, 0, 0] == 1

    # The vectorizer carries the setting into a preset, and back.
    vectorizer.save_assets(tmp_path / "vectorizer")
    restored = data.Vectorizer.from_assets(tmp_path / "vectorizer")
    assert restored.lowercase == ["tokens"]
    np.testing.assert_array_equal(
        restored.vectorize("tokens", tf.constant(["Cats", "I"])),
        vectorizer.vectorize("tokens", tf.constant(["cats", "i"])),
    )
    with pytest.raises(ValueError, match="does lowercase"):
        data.make_pipeline(
            "ud_en_ewt", vectorizer=restored, data_dir=tmp_path,
            lowercase=False,
        )  # fmt: skip


def test_lowercase_is_for_tagging():
    with pytest.raises(
        ValueError,
        match="`lowercase` does not apply to a text_classification task",
    ):
        get_task("text_classification").new_vectorizer(
            "text", "label", lowercase=True
        )
