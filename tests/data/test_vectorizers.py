"""Vectorizers: tokens round-trip through ids, adaptation sees the training
split only, and vocabularies survive saving (assets, `.keras`, presets)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import rnnzoo.data as data
from rnnzoo.zoo import presets
from tests.data import fixture_files as files


def texts_dataset(texts, feature="text"):
    return tf.data.Dataset.from_tensor_slices({feature: texts})


def tokens_dataset(token_lists, feature="tokens"):
    return data.examples_dataset({feature: token_lists}, {feature: tf.string})


def test_text_round_trip_through_ids():
    train = ["A dog runs.", "A cat runs!", "The dog sleeps."]
    vectorizer = data.Vectorizer({"text": data.text_vectorization()})
    vectorizer.adapt(texts_dataset(train))
    for text in train:
        ids = vectorizer.vectorize("text", tf.constant(text))
        assert ids.dtype == tf.int32
        assert (
            vectorizer.decode("text", ids)
            == text.lower().replace(".", " .").replace("!", " !").split()
        )
    # A word unseen in training is [UNK] (id 1), never a new id.
    ids = vectorizer.vectorize("text", tf.constant("a cow runs"))
    assert vectorizer.decode("text", ids) == ["a", "[UNK]", "runs"]


def test_adaptation_sees_only_the_training_split(tmp_path):
    files.write_sst2(tmp_path)
    vectorizer = data.build_vectorizer("sst2", data_dir=tmp_path)
    vocabulary = set(vectorizer.vocabulary("text"))
    train_words = {
        word for line in files.SST2_LINES["train"] for word in line.split()[1:]
    }
    assert vocabulary == train_words | {"", "[UNK]"}
    assert "warm" not in vocabulary  # only in the dev split


def test_vocabulary_size_caps_the_vocabulary():
    vectorizer = data.Vectorizer({"text": data.text_vectorization(4)})
    vectorizer.adapt(texts_dataset(["a a a b b c d e"]))
    assert vectorizer.vocabulary("text") == ["", "[UNK]", "a", "b"]
    assert vectorizer.vocabulary_size("text") == 4


def test_standardization_lowercases_unicode_and_splits_punctuation():
    text = tf.constant("Grünes GRAS, ja!<br />Don't stop.")
    tokens = tf.strings.split(data.lower_and_split_punctuation(text))
    assert [t.decode() for t in tokens.numpy()] == [
        "grünes",
        "gras",
        ",",
        "ja",
        "!",
        "don't",
        "stop",
        ".",
    ]


def test_character_tokens_round_trip_including_newlines():
    text = files.TINY_TEXT
    vectorizer = data.Vectorizer({"tokens": data.token_lookup()})
    characters = tf.strings.unicode_split(text, "UTF-8")
    vectorizer.adapt(tokens_dataset([list(text)]))
    ids = vectorizer.vectorize("tokens", characters)
    assert "".join(vectorizer.decode("tokens", ids)) == text


def test_upos_lookup_is_fixed_and_has_no_unknown_id():
    lookup = data.token_lookup(vocabulary=data.UPOS_TAGS)
    assert lookup.vocabulary_size() == len(data.UPOS_TAGS) + 1
    ids = lookup(tf.constant(list(data.UPOS_TAGS)))
    assert ids.numpy().tolist() == list(range(1, 18))


def test_reserved_tokens_come_first_after_padding_and_unknown():
    vectorizer = data.Vectorizer(
        {"de": data.text_vectorization(6)},
        reserved_tokens={"de": [data.START_TOKEN, data.END_TOKEN]},
    )
    vectorizer.adapt(texts_dataset(["ein hund ein mann ein hund"], "de"))
    # The reserved tokens count within the 6 ids: "mann" is left out.
    assert vectorizer.vocabulary("de") == [
        "",
        "[UNK]",
        "[start]",
        "[end]",
        "ein",
        "hund",
    ]


def adapted_vectorizer():
    vectorizer = data.Vectorizer(
        {
            "text": data.text_vectorization(),
            "tokens": data.token_lookup(),
            "upos": data.token_lookup(vocabulary=data.UPOS_TAGS),
        },
        reserved_tokens={"text": [data.START_TOKEN, data.END_TOKEN]},
    )
    examples = data.examples_dataset(
        {
            "text": ["Zwei Männer.", "Ein Hund läuft."],
            "tokens": [list("ab\nc "), ["x"]],
            "upos": [["NOUN"], ["VERB"]],
        },
        {"text": tf.string, "tokens": tf.string, "upos": tf.string},
    )
    return vectorizer.adapt(examples)


def test_save_assets_and_load_assets_restore_the_vocabularies(tmp_path):
    vectorizer = adapted_vectorizer()
    vectorizer.save_assets(tmp_path / "assets" / "vectorizer")
    restored = data.Vectorizer.from_assets(tmp_path / "assets" / "vectorizer")
    assert restored.features == vectorizer.features
    assert restored.reserved_tokens == vectorizer.reserved_tokens
    for feature in vectorizer.features:
        assert restored.vocabulary(feature) == vectorizer.vocabulary(feature)
    sample = tf.constant("Ein Mann, zwei Hunde.")
    np.testing.assert_array_equal(
        restored.vectorize("text", sample), vectorizer.vectorize("text", sample)
    )
    # load_assets into a fresh vectorizer of the same config, as a preset
    # does with a layer.
    fresh = data.Vectorizer.from_config(vectorizer.get_config())
    fresh.load_assets(tmp_path / "assets" / "vectorizer")
    assert fresh.vocabulary("tokens") == vectorizer.vocabulary("tokens")


def test_load_assets_names_a_missing_vocabulary(tmp_path):
    vectorizer = adapted_vectorizer()
    vectorizer.save_assets(tmp_path)
    (tmp_path / "tokens.vocabulary.json").unlink()
    with pytest.raises(FileNotFoundError, match="tokens.vocabulary.json"):
        data.Vectorizer.from_assets(tmp_path)


def end_to_end_model(vectorizer):
    inputs = keras.Input(shape=(), dtype="string")
    ids = vectorizer.lookups["text"](inputs)
    embedded = keras.layers.Embedding(vectorizer.vocabulary_size("text"), 4)(
        ids
    )
    outputs = keras.layers.GlobalAveragePooling1D()(embedded)
    return keras.Model(inputs, outputs)


def test_keras_file_round_trip_restores_the_vocabulary(tmp_path):
    vectorizer = data.Vectorizer({"text": data.text_vectorization()})
    vectorizer.adapt(texts_dataset(["A dog runs.", "Zwei Männer laufen."]))
    model = end_to_end_model(vectorizer)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    layer = next(
        layer
        for layer in loaded.layers
        if isinstance(layer, keras.layers.TextVectorization)
    )
    assert layer.get_vocabulary() == vectorizer.vocabulary("text")
    texts = tf.constant(["a dog", "zwei männer"])
    np.testing.assert_allclose(loaded(texts), model(texts))


def test_preset_saves_the_vectorizer_layer_as_an_asset(tmp_path):
    vectorizer = data.Vectorizer({"text": data.text_vectorization()})
    vectorizer.adapt(texts_dataset(["A dog runs.", "A cat sleeps."]))
    model = end_to_end_model(vectorizer)
    presets.save_preset(model, tmp_path / "preset")
    layer_name = vectorizer.lookups["text"].name
    assert (tmp_path / "preset" / "assets" / layer_name).is_dir()
    loaded = presets.load_preset(tmp_path / "preset")
    texts = tf.constant(["a dog sleeps"])
    np.testing.assert_allclose(loaded(texts), model(texts))


def test_line_breaking_characters_never_become_tokens(tmp_path):
    # IMDB reviews hold "\x85" (a mis-decoded ellipsis): as a token it put a
    # line break inside Keras's vocabulary.txt, and the preset did not load.
    texts = [
        "Wait for it\x85 the end.",
        "A\u2028line\u2029apart,\xa0a\x0bvertical\x0ctab\x1cand\x1dmore\x1e.",
    ]
    vectorizer = data.Vectorizer({"text": data.text_vectorization()})
    vectorizer.adapt(texts_dataset(texts))
    vocabulary = vectorizer.vocabulary("text")
    assert all(token.strip() == token for token in vocabulary[1:])
    assert {"it", "the", "line", "apart", "vertical", "tab", "more"} <= set(
        vocabulary
    )
    model = end_to_end_model(vectorizer)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    batch = tf.constant(texts)
    np.testing.assert_allclose(loaded(batch), model(batch))
