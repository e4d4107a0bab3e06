"""Character-level word features of `SequenceTagger`: shapes, masking,
serialization, and a suffix task that only a tagger reading characters
learns for words it has never seen."""

import json

import keras
import numpy as np
import pytest

from rnnzoo.models import CharacterWordEncoder
from rnnzoo.models import SequenceTagger
from rnnzoo.models import WordDropout

CHARACTER_OPTIONS = {
    "character_vocab_size": 12,
    "character_embedding_dim": 6,
    "character_filters": 5,
    "max_word_length": 7,
}


def character_tagger(**options):
    return SequenceTagger(
        num_tags=4,
        cell="peephole_lstm",
        units=8,
        vocab_size=20,
        embedding_dim=6,
        **{**CHARACTER_OPTIONS, **options},
    )


def padded_inputs(rng, samples=4, steps=6, characters=7):
    """Token ids and character ids with padded steps (id 0) and padded
    characters after each word."""
    lengths = rng.integers(2, steps + 1, size=samples)
    token_mask = np.arange(steps)[None, :] < lengths[:, None]
    token_ids = np.where(token_mask, rng.integers(1, 20, (samples, steps)), 0)
    word_lengths = rng.integers(1, characters + 1, size=(samples, steps))
    character_mask = np.arange(characters) < word_lengths[..., None]
    character_mask &= token_mask[..., None]
    character_ids = rng.integers(1, 12, (samples, steps, characters))
    return {
        "token_ids": token_ids.astype("int32"),
        "character_ids": np.where(character_mask, character_ids, 0).astype(
            "int32"
        ),
    }


def test_encoder_shapes_and_padding(rng):
    encoder = CharacterWordEncoder(vocab_size=12, embedding_dim=4, filters=5)
    inputs = padded_inputs(rng)["character_ids"]
    features = np.asarray(encoder(inputs))
    assert features.shape == (4, 6, 5)
    # Steps without characters (padded steps) give zeros.
    empty = (inputs == 0).all(-1)
    assert empty.any()
    np.testing.assert_array_equal(features[empty], 0.0)
    assert np.all(np.abs(features[~empty]) > 0.0)


def test_encoder_features_do_not_depend_on_padding_length(rng):
    encoder = CharacterWordEncoder(vocab_size=12, embedding_dim=4, filters=5)
    short = np.array([[[3, 4, 5, 0], [6, 7, 0, 0]]])
    long = np.concatenate([short, np.zeros((1, 2, 6), "int64")], axis=-1)
    np.testing.assert_allclose(
        np.asarray(encoder(long)), np.asarray(encoder(short)), atol=1e-6
    )


def test_encoder_config_round_trip():
    encoder = CharacterWordEncoder(
        vocab_size=12,
        embedding_dim=4,
        filters=5,
        kernel_size=2,
        activation="relu",
    )
    config = encoder.get_config()
    json.dumps(config)
    again = CharacterWordEncoder.from_config(config)
    assert again.get_config() == config


@pytest.mark.tensorflow_only("tf.GradientTape")
def test_encoder_gradients_are_finite(rng):
    encoder = CharacterWordEncoder(vocab_size=12, embedding_dim=4, filters=5)
    inputs = padded_inputs(rng)["character_ids"]
    import tensorflow as tf

    encoder.build(inputs.shape)
    with tf.GradientTape() as tape:
        loss = keras.ops.sum(encoder(inputs))
    gradients = tape.gradient(loss, encoder.trainable_variables)
    for gradient in gradients:
        assert np.all(np.isfinite(tf.convert_to_tensor(gradient).numpy()))


def test_word_dropout_replaces_known_words_in_training_only(rng):
    ids = rng.integers(0, 50, size=(64, 50)).astype("int32")
    layer = WordDropout(0.3, seed=0)
    np.testing.assert_array_equal(np.asarray(layer(ids)), ids)
    dropped = np.asarray(layer(ids, training=True))
    known = ids > 1
    np.testing.assert_array_equal(dropped[~known], ids[~known])
    changed = dropped != ids
    assert np.all(dropped[changed] == 1)
    assert changed[known].mean() == pytest.approx(0.3, abs=0.03)
    config = layer.get_config()
    assert WordDropout.from_config(config).get_config() == config


def test_tagger_with_characters_has_two_inputs_and_tags_every_step(rng):
    tagger = character_tagger(num_layers=2, dropout=0.1)
    assert sorted(tagger.input) == ["character_ids", "token_ids"]
    x = padded_inputs(rng)
    assert tagger(x).shape == (4, 6, 4)
    example = tagger.example_inputs(batch_size=3, sequence_length=5)
    assert example["token_ids"].shape == (3, 5)
    assert example["character_ids"].shape == (3, 5, 7)
    assert tagger.predict(example, verbose=0).shape == (3, 5, 4)


def test_tagger_with_characters_masks_padded_steps(rng):
    tagger = character_tagger()
    tagger.compile()
    x = padded_inputs(rng)
    padded = x["token_ids"] == 0
    tags = rng.integers(1, 4, size=padded.shape)
    other = np.where(padded, (tags + 1) % 4, tags)
    first = tagger.evaluate(x, tags, verbose=0, return_dict=True)
    second = tagger.evaluate(x, other, verbose=0, return_dict=True)
    assert first == pytest.approx(second)


def test_tagger_with_characters_saves_and_reloads(rng, tmp_path):
    tagger = character_tagger(
        num_layers=2, language_model_heads=True, word_dropout=0.2
    )
    x = padded_inputs(rng)
    tags = rng.integers(0, 4, size=x["token_ids"].shape)
    # An eager step keeps the test fast; the learning test runs compiled.
    tagger.compile(run_eagerly=True)
    tagger.fit(x, tagger.training_targets(x, tags), epochs=1, verbose=0)

    config = tagger.get_config()
    json.dumps(config)
    assert SequenceTagger.from_config(config).get_config() == config
    path = tmp_path / "tagger.keras"
    tagger.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is SequenceTagger
    assert loaded.get_config() == config
    expected, reloaded = tagger(x), loaded(x)
    for key in expected:
        np.testing.assert_allclose(reloaded[key], expected[key], atol=1e-6)


def test_token_only_tagger_is_unchanged_by_the_character_arguments(rng):
    # A config saved before character features existed lacks their keys:
    # it must build the same token-only graph, weight for weight.
    tagger = SequenceTagger(num_tags=4, vocab_size=20, units=8, cell="gru")
    config = tagger.get_config()
    assert config["character_vocab_size"] is None
    old_config = {
        key: value
        for key, value in config.items()
        if not key.startswith("character_") and key != "max_word_length"
    }
    old = SequenceTagger.from_config(old_config)
    assert not isinstance(old.input, dict)
    assert [w.shape for w in old.weights] == [w.shape for w in tagger.weights]
    old.set_weights(tagger.get_weights())
    x = rng.integers(0, 20, size=(2, 5))
    np.testing.assert_allclose(old(x), tagger(x), atol=1e-6)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"character_vocab_size": -1}, "`character_vocab_size` must be"),
        ({"character_filters": 0}, "`character_filters` must be"),
        ({"max_word_length": 0}, "`max_word_length` must be"),
        ({"word_dropout": 1.0}, "`word_dropout` must be"),
        (
            {"character_vocab_size": None, "word_dropout": 0.1},
            "needs `character_vocab_size`",
        ),
    ],
)
def test_character_argument_errors(options, message):
    with pytest.raises(ValueError, match=message):
        character_tagger(**options)


def test_characters_need_token_inputs():
    with pytest.raises(ValueError, match="needs `vocab_size`"):
        SequenceTagger(
            num_tags=4, input_dim=3, vocab_size=None, character_vocab_size=5
        )


# The suffix task: a word's tag is its suffix's; the stems never share a
# letter with the suffixes, and the test words are all new.
SUFFIXES = {"ing": 1, "ed": 2, "ly": 3}
STEM_LETTERS = "abcfhkmoprstuvwxz"
LETTERS = sorted(set(STEM_LETTERS + "".join(SUFFIXES)))
CHARACTER_ID = {letter: index + 2 for index, letter in enumerate(LETTERS)}
MAX_WORD_LENGTH = 8


def suffix_words(rng, count, exclude=()):
    words = set()
    while len(words) < count:
        stem = "".join(rng.choice(list(STEM_LETTERS), rng.integers(2, 5)))
        word = stem + rng.choice(list(SUFFIXES))
        if word not in exclude:
            words.add(word)
    return sorted(words)


def suffix_sentences(rng, words, vocabulary, samples, steps=6):
    """`{"token_ids", "character_ids"}` and tags; words out of
    `vocabulary` get id 1 (`[UNK]`)."""
    token_ids = np.zeros((samples, steps), "int32")
    character_ids = np.zeros((samples, steps, MAX_WORD_LENGTH), "int32")
    tags = np.zeros((samples, steps), "int32")
    for row in range(samples):
        for step in range(rng.integers(3, steps + 1)):
            word = words[rng.integers(len(words))]
            token_ids[row, step] = vocabulary.get(word, 1)
            ids = [CHARACTER_ID[c] for c in word[:MAX_WORD_LENGTH]]
            character_ids[row, step, : len(ids)] = ids
            tags[row, step] = next(
                tag for suffix, tag in SUFFIXES.items() if word.endswith(suffix)
            )
    inputs = {"token_ids": token_ids, "character_ids": character_ids}
    return inputs, tags


def test_only_characters_tag_unseen_words_by_their_suffix(rng):
    train_words = suffix_words(rng, 60)
    test_words = suffix_words(rng, 40, exclude=set(train_words))
    vocabulary = {word: index + 2 for index, word in enumerate(train_words)}
    x, tags = suffix_sentences(rng, train_words, vocabulary, 384)
    test_x, test_tags = suffix_sentences(rng, test_words, vocabulary, 128)
    assert np.all(test_x["token_ids"] <= 1)  # all unknown words

    def accuracy(model, inputs):
        model.compile(optimizer=keras.optimizers.Adam(0.02))
        model.fit(inputs, tags, batch_size=32, epochs=8, verbose=0)
        test_inputs = (
            test_x if isinstance(inputs, dict) else test_x["token_ids"]
        )
        predicted = np.asarray(model(test_inputs)).argmax(-1)
        real = test_x["token_ids"] > 0
        return (predicted == test_tags)[real].mean()

    options = dict(num_tags=4, cell="gru", units=16, embedding_dim=8)
    words_only = SequenceTagger(vocab_size=len(vocabulary) + 2, **options)
    with_characters = SequenceTagger(
        vocab_size=len(vocabulary) + 2,
        character_vocab_size=len(LETTERS) + 2,
        character_embedding_dim=8,
        character_filters=16,
        max_word_length=MAX_WORD_LENGTH,
        **options,
    )
    assert accuracy(with_characters, x) >= 0.95
    assert accuracy(words_only, x["token_ids"]) <= 0.6
