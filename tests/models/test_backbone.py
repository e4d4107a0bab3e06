"""`RecurrentBackbone` alone (shapes, masks, config, `.keras` files), and
the tasks built on one: they share its layers, give the same config and
outputs as when built from the flat arguments, and reuse a published
model's trained backbone under a new head."""

import inspect
import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from rnnzoo.models import BACKBONE_ARGUMENTS
from rnnzoo.models import LanguageModel
from rnnzoo.models import RecurrentBackbone
from rnnzoo.models import RecurrentStack
from rnnzoo.models import Seq2Seq
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceEncoder
from rnnzoo.models import SequenceRegressor
from rnnzoo.models import SequenceTagger

HUB_DIR = Path(__file__).resolve().parents[2] / "hub"
VOCAB = 12


def test_token_backbone_shapes_and_mask():
    backbone = RecurrentBackbone(
        cell="gru", units=4, num_layers=2, bidirectional=True, vocab_size=VOCAB
    )
    assert backbone.output_dim == 8
    assert backbone.output.shape == (None, None, 8)
    ids = np.array([[3, 4, 5, 0], [6, 7, 8, 9]])
    sequence = backbone(ids)
    assert tuple(sequence.shape) == (2, 4, 8)
    np.testing.assert_array_equal(
        sequence._keras_mask, [[True, True, True, False], [True] * 4]
    )
    # Several layers, not split: there is no first layer's output.
    assert backbone.first_layer_output is None


def test_feature_backbone_masks_padded_steps():
    backbone = RecurrentBackbone(
        cell="mgu", units=3, input_dim=2, mask_value=-1.0, sequence_length=4
    )
    assert backbone.input.shape == (None, 4, 2)
    x = np.ones((1, 4, 2), "float32")
    x[0, 3] = -1.0
    np.testing.assert_array_equal(
        backbone(x)._keras_mask, [[True, True, True, False]]
    )
    assert backbone.first_layer_output is backbone.output


def test_split_backbone_exposes_its_first_layer():
    backbone = RecurrentBackbone(
        units=3, num_layers=3, vocab_size=VOCAB, return_first_layer=True
    )
    names = [layer.name for layer in backbone.layers]
    assert "upper_recurrent_stack" in names
    assert backbone.first_layer_output.shape == (None, None, 3)
    # One layer has nothing to split.
    single = RecurrentBackbone(units=3, vocab_size=VOCAB, return_first_layer=1)
    assert single.get_config()["return_first_layer"] is False
    assert single.first_layer_output is single.output


def test_config_holds_every_argument_and_round_trips():
    backbone = RecurrentBackbone(
        cell="skip_rnn",
        units=4,
        num_layers=2,
        residual=True,
        dropout=0.1,
        cell_kwargs={"skip": 2},
        vocab_size=VOCAB,
        embedding_dim=5,
        character_vocab_size=7,
        character_filters=3,
        word_dropout=0.2,
        return_first_layer=True,
        name="body",
    )
    config = backbone.get_config()
    json.dumps(config)
    parameters = inspect.signature(RecurrentBackbone.__init__).parameters
    assert set(parameters) - {"self", "kwargs"} <= set(config)
    assert set(BACKBONE_ARGUMENTS) <= set(config)
    clone = RecurrentBackbone.from_config(config)
    assert clone.get_config() == config
    assert sorted(clone.input) == ["character_ids", "token_ids"]


def test_keras_file_round_trip(tmp_path, rng):
    backbone = RecurrentBackbone(
        cell="peephole_lstm", units=4, bidirectional=True, vocab_size=VOCAB
    )
    ids = rng.integers(0, VOCAB, size=(2, 5))
    path = tmp_path / "backbone.keras"
    backbone.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, RecurrentBackbone)
    assert loaded.get_config() == backbone.get_config()
    np.testing.assert_allclose(loaded(ids), backbone(ids), atol=1e-6)


def test_stateful_backbone():
    backbone = RecurrentBackbone(
        units=3, vocab_size=VOCAB, stateful=True, batch_size=2
    )
    assert backbone.input.shape == (2, None)
    layer = backbone.get_layer("recurrent_stack").recurrent_layers[0]
    assert layer.stateful


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "exactly one of `vocab_size`"),
        ({"vocab_size": VOCAB, "units": 0}, "`units` must be a positive"),
        ({"vocab_size": VOCAB, "stateful": True}, "`batch_size` must be a"),
        ({"vocab_size": VOCAB, "batch_size": 2}, "pass `stateful=True`"),
        (
            {"vocab_size": VOCAB, "cell_kwargs": {"stateful": True}},
            "not in `cell_kwargs`",
        ),
        ({"input_dim": 3, "character_vocab_size": 5}, "needs `vocab_size`"),
    ],
)
def test_backbone_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RecurrentBackbone(**kwargs)


def test_call_time_return_state_of_a_stack(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    stack = RecurrentStack("lstm", 4, bidirectional=True)
    sequence, states = stack(x, return_state=True)
    np.testing.assert_allclose(sequence, stack(x), atol=1e-6)
    assert [len(layer_states) for layer_states in states] == [4]


# Each task, built from flat arguments and from a backbone of the same
# arguments: `(task, task arguments, backbone arguments, backbone-only
# arguments the task sets itself)`.
TASKS = {
    "classifier": (
        SequenceClassifier,
        {"num_classes": 3, "pooling": "attention"},
        {"cell": "gru", "bidirectional": True, "dropout": 0.1},
        {},
    ),
    "regressor": (
        SequenceRegressor,
        {"output_dim": 2},
        {"cell": "mgu", "vocab_size": None, "input_dim": 3, "mask_value": 0.0},
        {},
    ),
    "tagger": (
        SequenceTagger,
        {"num_tags": 4, "language_model_heads": True},
        {
            "cell": "coupled_lstm",
            "num_layers": 2,
            "bidirectional": True,
            "character_vocab_size": 9,
            "character_filters": 3,
            "max_word_length": 4,
        },
        {"return_first_layer": True},
    ),
    "language_model": (
        LanguageModel,
        {"end_token": 2},
        {"cell": "skip_rnn", "cell_kwargs": {"skip": 2}, "num_layers": 2},
        {},
    ),
    "stateful_language_model": (
        LanguageModel,
        {},
        {"stateful": True, "batch_size": 2, "sequence_length": 5},
        {},
    ),
    "seq2seq": (
        Seq2Seq,
        {"attention": "luong", "target_vocab_size": 9},
        {"cell": "gru", "bidirectional": True, "num_layers": 2},
        {},
    ),
}


def build(name, with_backbone):
    task, task_arguments, backbone_arguments, fixed = TASKS[name]
    backbone_arguments = {"units": 4, "vocab_size": VOCAB, **backbone_arguments}
    if not with_backbone:
        return task(**task_arguments, **backbone_arguments), None
    backbone = RecurrentBackbone(**backbone_arguments, **fixed)
    return task(**task_arguments, backbone=backbone), backbone


def without_name(config):
    return {key: value for key, value in config.items() if key != "name"}


@pytest.mark.parametrize("name", TASKS)
def test_task_shares_the_layers_of_its_backbone(name):
    model, backbone = build(name, with_backbone=True)
    assert model.backbone is backbone
    model_variables = {id(variable) for variable in model.weights}
    assert backbone.weights
    assert all(id(variable) in model_variables for variable in backbone.weights)
    # The graph is flat: the backbone is not one of the task's layers.
    assert backbone not in model.layers


@pytest.mark.parametrize("name", TASKS)
def test_flat_arguments_and_a_backbone_build_the_same_model(name, rng):
    flat, _ = build(name, with_backbone=False)
    shared, _ = build(name, with_backbone=True)
    assert without_name(shared.get_config()) == without_name(flat.get_config())
    assert [w.shape for w in shared.weights] == [w.shape for w in flat.weights]
    weights = [rng.normal(scale=0.3, size=w.shape) for w in flat.weights]
    flat.set_weights(weights)
    shared.set_weights(weights)
    inputs = flat.example_inputs(batch_size=2, sequence_length=5, seed=1)
    keras.tree.map_structure(
        lambda a, b: np.testing.assert_allclose(a, b, atol=1e-6),
        flat.predict(inputs, batch_size=2, verbose=0),
        shared.predict(inputs, batch_size=2, verbose=0),
    )
    # A task built on a backbone saves and loads as one of flat arguments.
    rebuilt = type(shared).from_config(shared.get_config())
    assert isinstance(rebuilt.backbone, RecurrentBackbone)


def test_task_signature_lists_the_flat_backbone_arguments():
    tagger = inspect.signature(SequenceTagger.__init__).parameters
    assert tagger["bidirectional"].default is True
    assert "character_vocab_size" in tagger and "backbone" in tagger
    classifier = inspect.signature(SequenceClassifier.__init__).parameters
    assert set(BACKBONE_ARGUMENTS) <= set(classifier)
    assert classifier["bidirectional"].default is False
    assert "character_vocab_size" not in classifier
    seq2seq = inspect.signature(Seq2Seq.__init__).parameters
    assert "sequence_length" not in seq2seq and "vocab_size" in seq2seq


def test_seq2seq_encoder_runs_the_backbone_layers():
    model, backbone = build("seq2seq", with_backbone=True)
    encoder = model.get_layer("encoder")
    assert isinstance(encoder, SequenceEncoder)
    assert encoder.embedding is backbone.get_layer("token_embedding")
    assert encoder.stack is backbone.get_layer("recurrent_stack")


def test_both_a_backbone_and_its_arguments_is_an_error():
    backbone = RecurrentBackbone(units=4, vocab_size=VOCAB)
    with pytest.raises(ValueError, match="either a `backbone` or .*units=8"):
        SequenceClassifier(3, backbone=backbone, units=8)


@pytest.mark.parametrize(
    "task, backbone_arguments, match",
    [
        (
            lambda b: SequenceClassifier(3, backbone=b),
            {"character_vocab_size": 5},
            "with character_vocab_size=None, got",
        ),
        (
            lambda b: SequenceTagger(3, backbone=b),
            {"num_layers": 2},
            "with return_first_layer=True",
        ),
        (
            lambda b: LanguageModel(backbone=b),
            {"bidirectional": True},
            "`bidirectional` must be False",
        ),
        (
            lambda b: Seq2Seq(backbone=b),
            {"sequence_length": 6},
            "with sequence_length=None",
        ),
        (
            lambda b: SequenceRegressor(backbone=b),
            {"stateful": True, "batch_size": 2},
            "with stateful=False",
        ),
    ],
)
def test_backbones_a_task_cannot_take(task, backbone_arguments, match):
    backbone = RecurrentBackbone(
        units=4, vocab_size=VOCAB, **backbone_arguments
    )
    with pytest.raises(ValueError, match=match):
        task(backbone)


def test_other_errors_of_taking_a_backbone():
    with pytest.raises(ValueError, match="must be a RecurrentBackbone.*by key"):
        LanguageModel(VOCAB)
    with pytest.raises(ValueError, match="does not take .*'stateful'"):
        SequenceClassifier(3, vocab_size=VOCAB, stateful=True, batch_size=2)


def test_a_published_backbone_under_a_new_head(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RNNZOO_OFFLINE", "1")
    archive = tmp_path / "vowels_mgu.japanese_vowels.tar.gz"
    shutil.copy(HUB_DIR / archive.name, archive)
    pretrained = SequenceClassifier.from_preset(str(archive))
    backbone = RecurrentBackbone.from_preset(str(archive))
    assert backbone.get_config()["cell"] == "mgu"
    frames = pretrained.example_inputs(batch_size=2, sequence_length=7)
    np.testing.assert_allclose(
        backbone(frames),
        keras.Model(pretrained.backbone.input, pretrained.backbone.output)(
            frames
        ),
        atol=1e-6,
    )

    tagger = SequenceTagger(num_tags=5, backbone=pretrained.backbone)
    assert tagger.get_layer("recurrent_stack") is pretrained.get_layer(
        "recurrent_stack"
    )
    assert tagger.predict(frames, verbose=0).shape == (2, 7, 5)
    # Training the tagger trains the backbone it shares with the classifier.
    before = pretrained.predict(frames, verbose=0)
    tagger.compile()
    tagger.fit(frames, np.zeros((2, 7)), epochs=1, verbose=0)
    assert not np.allclose(pretrained.predict(frames, verbose=0), before)

    path = tmp_path / "tagger.keras"
    tagger.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_config()["input_dim"] == 12
    np.testing.assert_allclose(
        loaded.predict(frames, verbose=0),
        tagger.predict(frames, verbose=0),
        atol=1e-5,
    )
