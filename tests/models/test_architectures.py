"""Every architecture with several cells: builds, trains a few steps, saves
and reloads (`.keras`) with identical predictions; masks keep padding out of
predictions, losses and metrics; configuration errors are clear."""

import json

import keras
import numpy as np
import pytest

from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceRegressor
from rnnzoo.models import SequenceTagger
from rnnzoo.models import language_model_targets

VOCAB, STEPS, SAMPLES = 10, 6, 8

CASES = {
    # Classifiers: every cell, every pooling, uni- and bidirectional.
    "classifier-lstm": (SequenceClassifier, "lstm", {"num_classes": 3}),
    "classifier-gru-mean-bi": (
        SequenceClassifier,
        "gru",
        {"num_classes": 3, "pooling": "mean", "bidirectional": True},
    ),
    "classifier-peephole_lstm-max-residual": (
        SequenceClassifier,
        "peephole_lstm",
        {"num_classes": 2, "pooling": "max", "num_layers": 2, "residual": True},
    ),
    "classifier-coupled_lstm-attention-bi": (
        SequenceClassifier,
        "coupled_lstm",
        {
            "num_classes": 3,
            "pooling": "attention",
            "bidirectional": True,
            "dropout": 0.1,
        },
    ),
    "classifier-mgu-last-bi-2layers": (
        SequenceClassifier,
        "mgu",
        {
            "num_classes": 1,
            "bidirectional": True,
            "num_layers": 2,
            "recurrent_dropout": 0.1,
        },
    ),
    "classifier-skip_rnn-attention": (
        SequenceClassifier,
        "skip_rnn",
        {
            "num_classes": 2,
            "activation": "sigmoid",
            "pooling": "attention",
            "cell_kwargs": {"skip": 3},
        },
    ),
    "classifier-simple-features": (
        SequenceClassifier,
        "simple",
        {
            "num_classes": 3,
            "activation": None,
            "input_dim": 2,
            "mask_value": 0.0,
        },
    ),
    # Taggers.
    "tagger-lstm-bi": (SequenceTagger, "lstm", {"num_tags": 4}),
    "tagger-gru-uni": (
        SequenceTagger,
        "gru",
        {"num_tags": 4, "bidirectional": False, "activation": None},
    ),
    "tagger-peephole_lstm-residual": (
        SequenceTagger,
        "peephole_lstm",
        {"num_tags": 4, "num_layers": 2, "residual": True, "dropout": 0.1},
    ),
    "tagger-coupled_lstm-features": (
        SequenceTagger,
        "coupled_lstm",
        {"num_tags": 4, "input_dim": 2, "mask_value": 0.0},
    ),
    "tagger-mgu-lm-heads": (
        SequenceTagger,
        "mgu",
        {"num_tags": 4, "language_model_heads": True},
    ),
    "tagger-skip_rnn-lm-heads-2layers": (
        SequenceTagger,
        "skip_rnn",
        {
            "num_tags": 4,
            "language_model_heads": True,
            "num_layers": 2,
            "cell_kwargs": {"skip": 2},
        },
    ),
    "tagger-lstm-lm-heads-forward-only": (
        SequenceTagger,
        "lstm",
        {"num_tags": 4, "language_model_heads": True, "bidirectional": False},
    ),
    # Regressors.
    "regressor-gru-features": (
        SequenceRegressor,
        "gru",
        {"input_dim": 2, "mask_value": 0.0, "output_dim": 2},
    ),
    "regressor-lstm-tokens-bi-attention": (
        SequenceRegressor,
        "lstm",
        {"bidirectional": True, "pooling": "attention"},
    ),
    "regressor-skip_rnn-features-mean": (
        SequenceRegressor,
        "skip_rnn",
        {"input_dim": 2, "pooling": "mean", "cell_kwargs": {"skip": 2}},
    ),
}


def make_inputs(rng, kwargs):
    lengths = rng.integers(2, STEPS + 1, size=SAMPLES)
    mask = np.arange(STEPS)[None, :] < lengths[:, None]
    if "input_dim" in kwargs:
        features = rng.uniform(0.5, 1.5, (SAMPLES, STEPS, kwargs["input_dim"]))
        return np.where(mask[..., None], features, 0.0).astype("float32")
    return np.where(mask, rng.integers(1, VOCAB, (SAMPLES, STEPS)), 0)


def make_targets(rng, model, x):
    if isinstance(model, SequenceTagger):
        tags = rng.integers(0, model.num_tags, size=(SAMPLES, STEPS))
        return model.training_targets(x, tags)
    if isinstance(model, SequenceRegressor):
        return rng.normal(size=(SAMPLES, model.output_dim)).astype("float32")
    if model.output_units == 1:
        return rng.integers(0, 2, size=(SAMPLES, 1))
    return rng.integers(0, model.num_classes, size=SAMPLES)


def build(case):
    architecture, cell, options = CASES[case]
    kwargs = {"cell": cell, "units": 8, **options}
    if "input_dim" not in kwargs:
        kwargs["vocab_size"] = VOCAB
    return architecture(**kwargs), kwargs


def as_dict(outputs):
    if isinstance(outputs, dict):
        return {key: np.asarray(value) for key, value in outputs.items()}
    return {"output": np.asarray(outputs)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_builds_trains_saves_and_reloads(case, rng, tmp_path):
    model, kwargs = build(case)
    x = make_inputs(rng, kwargs)
    y = make_targets(rng, model, x)
    # Eager steps keep the many cases fast; the learning tests run compiled.
    model.compile(run_eagerly=True)
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    after = model.get_weights()
    assert any(not np.allclose(b, a) for b, a in zip(before, after))

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    expected = as_dict(model(x))
    reloaded = as_dict(loaded(x))
    assert expected.keys() == reloaded.keys()
    for key in expected:
        np.testing.assert_allclose(reloaded[key], expected[key], atol=1e-6)
    # The compile config came back too: same loss and metrics.
    original = model.evaluate(x, y, verbose=0, return_dict=True)
    restored = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert original.keys() == restored.keys()
    for key in original:
        np.testing.assert_allclose(restored[key], original[key], rtol=1e-5)


def test_predict_compiled_equals_call(rng):
    model, kwargs = build("classifier-coupled_lstm-attention-bi")
    x = make_inputs(rng, kwargs)
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x), atol=1e-6)


@pytest.mark.parametrize("architecture", ["classifier", "regressor", "tagger"])
def test_config_is_json_and_round_trips(architecture):
    model = {
        "classifier": lambda: SequenceClassifier(
            3, cell="mgu", units=4, vocab_size=VOCAB, pooling="attention"
        ),
        "regressor": lambda: SequenceRegressor(
            cell="gru", units=4, input_dim=3, mask_value=-1.0
        ),
        "tagger": lambda: SequenceTagger(
            5, units=4, vocab_size=VOCAB, language_model_heads=True
        ),
    }[architecture]()
    config = model.get_config()
    json.dumps(config)
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    assert len(clone.weights) == len(model.weights)


def pad_to(ids, steps):
    return np.pad(ids, ((0, 0), (0, steps - ids.shape[1])))


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_classifier_predictions_ignore_padding(pooling, rng):
    model = SequenceClassifier(
        3,
        cell="lstm",
        units=4,
        vocab_size=VOCAB,
        num_layers=2,
        bidirectional=True,
        residual=True,
        pooling=pooling,
    )
    model.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()]
    )
    ids = np.array([[3, 4, 5, 0], [6, 7, 8, 9], [2, 0, 0, 0]])
    short, long = model(ids), model(pad_to(ids, 9))
    np.testing.assert_allclose(short, long, atol=1e-6)
    # Sanity: the padding changes nothing, but a real token does.
    changed = ids.copy()
    changed[:, 0] = 1
    assert not np.allclose(model(changed), short, atol=1e-4)


def test_regressor_predictions_ignore_padded_feature_steps(rng):
    model = SequenceRegressor(
        cell="gru", units=4, input_dim=2, mask_value=0.0, bidirectional=True
    )
    x = rng.uniform(0.5, 1.5, size=(3, 4, 2)).astype("float32")
    x[0, 2:] = 0.0
    padded = np.concatenate([x, np.zeros((3, 5, 2), "float32")], axis=1)
    np.testing.assert_allclose(model(x), model(padded), atol=1e-6)


def masked_cross_entropy(probabilities, labels, mask):
    picked = np.take_along_axis(probabilities, labels[..., None], -1)[..., 0]
    return -np.log(picked)[mask].mean()


def test_tagger_loss_and_accuracy_ignore_padded_labels(rng):
    model = SequenceTagger(4, cell="gru", units=8, vocab_size=VOCAB)
    model.compile()
    ids = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 1], [2, 0, 0, 0, 0]])
    mask = ids != 0
    tags = rng.integers(0, 4, size=ids.shape)
    other = np.where(mask, tags, (tags + 1) % 4)
    first = model.evaluate(ids, tags, verbose=0, return_dict=True)
    second = model.evaluate(ids, other, verbose=0, return_dict=True)
    assert first == pytest.approx(second, rel=1e-6)
    probabilities = np.asarray(model(ids))
    assert first["loss"] == pytest.approx(
        masked_cross_entropy(probabilities, tags, mask), rel=1e-5
    )
    predicted = probabilities.argmax(-1)
    assert first["accuracy"] == pytest.approx(
        (predicted == tags)[mask].mean(), rel=1e-6
    )


def test_language_model_targets():
    targets = language_model_targets(np.array([[4, 5, 6, 0]]))
    np.testing.assert_array_equal(targets["next_token"], [[5, 6, 0, 0]])
    np.testing.assert_array_equal(targets["previous_token"], [[0, 4, 5, 6]])
    assert set(language_model_targets([[1, 2]], False)) == {"next_token"}


def test_language_model_losses_skip_the_sequence_ends(rng):
    model = SequenceTagger(
        4, cell="gru", units=8, vocab_size=VOCAB, language_model_heads=True
    )
    model.compile()
    ids = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 1], [2, 0, 0, 0, 0]])
    tags = rng.integers(0, 4, size=ids.shape)
    y = {
        key: np.asarray(value)
        for key, value in model.training_targets(ids, tags).items()
    }
    first = model.evaluate(ids, y, verbose=0, return_dict=True)
    # Targets where a step has no neighbour do not count.
    moved = {key: value.copy() for key, value in y.items()}
    moved["next_token"][:, -1] = 7
    moved["next_token"][[0, 2], [2, 0]] = 7
    moved["previous_token"][:, 0] = 7
    second = model.evaluate(ids, moved, verbose=0, return_dict=True)
    assert first == pytest.approx(second, rel=1e-6)
    outputs = {key: np.asarray(value) for key, value in model(ids).items()}
    next_mask = (ids != 0) & (np.roll(ids, -1, axis=1) != 0)
    next_mask[:, -1] = False
    assert first["next_token_loss"] == pytest.approx(
        masked_cross_entropy(outputs["next_token"], y["next_token"], next_mask),
        rel=1e-5,
    )
    expected_total = (
        first["tags_loss"]
        + 0.1 * first["next_token_loss"]
        + 0.1 * first["previous_token_loss"]
    )
    assert first["loss"] == pytest.approx(expected_total, rel=1e-5)


def test_language_model_heads_do_not_see_their_targets(rng):
    """The next-token head at step t reads only steps 0..t, the
    previous-token head only steps t..end, even under two bidirectional
    layers whose upper layer has read the whole sequence."""
    model = SequenceTagger(
        4,
        cell="lstm",
        units=4,
        vocab_size=VOCAB,
        num_layers=2,
        residual=True,
        language_model_heads=True,
    )
    model.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()]
    )
    ids = np.array([[3, 4, 5, 6, 7, 8]])
    changed = ids.copy()
    k = 3
    changed[0, k] = 1
    before, after = model(ids), model(changed)
    np.testing.assert_allclose(
        after["next_token"][:, :k], before["next_token"][:, :k], atol=1e-6
    )
    np.testing.assert_allclose(
        after["previous_token"][:, k + 1 :],
        before["previous_token"][:, k + 1 :],
        atol=1e-6,
    )
    # The heads do see their own step, and the tags see everything.
    assert not np.allclose(
        after["next_token"][:, k], before["next_token"][:, k]
    )
    assert not np.allclose(after["tags"][:, 0], before["tags"][:, 0])


def test_irnn_recipe(tmp_path, rng):
    """Le et al. (2015): a ReLU Elman RNN whose recurrent weights start at
    the identity, in one line; an initializer object survives saving."""
    model = SequenceClassifier(
        10,
        cell="simple",
        units=6,
        input_dim=1,
        cell_kwargs={
            "activation": "relu",
            "recurrent_initializer": "identity",
            "kernel_initializer": keras.initializers.RandomNormal(stddev=0.001),
        },
    )
    layer = model.get_layer("recurrent_stack").recurrent_layers[0]
    assert isinstance(layer, keras.layers.SimpleRNN)
    assert layer.cell.activation is keras.activations.relu
    np.testing.assert_array_equal(layer.cell.recurrent_kernel, np.eye(6))
    assert np.abs(np.asarray(layer.cell.kernel)).max() < 0.01
    path = tmp_path / "irnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = rng.normal(size=(2, 5, 1)).astype("float32")
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


@pytest.mark.parametrize(
    "architecture, kwargs, match",
    [
        (SequenceClassifier, {"cell": "rnn"}, "`cell` must be a registered"),
        (SequenceClassifier, {"num_classes": 0}, "`num_classes` must be a"),
        (SequenceClassifier, {"pooling": "first"}, "`pooling` must be one"),
        (
            SequenceClassifier,
            {"num_classes": 1, "activation": "softmax"},
            'activation="softmax" needs `num_classes` >= 2',
        ),
        (SequenceClassifier, {"activation": "relu"}, "`activation` must be"),
        (SequenceClassifier, {"input_dim": 3}, "exactly one of `vocab_size`"),
        (SequenceRegressor, {"output_dim": 0}, "`output_dim` must be a"),
        (SequenceRegressor, {"num_layers": 0}, "`num_layers` must be a"),
        (SequenceTagger, {"num_tags": -1}, "`num_tags` must be a positive"),
        (SequenceTagger, {"activation": "sigmoid"}, "`activation` must be"),
        (
            SequenceTagger,
            {"language_model_heads": True, "vocab_size": None, "input_dim": 3},
            "needs token inputs",
        ),
        (
            SequenceTagger,
            {"language_model_heads": True, "mask_zero": False},
            "needs `mask_zero=True`",
        ),
        (SequenceTagger, {"dropout": 1.5}, "`dropout` must be a float"),
    ],
)
def test_configuration_errors(architecture, kwargs, match):
    first = {
        SequenceClassifier: "num_classes",
        SequenceRegressor: "output_dim",
        SequenceTagger: "num_tags",
    }[architecture]
    arguments = {first: 3, "units": 4, "vocab_size": VOCAB, **kwargs}
    with pytest.raises(ValueError, match=match):
        architecture(**arguments)


@pytest.mark.parametrize(
    "architecture", ["last", "mean", "max", "attention", "tagger"]
)
def test_mixed_precision(architecture):
    keras.config.set_dtype_policy("mixed_bfloat16")
    if architecture == "tagger":
        model = SequenceTagger(
            3, cell="mgu", units=4, vocab_size=VOCAB, language_model_heads=True
        )
    else:
        model = SequenceClassifier(
            3,
            cell="peephole_lstm",
            units=4,
            vocab_size=VOCAB,
            bidirectional=True,
            pooling=architecture,
        )
    stack = model.get_layer("recurrent_stack")
    assert stack.recurrent_layers[0].compute_dtype == "bfloat16"
    outputs = as_dict(model(np.array([[3, 4, 5, 0], [6, 7, 8, 9]])))
    for value in outputs.values():
        assert value.dtype == np.float32
        assert np.isfinite(value).all()


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["classifier", "tagger"])
def test_trains_with_xla(architecture, rng):
    ids = np.where(rng.random((8, 5)) < 0.8, rng.integers(1, VOCAB, (8, 5)), 0)
    if architecture == "classifier":
        model = SequenceClassifier(
            3, cell="skip_rnn", units=4, vocab_size=VOCAB, pooling="attention"
        )
        y = rng.integers(0, 3, size=8)
    else:
        model = SequenceTagger(
            3,
            cell="mgu",
            units=4,
            vocab_size=VOCAB,
            num_layers=2,
            language_model_heads=True,
        )
        y = model.training_targets(ids, rng.integers(0, 3, size=(8, 5)))
    model.compile(jit_compile=True)
    history = model.fit(ids, y, batch_size=4, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
