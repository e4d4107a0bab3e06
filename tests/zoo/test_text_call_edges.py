"""The text calls at their edges: offline-first loading, empty and long
inputs, bad inputs (each message checked), fine-tuning a published model
under a new head, `from_preset`, and presets before and after
`preprocessor.json`."""

import json
import tarfile

import numpy as np
import pytest

import rnnzoo
from rnnzoo.models import LanguageModel
from rnnzoo.models import Seq2Seq
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceTagger
from rnnzoo.preprocessors import TaggerPreprocessor
from rnnzoo.preprocessors.base import PREPROCESSOR_FILE
from rnnzoo.zoo import hub
from rnnzoo.zoo import presets
from rnnzoo.zoo import registry

TRANSLATOR = "translator_bahdanau.multi30k_en_de"
TAGGER = "upos_tagger.ud_en_ewt"
CHARACTER_LM = "shakespeare_char_lm.tiny_shakespeare"
CAPTIONER = "mnist_captioner.mnist_captions"
SST = "sentiment_skip_rnn.sst2"
VOWELS = "vowels_mgu.japanese_vowels"


@pytest.fixture(scope="module")
def offline_cache(tmp_path_factory):
    """No mirror, no network: archives come from the checkout's `hub/`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNZOO_HOME", str(tmp_path_factory.mktemp("cache")))
        patch.delenv("RNNZOO_WEIGHTS_URL", raising=False)
        patch.setenv("RNNZOO_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def load(offline_cache):
    cache = {}

    def load_model(name):
        if name not in cache:
            cache[name] = rnnzoo.create_model(name, pretrained=True)
        return cache[name]

    return load_model


def test_pretrained_loads_offline_from_the_checkout_hub(load):
    model = load(TAGGER)
    entry = registry.weights_entry(registry.get_config(TAGGER), None)
    cached = hub.cache_dir() / entry["file"]
    assert hub.sha256_of(cached) == entry["sha256"]
    assert isinstance(model.preprocessor, TaggerPreprocessor)


def test_a_corrupt_checkout_copy_is_never_used(
    offline_cache, tmp_path, monkeypatch
):
    entry = registry.weights_entry(registry.get_config(SST), None)
    (tmp_path / entry["file"]).write_bytes(b"not an archive")
    monkeypatch.setattr(hub, "checkout_hub", lambda: tmp_path)
    monkeypatch.setenv("RNNZOO_HOME", str(tmp_path / "fresh_cache"))
    with pytest.raises(hub.DownloadError, match="not in the cache"):
        registry.fetch_weights(SST)
    assert not (tmp_path / "fresh_cache" / entry["file"]).exists()


def test_empty_inputs_give_empty_results(load):
    assert load(TRANSLATOR).translate(["", "two dogs ."])[0] == ""
    assert load(TRANSLATOR).translate("") == [""]
    assert load(CHARACTER_LM).generate([""], 5) == [""]
    assert load(TAGGER).tag(["", "Hello ."])[0] == []
    assert len(load(SST).predict_labels([""])) == 1


def test_long_inputs_are_processed_fully(load):
    sentence = " ".join(["the dog runs ."] * 80)
    tagged = load(TAGGER).tag(sentence)[0]
    assert len(tagged) == 320
    assert [tag for token, tag in tagged if token == "."] == ["PUNCT"] * 80
    translation = load(TRANSLATOR).translate(sentence, max_length=20)[0]
    assert 0 < len(translation.split()) <= 20


def test_ids_given_to_a_text_call(load):
    with pytest.raises(ValueError, match="`texts` must be a sentence.*predict"):
        load(TAGGER).tag(np.array([[3, 4]]))


def test_strings_given_to_a_model_without_preprocessor():
    classifier = SequenceClassifier(num_classes=2, vocab_size=10, units=2)
    with pytest.raises(ValueError, match=r"predict\(\) was given raw.*no pre"):
        classifier.predict(["a text"])
    model = LanguageModel(vocab_size=10, units=2, stateful=False)
    message = r"generate\(\) was given raw.*from_preset"
    with pytest.raises(ValueError, match=message):
        model.generate(["a prompt"])


def test_strings_given_to_a_numeric_model(load):
    with pytest.raises(ValueError, match="reads numbers, not raw text"):
        load(VOWELS).predict(["a text"])


def test_images_of_the_wrong_form(load, tmp_path):
    captioner = load(CAPTIONER)
    with pytest.raises(ValueError, match="`images` must be .*shape"):
        captioner.caption(np.zeros((1, 2, 3, 4, 5), "uint8"))
    with pytest.raises(ValueError, match=r"last axis \(7\) is no channel"):
        captioner.caption(np.zeros((5, 5, 7), "uint8"))
    with pytest.raises(FileNotFoundError, match="no image file at"):
        captioner.caption(str(tmp_path / "missing.png"))


def test_any_image_size_and_channels(load):
    captioner = load(CAPTIONER)
    rgb = np.zeros((56, 224, 3), "uint8")
    gray = np.zeros((14, 56), "uint8")
    captions = captioner.caption([rgb, gray])
    assert len(captions) == 2 and all(isinstance(c, str) for c in captions)


def test_from_preset_returns_the_task_or_says_which_it_is(offline_cache):
    tagger = SequenceTagger.from_preset(TAGGER)
    assert isinstance(tagger.preprocessor, TaggerPreprocessor)
    with pytest.raises(ValueError, match="holds a SequenceTagger, not a Seq2"):
        Seq2Seq.from_preset(TAGGER)


def test_fine_tuning_keeps_body_and_preprocessor(load):
    pretrained = load(SST)
    model = rnnzoo.create_model(SST, pretrained=True, num_classes=3)
    head = [w.path for w in model.weights if "predictions" in w.path]
    assert head and len(model.weights) == len(pretrained.weights)
    for old, new in zip(pretrained.weights, model.weights):
        if new.path not in head:
            np.testing.assert_array_equal(old.numpy(), new.numpy())
    assert model.preprocessor.vectorizer.vocabulary("text") == (
        pretrained.preprocessor.vectorizer.vocabulary("text")
    )
    assert model.preprocessor.label_names is None
    texts = ["great fun", "awful mess", "it is a film", "superb", "boring"]
    labels = [2, 0, 1, 2, 0]  # A plain list, as users write them.
    model.compile(optimizer="adam")
    history = model.fit(texts, labels, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert set(model.predict_labels(texts)) <= {0, 1, 2}
    model.preprocessor.label_names = ["bad", "neutral", "good"]
    model.fit(texts, ["good", "bad", "neutral", "good", "bad"], verbose=0)
    assert set(model.predict_labels(texts)) <= {"bad", "neutral", "good"}
    with pytest.raises(ValueError, match="Unknown label 'meh'"):
        model.fit(texts[:1], ["meh"], verbose=0)


def test_label_strings_without_names(load):
    model = rnnzoo.create_model(SST, pretrained=True, num_classes=3)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="`y` holds strings.*label names"):
        model.fit(["a"], ["good"], verbose=0)


def test_a_tagger_with_a_new_tag_set(offline_cache):
    tagger = rnnzoo.create_model(TAGGER, pretrained=True, num_tags=4)
    tagged = tagger.tag("I love it .")[0]
    assert [token for token, _ in tagged] == ["I", "love", "it", "."]
    assert all(tag in range(4) for _, tag in tagged)


def test_published_presets_predate_preprocessor_json_and_still_load(load):
    entry = registry.weights_entry(registry.get_config(TAGGER), None)
    registry.fetch_weights(TAGGER)
    with tarfile.open(hub.cache_dir() / entry["file"]) as members:
        assert PREPROCESSOR_FILE not in members.getnames()
    assert isinstance(load(TAGGER).preprocessor, TaggerPreprocessor)
    # A republished archive carries its own.
    entry = registry.weights_entry(registry.get_config(TRANSLATOR), None)
    registry.fetch_weights(TRANSLATOR)
    with tarfile.open(hub.cache_dir() / entry["file"]) as members:
        assert PREPROCESSOR_FILE in members.getnames()


def test_a_saved_preset_carries_its_preprocessor(load, tmp_path):
    tagger = load(TAGGER)
    folder = presets.save_preset(tagger, tmp_path / "preset")
    record = json.loads((folder / PREPROCESSOR_FILE).read_text())
    assert record["class_name"] == "TaggerPreprocessor"
    assert record["config"]["max_word_length"] == 20
    restored = registry.load_task(folder)
    assert restored.preprocessor.get_config() == (
        tagger.preprocessor.get_config()
    )
    sentence = "Two dogs play in the snow ."
    assert restored.tag(sentence) == tagger.tag(sentence)


def test_the_default_decoding_is_the_preprocessors(offline_cache):
    translator = rnnzoo.create_model(TRANSLATOR, pretrained=True)
    sentence = ["a little girl climbs into a wooden playhouse ."]
    ids = translator.preprocessor.model_inputs(sentence)
    greedy = translator.translate(ids, strategy="greedy").tokens
    beam = translator.translate(ids, strategy="beam", beam_width=5).tokens
    translator.preprocessor.decoding = {"strategy": "greedy"}
    np.testing.assert_array_equal(translator.translate(ids).tokens, greedy)
    translator.preprocessor.decoding = {"strategy": "beam", "beam_width": 5}
    np.testing.assert_array_equal(translator.translate(ids).tokens, beam)
    assert translator.translate(sentence) == (
        translator.translate(sentence, strategy="beam", beam_width=5)
    )
    # An explicit strategy wins over the default.
    np.testing.assert_array_equal(
        translator.translate(ids, strategy="greedy").tokens, greedy
    )


def test_extend_vocabulary_keeps_what_the_model_knew(load):
    model = rnnzoo.create_model(SST, pretrained=True, num_classes=3)
    texts = ["a zzyzxian film", "zzyzxian and qwxlt", "a fine film"]
    extended = rnnzoo.zoo.extend_vocabulary(model, texts)
    old = model.preprocessor.vectorizer.vocabulary("text")
    new = extended.preprocessor.vectorizer.vocabulary("text")
    assert new[: len(old)] == old and new[len(old) :] == ["zzyzxian", "qwxlt"]
    assert model.preprocessor.model_inputs(["zzyzxian"])[0, 0] == 1
    assert extended.preprocessor.model_inputs(["zzyzxian"])[0, 0] == len(old)
    embedding = extended.weights[0].numpy()
    assert embedding.shape[0] == len(new)
    np.testing.assert_array_equal(embedding[: len(old)], model.weights[0])
    np.testing.assert_allclose(
        extended.predict(["a fine film"], verbose=0),
        model.predict(["a fine film"], verbose=0),
        rtol=1e-6,
    )
    extended.compile(optimizer="adam")
    extended.fit(texts, [0, 1, 2], verbose=0)
    tagger = rnnzoo.zoo.extend_vocabulary(load(TAGGER), ["The Zorblax ."])
    assert tagger.preprocessor.vectorizer.vocabulary("tokens")[-1] == "zorblax"
    with pytest.raises(ValueError, match="takes a text classifier or a tag"):
        rnnzoo.zoo.extend_vocabulary(load(TRANSLATOR), ["a"])


UNKNOWN_WORDS = [
    "a zyxwv man plays the qwvbn in the park .",
    "the tourists photograph a gazebo near the lighthouse .",
    "two dogs run .",
]


def test_replace_unknown_copies_the_most_attended_source_word(load):
    translator = load(TRANSLATOR)
    ids = translator.preprocessor.model_inputs(UNKNOWN_WORDS)
    result = translator.translate(ids, strategy="greedy")
    vocabulary = translator.preprocessor.vocabulary
    expected = []
    for row, sentence in enumerate(UNKNOWN_WORDS):
        # Lowercase words split at spaces: how these sentences tokenize.
        words = sentence.split()
        out = []
        for step, token in enumerate(result.tokens[row]):
            if vocabulary[token] == "[end]":
                break
            word = vocabulary[token]
            if word == "[UNK]":
                weights = result.alignments[row, step, : len(words)]
                word = words[max(range(len(words)), key=weights.__getitem__)]
            out.append(word)
        expected.append(" ".join(out))
    plain = translator.translate(
        UNKNOWN_WORDS, strategy="greedy", replace_unknown=False
    )
    replaced = translator.translate(
        UNKNOWN_WORDS, strategy="greedy", replace_unknown=True
    )
    assert sum(text.count("[UNK]") for text in plain) >= 3
    assert replaced == expected
    assert not any("[UNK]" in text for text in replaced)
    assert replaced[2] == plain[2]  # nothing unknown, nothing changed


def test_replace_unknown_follows_the_default_decoding(offline_cache):
    translator = rnnzoo.create_model(TRANSLATOR, pretrained=True)
    decoding = {"strategy": "greedy"}
    translator.preprocessor.decoding = {**decoding, "replace_unknown": True}
    replaced = translator.translate(UNKNOWN_WORDS)
    assert replaced == translator.translate(
        UNKNOWN_WORDS, strategy="greedy", replace_unknown=True
    )
    # Given, the option wins; the default strategy still applies.
    plain = translator.translate(UNKNOWN_WORDS, replace_unknown=False)
    assert "[UNK]" in plain[0]
    assert plain == translator.translate(
        UNKNOWN_WORDS, strategy="greedy", replace_unknown=False
    )


def test_replace_unknown_needs_sentences_and_a_bool(load):
    translator = load(TRANSLATOR)
    ids = translator.preprocessor.model_inputs(UNKNOWN_WORDS[:1])
    with pytest.raises(ValueError, match="must be sentences.*got token ids"):
        translator.translate(ids, replace_unknown=True)
    with pytest.raises(ValueError, match="`replace_unknown` must be a bool"):
        translator.translate(UNKNOWN_WORDS[:1], replace_unknown="yes")


def test_bleu_is_measured_on_what_translate_writes(load):
    """`rnnzoo evaluate` scores the translations the text call gives, with
    `replace_unknown` from the config's decoding."""
    import tensorflow as tf

    from rnnzoo.tasks.metrics import corpus_bleu
    from rnnzoo.tasks.registry import get_task

    translator = load(TRANSLATOR)
    references = ["ein mann spielt im park .", "touristen .", "zwei hunde ."]
    examples = tf.data.Dataset.from_tensor_slices(
        {"en": UNKNOWN_WORDS, "de": references}
    )
    task = get_task("translation")
    vectorizer = translator.preprocessor.vectorizer
    for replace in (False, True):
        decoding = {"strategy": "greedy", "replace_unknown": replace}
        written = translator.translate(UNKNOWN_WORDS, **decoding)
        measured = task.generation_metrics(
            translator, vectorizer, examples, length=50, decoding=decoding
        )
        assert measured["bleu"] == corpus_bleu(written, references)
    assert corpus_bleu(written, references) != corpus_bleu(
        translator.translate(
            UNKNOWN_WORDS, strategy="greedy", replace_unknown=False
        ),
        references,
    )
