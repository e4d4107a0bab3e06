"""`SequenceTagger(crf=True)`: its loss, metrics and tags against brute-force
enumeration of every tag sequence, its training under XLA through the
tagging task, and its saving as `.keras` and as a preset."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.models import SequenceTagger
from rnnzoo.training import recipe
from rnnzoo.zoo import load_preset
from rnnzoo.zoo import save_preset
from tests.layers.crf_reference import brute_force

VOCAB, TAGS = 30, 4
IDS = np.array(
    [
        [3, 4, 5, 0, 0],
        [6, 7, 8, 9, 1],
        [2, 0, 0, 0, 0],
        [5, 5, 6, 7, 0],
    ]
)
MASK = IDS != 0


def crf_tagger(seed=0, scale=1.0, **kwargs):
    """A small CRF tagger whose CRF weights are random (zero by default,
    where Viterbi would equal the per-step argmax)."""
    model = SequenceTagger(
        TAGS, cell="gru", units=8, vocab_size=VOCAB, crf=True, **kwargs
    )
    rng = np.random.default_rng(seed)
    for weight in model.crf_layer.weights:
        weight.assign(scale * rng.normal(size=weight.shape))
    return model


def gold_tags(seed=1):
    # Tag 0 is padding; padded steps carry other tags, which never count.
    return np.random.default_rng(seed).integers(1, TAGS, size=IDS.shape)


def reference(model, tags, mask=MASK, x=IDS):
    crf = model.crf_layer
    outputs = model(x)
    if isinstance(outputs, dict):
        outputs = outputs["tags"]
    potentials = np.asarray(outputs, "float64")
    return brute_force(
        potentials,
        tags,
        mask,
        np.asarray(crf.transitions, "float64"),
        np.asarray(crf.start_transitions, "float64"),
        np.asarray(crf.end_transitions, "float64"),
    )


def per_token_loss_and_accuracy(rows, tags, mask=MASK):
    loss = -sum(row["log_likelihood"] for row in rows) / mask.sum()
    best = np.array([row["best_tags"] for row in rows])
    return loss, (best == tags)[mask].mean()


def test_loss_accuracy_and_tags_match_enumeration():
    # Compiled, as in training; the other checks run eagerly, faster.
    model = crf_tagger(scale=2.0)
    model.compile()
    tags = gold_tags()
    rows = reference(model, tags)
    loss, accuracy = per_token_loss_and_accuracy(rows, tags)
    logs = model.evaluate(IDS, tags, batch_size=8, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(loss, rel=1e-5)
    assert logs["accuracy"] == pytest.approx(accuracy, rel=1e-6)
    best = np.array([row["best_tags"] for row in rows])
    np.testing.assert_array_equal(model.predict_tags(IDS), best)
    # The transitions matter: Viterbi is not the per-step argmax here.
    argmax = np.where(MASK, np.asarray(model(IDS)).argmax(-1), 0)
    assert np.any(argmax != best)


def test_padded_labels_do_not_count():
    model = crf_tagger()
    model.compile(run_eagerly=True)
    tags = gold_tags()
    other = np.where(MASK, tags, (tags + 1) % TAGS)
    first = model.evaluate(IDS, tags, verbose=0, return_dict=True)
    second = model.evaluate(IDS, other, verbose=0, return_dict=True)
    assert first == pytest.approx(second, rel=1e-6)


def test_zero_transitions_train_as_the_softmax_tagger():
    model = SequenceTagger(
        TAGS, cell="gru", units=8, vocab_size=VOCAB, crf=True
    )
    model.compile(run_eagerly=True)
    tags = gold_tags()
    logits = np.asarray(model(IDS), "float64")
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_softmax, tags[..., None], -1)[..., 0]
    logs = model.evaluate(IDS, tags, batch_size=8, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(-picked[MASK].mean(), rel=1e-5)
    assert logs["accuracy"] == pytest.approx(
        (logits.argmax(-1) == tags)[MASK].mean(), rel=1e-6
    )


def test_step_weights_mark_padding_without_a_mask():
    model = crf_tagger(seed=2, mask_zero=False)
    model.compile(run_eagerly=True)
    tags = gold_tags()
    rows = reference(model, tags)
    loss, accuracy = per_token_loss_and_accuracy(rows, tags)
    logs = model.evaluate(
        IDS,
        tags,
        sample_weight=MASK.astype("float32"),
        batch_size=8,
        verbose=0,
        return_dict=True,
    )
    assert logs["loss"] == pytest.approx(loss, rel=1e-5)
    assert logs["accuracy"] == pytest.approx(accuracy, rel=1e-6)


def test_sentence_weights_weigh_each_sentence_by_its_tokens():
    model = crf_tagger(seed=3)
    model.compile(run_eagerly=True)
    tags = gold_tags()
    rows = reference(model, tags)
    weights = np.array([1.0, 0.0, 2.0, 0.5], "float32")
    lengths = MASK.sum(1)
    expected = (
        -sum(w * row["log_likelihood"] for w, row in zip(weights, rows))
        / (weights * lengths).sum()
    )
    logs = model.evaluate(
        IDS,
        tags,
        sample_weight=weights,
        batch_size=8,
        verbose=0,
        return_dict=True,
    )
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


def as_dynamic_dataset(x, y, batch_size):
    """Batches whose spec leaves batch and steps unknown, as a padding
    pipeline's does."""
    spec = (
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None, None], tf.int32),
    )
    rows = [(x[i : i + batch_size], y[i : i + batch_size]) for i in (0, 2)]
    return tf.data.Dataset.from_generator(
        lambda: iter(rows), output_signature=spec
    )


def test_trains_under_xla_with_the_tagging_tasks_compile_arguments():
    model = crf_tagger(scale=0.0)
    training = {"optimizer": "adam", "learning_rate": 0.05, "epochs": 3}
    recipe.compile_model(
        model,
        "tagging",
        training,
        recipe.make_optimizer(training, 0.05),
        jit_compile=True,
    )
    assert model.jit_compile is True
    data = as_dynamic_dataset(
        IDS.astype("int32"), gold_tags().astype("int32"), 2
    )
    history = model.fit(data, epochs=3, verbose=0).history
    assert set(history) == {"loss", "accuracy"}
    assert len(history["loss"]) == 3
    assert np.all(np.isfinite(history["loss"]))
    assert history["loss"][-1] < history["loss"][0]
    assert np.abs(np.asarray(model.crf_layer.transitions)).max() > 1e-3


def test_saves_and_loads_as_keras_file_and_preset(tmp_path):
    model = crf_tagger(seed=4, scale=2.0)
    model.compile()
    tags = gold_tags()
    expected_tags = model.predict_tags(IDS)
    expected_logs = model.evaluate(IDS, tags, verbose=0, return_dict=True)

    model.save(tmp_path / "tagger.keras")
    loaded = keras.saving.load_model(tmp_path / "tagger.keras")
    assert loaded.get_config() == model.get_config()
    assert loaded.crf and loaded.activation is None
    np.testing.assert_array_equal(loaded.predict_tags(IDS), expected_tags)
    restored_logs = loaded.evaluate(IDS, tags, verbose=0, return_dict=True)
    assert restored_logs == pytest.approx(expected_logs, rel=1e-5)

    save_preset(model, tmp_path / "preset")
    from_preset = load_preset(tmp_path / "preset")
    assert isinstance(from_preset, SequenceTagger) and from_preset.crf
    np.testing.assert_array_equal(from_preset.predict_tags(IDS), expected_tags)


class WordsPreprocessor:
    """Splits on spaces; a word's id is its length, a tag's name `T<id>`."""

    def tokenize(self, raw):
        texts = [raw] if isinstance(raw, str) else raw
        return [text.split() for text in texts]

    def model_inputs(self, sentences):
        length = max(len(words) for words in sentences)
        ids = np.zeros((len(sentences), length), "int32")
        for row, words in enumerate(sentences):
            ids[row, : len(words)] = [len(word) for word in words]
        return ids

    def label_name(self, tag_id):
        return f"T{tag_id}"


def test_tag_returns_the_viterbi_path_of_sentences():
    model = crf_tagger(seed=5, scale=3.0)
    model.preprocessor = WordsPreprocessor()
    sentences = ["aa bbb c dddd", "ee f"]
    x = model.preprocessor.model_inputs(model.preprocessor.tokenize(sentences))
    rows = reference(model, np.zeros_like(x), x != 0, x)
    tagged = model.tag(sentences)
    for row, sentence, words in zip(rows, tagged, x):
        real = row["best_tags"][words != 0]
        assert [tag for _, tag in sentence] == [f"T{t}" for t in real]
    assert [word for word, _ in tagged[1]] == ["ee", "f"]


def test_softmax_taggers_tags_are_the_argmax_with_padding_zero():
    model = SequenceTagger(TAGS, cell="gru", units=8, vocab_size=VOCAB)
    probabilities = np.asarray(model(IDS))
    np.testing.assert_array_equal(
        model.predict_tags(IDS), np.where(MASK, probabilities.argmax(-1), 0)
    )


def test_language_model_heads_add_their_losses_to_the_crfs():
    model = crf_tagger(seed=6, language_model_heads=True)
    model.compile(run_eagerly=True)
    tags = gold_tags()
    y = model.training_targets(IDS, tags)
    logs = model.evaluate(IDS, y, batch_size=8, verbose=0, return_dict=True)
    loss, accuracy = per_token_loss_and_accuracy(reference(model, tags), tags)
    assert logs["tags_accuracy"] == pytest.approx(accuracy, rel=1e-6)
    expected = (
        loss + 0.1 * logs["next_token_loss"] + 0.1 * logs["previous_token_loss"]
    )
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    history = model.fit(IDS, y, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])


@pytest.mark.parametrize(
    "loss",
    ["sparse_categorical_crossentropy", {"tags": "mse"}],
)
def test_a_loss_for_the_tags_is_refused(loss):
    model = crf_tagger()
    with pytest.raises(ValueError, match="CRF negative log-likelihood"):
        model.compile(loss=loss)


def test_the_crf_replaces_the_softmax():
    model = SequenceTagger(TAGS, units=4, vocab_size=VOCAB, crf=True)
    assert model.activation is None
    assert model.get_layer("tags").activation is keras.activations.linear
    assert SequenceTagger(TAGS, units=4, vocab_size=VOCAB).crf_layer is None
    with pytest.raises(ValueError, match="`crf`"):
        SequenceTagger(TAGS, units=4, vocab_size=VOCAB, crf="yes")
