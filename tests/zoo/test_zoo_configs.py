"""Every config in zoo_configs/ is valid and builds a working model, like
timm's tests over its whole registry."""

import numpy as np
import pytest

import rnnzoo
from rnnzoo.zoo import registry


def test_the_zoo_is_not_empty():
    assert len(rnnzoo.list_models()) >= 4


def test_every_config_file_loads():
    folder = registry.configs_dir()
    names = sorted(path.stem for path in folder.glob("*.yaml"))
    assert names == rnnzoo.list_models()


def sample_inputs(model, batch=2, steps=6):
    """A random batch from the model itself (`example_inputs`): token ids
    or features for a sequence model, a dict for an encoder-decoder; a
    stateful model keeps its own batch size."""
    return model.example_inputs(batch_size=batch, sequence_length=steps)


def batch_size_of(inputs):
    if isinstance(inputs, dict):
        inputs = next(iter(inputs.values()))
    return len(inputs)


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_every_zoo_model_builds_and_runs(name):
    # Small overrides keep the test fast; the architecture stays the
    # config's own.
    overrides = {"units": 8}
    config = rnnzoo.model_info(name)
    overrides.update(dict.fromkeys(registry.vocabulary_arguments(config), 50))
    model = rnnzoo.create_model(name, **overrides)
    inputs = sample_inputs(model)
    # One batch: a stateful model takes only its own batch size.
    outputs = model.predict(inputs, batch_size=batch_size_of(inputs), verbose=0)
    first = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    assert np.all(np.isfinite(first))
    assert first.shape[0] == batch_size_of(inputs)


def test_a_fresh_model_takes_its_vocabulary_sizes_from_the_data():
    config = rnnzoo.model_info("translator_bahdanau")
    assert config["data"]["vocabulary_size"] == {"en": 6000, "de": 7000}
    model = registry.build_model(config, units=4, embedding_dim=4)
    assert (model.vocab_size, model.target_vocab_size) == (6000, 7000)
    # Overrides win, as in training, where the adapted vectorizer decides.
    model = registry.build_model(config, units=4, vocab_size=30)
    assert (model.vocab_size, model.target_vocab_size) == (30, 7000)


def test_list_models_wildcards_and_pretrained():
    assert rnnzoo.list_models("*tagger*") == ["upos_tagger", "upos_tagger_crf"]
    pretrained = rnnzoo.list_models(pretrained=True)
    for entry in pretrained:
        name, tag = entry.split(".", 1)
        assert tag in [w["tag"] for w in rnnzoo.model_info(name)["weights"]]


def test_captioning_configs_keep_every_caption_word():
    # The published captioner once had a 13-token vocabulary for 14
    # tokens: one digit name became [UNK] and no caption with it could be
    # right. Bundled data, so this runs anywhere.
    from rnnzoo import data

    for name in rnnzoo.list_models():
        config = registry.get_config(name)
        if config["data"]["dataset"] != "mnist_captions":
            continue
        vectorizer = data.build_vectorizer(
            "mnist_captions",
            vocabulary_size=config["data"].get("vocabulary_size"),
            load_options={"num_examples": 300},
        )
        words = set(vectorizer.vocabulary("caption"))
        assert set(data.captions.DIGIT_WORDS) <= words, name
