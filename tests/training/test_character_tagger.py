"""A tagger with character features trains from a config, and its preset
carries the character vocabulary beside the (lowercased) word vocabulary:
reloaded, it predicts the same and measures the same afresh."""

import copy

import numpy as np
import pytest

import rnnzoo
from rnnzoo import data as rnnzoo_data
from rnnzoo.tasks import get_task
from rnnzoo.tasks.tagging import DEFAULT_MAX_WORD_LENGTH
from rnnzoo.training import load_trained_preset
from tests.training import fixtures


def character_tagger_config() -> dict:
    config = copy.deepcopy(fixtures.TASK_CONFIGS["tagging"])
    config["name"] = "tiny_character_tagger"
    config["architecture"]["arguments"].update(
        character_vocab_size=2,
        character_embedding_dim=4,
        character_filters=6,
        max_word_length=5,
        word_dropout=0.1,
    )
    config["data"]["preprocessing"] = {"lowercase": True}
    return config


def test_pipeline_options_ask_for_characters_of_a_character_tagger():
    config = character_tagger_config()
    tagging = get_task("tagging")
    options = tagging.pipeline_options(config)
    assert options["max_word_length"] == 5
    del config["architecture"]["arguments"]["max_word_length"]
    options = tagging.pipeline_options(config)
    assert options["max_word_length"] == DEFAULT_MAX_WORD_LENGTH
    words_only = fixtures.TASK_CONFIGS["tagging"]
    assert "max_word_length" not in tagging.pipeline_options(words_only)


def test_character_tagger_preset_reloads_with_identical_predictions(tmp_path):
    data_dir = fixtures.write_ud(tmp_path / "data")
    result = rnnzoo.train(
        character_tagger_config(),
        data_dir=data_dir,
        output_dir=tmp_path / "run",
        jit_compile=False,
        verbose=0,
    )
    model, vectorizer, metadata = load_trained_preset(result.preset_dir)
    assert vectorizer.features == ["tokens", "upos", "characters"]
    assert vectorizer.lowercase == ["tokens"]
    # The character vocabulary came from the data, not the config.
    characters = vectorizer.vocabulary("characters")
    assert model.character_vocab_size == len(characters) > 2
    assert set("".join(characters[2:])) == set("".join(fixtures.LEXICON))
    assert metadata["pipeline"]["max_word_length"] == 5
    assert metadata["pipeline"]["lowercase"] is True

    dataset = rnnzoo_data.make_pipeline(
        "ud_en_ewt",
        "test",
        8,
        vectorizer=vectorizer,
        data_dir=data_dir,
        max_word_length=5,
    )
    x, _ = next(iter(dataset))
    assert x["character_ids"].shape[-1] == 5
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        result.model.predict(x, verbose=0),
        atol=1e-6,
    )
    fresh = rnnzoo.evaluate(result.preset_dir, data_dir=data_dir)
    assert fresh == pytest.approx(result.metrics, rel=1e-4, abs=1e-6)
