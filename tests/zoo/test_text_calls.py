"""Every published text entry, called as a user calls it: text in, text out.

Each entry is downloaded from a loopback server serving `hub/` (the
download path), then

* its text-level call on three fixed inputs gives the stored outputs
  (`text_calls_golden.json`, recorded once per archive with
  `python tests/zoo/test_text_calls.py --record`);
* the text call equals the token call on the same input vectorized
  independently (the preset's vocabulary looked up by hand), decoded by
  hand: the text calls sit on top of the token calls, not beside them.

The stored outputs were recorded on TensorFlow and hold on every backend,
except seeded samples: each backend draws its own random numbers, so the
language models' samples are stored per backend (`outputs_jax`, recorded
with `KERAS_BACKEND=jax python tests/zoo/test_text_calls.py --record`).
"""

import argparse
import functools
import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo.data.captions import load_mnist_captions
from rnnzoo.data.formatting import character_ids
from rnnzoo.training.export import load_trained_preset
from rnnzoo.zoo import registry

GOLDEN_FILE = Path(__file__).with_name("text_calls_golden.json")

TRANSLATOR = "translator_bahdanau.multi30k_en_de"
CHARACTER_LM = "shakespeare_char_lm.tiny_shakespeare"
WORD_LM = "ptb_word_lm.ptb"
TAGGER = "upos_tagger.ud_en_ewt"
CRF_TAGGER = "upos_tagger_crf.ud_en_ewt"
CAPTIONER = "mnist_captioner.mnist_captions"
CLASSIFIERS = (
    "sentiment_bilstm.imdb",
    "sentiment_skip_rnn.sst2",
    "sst2_bilstm.sst2",
)
TREE_CLASSIFIER = "sst_treelstm.sst"

SENTENCES = [
    "two dogs play in the snow .",
    "a man in a red shirt is riding a bike .",
    "a little girl climbs into a wooden playhouse .",
]
PROMPTS = {
    CHARACTER_LM: ["ROMEO:", "First Citizen:\n", "KING"],
    WORD_LM: ["the company said", "in new york", "stock prices"],
}
TAGGER_SENTENCES = [
    "I love this movie .",
    "The cat sat on the mat near the door .",
    "Don't stop me now, she said!",
]
REVIEWS = [
    "a gripping , funny and moving film .",
    "dull , far too long and never once surprising .",
    "an unseen zzyzx word .",
]
PARSED_REVIEW = "(3 (2 a) (4 (4 gorgeous) (2 film)))"
SAMPLING = {"strategy": "sample", "temperature": 0.8, "seed": 0}


def caption_images(count=3):
    """The first test strips of MNIST captions, as uint8 `(H, W)` arrays,
    with their captions."""
    batch = next(iter(load_mnist_captions("test", None).batch(count)))
    images = list(batch["image"].numpy()[..., 0])
    return images, [text.decode() for text in batch["caption"].numpy()]


def text_calls(name, model):
    """The entry's text-level call on its three fixed inputs."""
    if name == TRANSLATOR:
        return {
            "default": model.translate(SENTENCES),
            "greedy": model.translate(SENTENCES, strategy="greedy"),
            "beam": model.translate(SENTENCES, strategy="beam", beam_width=5),
        }
    if name in PROMPTS:
        return {"sample": model.generate(PROMPTS[name], 40, **SAMPLING)}
    if name in (TAGGER, CRF_TAGGER):
        tagged = model.tag(TAGGER_SENTENCES)
        return {"tags": [" ".join(map("/".join, pairs)) for pairs in tagged]}
    if name == CAPTIONER:
        return {"captions": model.caption(caption_images()[0])}
    if name == TREE_CLASSIFIER:
        # Raw text gets a balanced tree; a bracketed parse is read as given.
        return {"labels": model.predict_labels(REVIEWS + [PARSED_REVIEW])}
    return {"labels": model.predict_labels(REVIEWS)}


TEXT_ENTRIES = [TRANSLATOR, CHARACTER_LM, WORD_LM, TAGGER, CRF_TAGGER]
TEXT_ENTRIES += [CAPTIONER]
TEXT_ENTRIES += [*CLASSIFIERS, TREE_CLASSIFIER]


@pytest.fixture(scope="module")
def downloaded(hub_server):
    """Loads each entry once, through the loopback download path."""
    cache = {}

    def load(name):
        if name not in cache:
            cache[name] = rnnzoo.create_model(name, pretrained=True)
        return cache[name]

    return load


def stored_outputs_key(name):
    """The key of `name`'s stored outputs on the active backend: seeded
    samples differ between backends (see the module's docstring)."""
    backend = keras.backend.backend()
    if name in PROMPTS and backend != "tensorflow":
        return f"outputs_{backend}"
    return "outputs"


def sha256_of(name):
    config = registry.get_config(name)
    return registry.weights_entry(config, name.partition(".")[2])["sha256"]


@pytest.mark.parametrize("name", TEXT_ENTRIES)
def test_text_call_gives_the_stored_outputs(name, downloaded):
    golden = json.loads(GOLDEN_FILE.read_text()).get(name)
    key = stored_outputs_key(name)
    backend = keras.backend.backend()
    record = (
        f"`KERAS_BACKEND={backend} python tests/zoo/test_text_calls.py "
        "--record`"
    )
    if golden is None or golden["sha256"] != sha256_of(name):
        pytest.fail(
            f"No stored outputs for {name} as published: run {record} "
            "after publishing it."
        )
    if key not in golden:
        # Another backend's seeded samples, not recorded yet: the seeded
        # sampling tests below still check them.
        pytest.skip(f"no stored samples of {name} on {backend}: run {record}")
    assert text_calls(name, downloaded(name)) == golden[key]


def by_hand(tokens, vocabulary, end=None, skip=("", "[start]")):
    """Generated ids as text, decoded without rnnzoo's detokenizer."""
    words = []
    for token in tokens:
        if vocabulary[token] == end:
            break
        if vocabulary[token] not in skip:
            words.append(vocabulary[token])
    return words


@functools.cache
def vectorizer_of(name):
    """The preset's vectorizer, read from its assets apart from the
    preprocessor the text calls use; once per entry (a preset load builds
    the whole model)."""
    return load_trained_preset(registry.fetch_weights(name))[1]


def test_translate_text_equals_token_call(downloaded):
    model = downloaded(TRANSLATOR)
    vocabulary = vectorizer_of(TRANSLATOR).vocabulary("de")
    source = vectorizer_of(TRANSLATOR).vectorize("en", tf.constant(SENTENCES))
    # Unknown words as the model wrote them; their replacement is checked
    # in test_text_call_edges.py.
    for options in (
        {"strategy": "greedy", "replace_unknown": False},
        {"strategy": "beam", "beam_width": 5, "replace_unknown": False},
    ):
        ids_options = {
            k: v for k, v in options.items() if k != "replace_unknown"
        }
        tokens = model.translate(source.numpy(), **ids_options).tokens
        expected = [
            " ".join(by_hand(row, vocabulary, "[end]")) for row in tokens
        ]
        translations = model.translate(SENTENCES, **options)
        assert translations == expected
        # Words of the German vocabulary (`[UNK]` where the model wrote
        # it), no markers or padding.
        allowed = set(vocabulary) - {"", "[start]", "[end]"}
        for translation in translations:
            words = translation.split()
            assert words and set(words) <= allowed, translation


@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_generate_text_equals_token_call(name, downloaded):
    model = downloaded(name)
    vectorizer = vectorizer_of(name)
    vocabulary = vectorizer.vocabulary("tokens")
    character = name == CHARACTER_LM
    for prompt in PROMPTS[name]:
        tokens = list(prompt) if character else prompt.split()
        ids = vectorizer.vectorize("tokens", tf.constant(tokens))
        generated = model.generate(ids.numpy()[None], 12).tokens[0]
        words = by_hand(generated, vocabulary)
        expected = (
            prompt
            + ("" if character else " ")
            + (("" if character else " ").join(words))
        )
        assert model.generate([prompt], 12) == [expected]


def test_seeded_sampling_gives_the_same_strings_twice(downloaded):
    model = downloaded(CHARACTER_LM)
    first = model.generate(PROMPTS[CHARACTER_LM], 60, **SAMPLING)
    assert model.generate(PROMPTS[CHARACTER_LM], 60, **SAMPLING) == first
    other = model.generate(PROMPTS[CHARACTER_LM], 60, **{**SAMPLING, "seed": 1})
    assert other != first
    for prompt, text in zip(PROMPTS[CHARACTER_LM], first):
        assert text.startswith(prompt) and len(text) == len(prompt) + 60


def test_tag_equals_token_call(downloaded):
    model = downloaded(TAGGER)
    vectorizer = vectorizer_of(TAGGER)
    tags = vectorizer.vocabulary("upos")
    for sentence, tagged in zip(TAGGER_SENTENCES, model.tag(TAGGER_SENTENCES)):
        tokens = [token for token, _ in tagged]
        assert "".join(tokens) == sentence.replace(" ", "")
        values = tf.constant(tokens)
        inputs = {
            "token_ids": vectorizer.vectorize("tokens", values).numpy()[None],
            "character_ids": character_ids(vectorizer, values, 20).numpy()[
                None
            ],
        }
        outputs = model.predict(inputs, verbose=0)
        expected = [tags[i] for i in np.argmax(outputs[0], axis=-1)]
        assert [tag for _, tag in tagged] == expected


def test_caption_equals_token_call_and_names_the_digits(downloaded):
    model = downloaded(CAPTIONER)
    images, captions = caption_images()
    vocabulary = vectorizer_of(CAPTIONER).vocabulary("caption")
    pixels = np.stack(images)[..., None].astype("float32")
    tokens = model.caption(pixels).tokens
    expected = [" ".join(by_hand(row, vocabulary, "[end]")) for row in tokens]
    assert model.caption(images) == expected
    # The first strips of the test split are captioned right.
    assert expected == captions


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_text_equals_token_call(name, downloaded):
    model = downloaded(name)
    vectorizer = vectorizer_of(name)
    probabilities = model.predict(REVIEWS, verbose=0)
    for review, row in zip(REVIEWS, probabilities):
        ids = vectorizer.vectorize("text", tf.constant([review])).numpy()
        np.testing.assert_allclose(
            model.predict(ids, verbose=0)[0], row, rtol=1e-5, atol=1e-6
        )
        # An unknown word is the unknown token, id 1.
        if "zzyzx" in review:
            assert 1 in ids
    labels = model.predict_labels(REVIEWS)
    assert labels == [
        "positive" if p > 0.5 else "negative" for p in probabilities[:, 0]
    ]


def record():
    """Writes the stored outputs of every text entry as published now: on
    TensorFlow every entry's (dropping other backends' samples of an entry
    published anew), on another backend its seeded samples only."""
    golden = json.loads(GOLDEN_FILE.read_text()) if GOLDEN_FILE.exists() else {}
    on_tensorflow = keras.backend.backend() == "tensorflow"
    for name in TEXT_ENTRIES:
        key = stored_outputs_key(name)
        if not on_tensorflow and key == "outputs":
            continue
        model = rnnzoo.create_model(name, pretrained=True)
        entry = golden.get(name, {})
        if entry.get("sha256") != sha256_of(name):
            if not on_tensorflow:
                raise SystemExit(f"record {name} on TensorFlow first")
            entry = {"sha256": sha256_of(name)}
        entry[key] = text_calls(name, model)
        golden[name] = entry
    golden = {name: golden[name] for name in TEXT_ENTRIES}
    GOLDEN_FILE.write_text(
        json.dumps(golden, indent=1, ensure_ascii=False) + "\n"
    )
    print(f"wrote {GOLDEN_FILE}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", required=True)
    parser.parse_args()
    record()
