"""The training recipe around the model: gradient clipping by the true
global norm, mixed precision and schedules, early stopping that a restart
respects, and the glue of taggers with language-modelling heads."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo.models import SequenceTagger
from rnnzoo.training import callbacks
from rnnzoo.training import config_data
from rnnzoo.training import optimizers
from rnnzoo.training import recipe
from tests.training import fixtures


def test_clipping_uses_the_norm_of_the_dense_gradient(rng):
    # An embedding gradient with a repeated row: the applied gradient sums
    # the two slices of row 1, and so must the norm.
    values = rng.normal(size=(3, 4)).astype("float32")
    sparse = tf.IndexedSlices(
        tf.constant(values), tf.constant([1, 3, 1]), tf.constant([5, 4])
    )
    dense = rng.normal(size=(2, 2)).astype("float32")
    clipped = optimizers.clip_by_global_norm(
        [sparse, None, tf.constant(dense)], 1.0
    )
    table = np.zeros((5, 4), "float32")
    np.add.at(table, [1, 3, 1], values)
    norm = np.sqrt((table**2).sum() + (dense**2).sum())
    factor = min(1.0, 1.0 / norm)
    assert clipped[1] is None
    np.testing.assert_allclose(
        tf.convert_to_tensor(clipped[0]).numpy(), table * factor, rtol=1e-5
    )
    np.testing.assert_allclose(clipped[2].numpy(), dense * factor, rtol=1e-5)
    unclipped = optimizers.clip_by_global_norm([tf.constant(dense)], 1e6)
    np.testing.assert_allclose(unclipped[0].numpy(), dense, rtol=1e-6)
    not_finite = optimizers.clip_by_global_norm([tf.constant([np.inf])], 1.0)
    assert np.isnan(not_finite[0].numpy()).all()


@pytest.fixture
def sst2(tmp_path):
    return fixtures.write_sst2(tmp_path / "data")


@pytest.mark.parametrize("schedule_from", ["argument", "config"])
def test_mixed_precision_and_a_schedule(tmp_path, sst2, schedule_from):
    if schedule_from == "config":
        config, schedule = (
            fixtures.classifier_config(epochs=2, schedule="linear"),
            None,
        )
    else:
        config, schedule = fixtures.classifier_config(epochs=2), "linear"
    result = rnnzoo.train(
        config,
        data_dir=sst2,
        output_dir=tmp_path / "run",
        precision="mixed_bfloat16",
        schedule=schedule,
        jit_compile=False,
        verbose=0,
    )
    assert result.precision == "mixed_bfloat16"
    assert result.model.dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"  # restored
    assert all(np.isfinite(v) for v in result.metrics.values())
    # Linear decay reaches zero after the run's last step.
    assert float(result.model.optimizer.learning_rate) == pytest.approx(0.0)
    preset = rnnzoo.zoo.load_preset(result.preset_dir)
    assert all(w.dtype == "float32" for w in preset.weights if w.trainable)


def test_early_stopping_ends_a_run_that_a_restart_respects(tmp_path, sst2):
    # A zero learning rate never improves the validation loss.
    config = fixtures.classifier_config(
        epochs=5, learning_rate=0.0, early_stopping_patience=1
    )
    first = rnnzoo.train(
        config,
        data_dir=sst2,
        output_dir=tmp_path / "run",
        jit_compile=False,
        verbose=0,
    )
    assert first.epochs == 2
    assert callbacks.read_run_state(tmp_path / "run")["stopped_early"]

    class Recorder(keras.callbacks.Callback):
        epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epochs.append(epoch)

    again = rnnzoo.train(
        config,
        data_dir=sst2,
        output_dir=tmp_path / "run",
        jit_compile=False,
        verbose=0,
        callbacks=[Recorder()],
    )
    assert Recorder.epochs == [] and again.epochs == 2


class _SpoilWeightsInEpoch(keras.callbacks.Callback):
    """Scales every weight at the start of one epoch: with a zero learning
    rate, that epoch's validation loss is worse than the one before."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            for weight in self.model.trainable_weights:
                weight.assign(weight * 5.0 + 0.5)


def test_a_restarted_early_stopped_run_exports_its_best_weights(tmp_path, sst2):
    config = fixtures.classifier_config(
        epochs=5, learning_rate=0.0, early_stopping_patience=1
    )
    run = dict(
        data_dir=sst2,
        output_dir=tmp_path / "run",
        jit_compile=False,
        verbose=0,
    )
    # Epoch 1 is the best; epoch 2, spoilt, ends the run; the checkpoint
    # of the last epoch holds the spoilt weights.
    first = rnnzoo.train(config, callbacks=[_SpoilWeightsInEpoch(1)], **run)
    assert first.epochs == 2
    assert callbacks.read_run_state(tmp_path / "run")["stopped_early"]
    best = [w.numpy() for w in first.model.weights]
    again = rnnzoo.train(config, **run)
    assert again.epochs == 2
    for exported, expected in zip(again.model.weights, best):
        np.testing.assert_array_equal(exported.numpy(), expected)
    assert again.metrics == pytest.approx(first.metrics, rel=1e-6)


def test_a_tagger_with_language_model_heads_gets_their_targets():
    tagger = SequenceTagger(
        num_tags=5, vocab_size=20, units=4, language_model_heads=True
    )
    token_ids = np.array([[3, 4, 5, 0], [6, 7, 0, 0]], "int32")
    tags = np.array([[1, 2, 3, 0], [4, 1, 0, 0]], "int32")
    batches = tf.data.Dataset.from_tensors((token_ids, tags))
    x, y = next(iter(config_data.adapt_batches("tagging", batches, tagger)))
    assert set(y) == {"tags", "next_token", "previous_token"}
    np.testing.assert_array_equal(y["next_token"], [[4, 5, 0, 0], [7, 0, 0, 0]])
    training = {"optimizer": "adam", "clipnorm": 1.0}
    recipe.compile_model(
        tagger,
        "tagging",
        training,
        recipe.make_optimizer(training, 0.01),
        jit_compile=False,
    )
    logs = tagger.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"]) and "tags_accuracy" in logs


def test_validation_fraction_holds_out_part_of_train(tmp_path):
    # Japanese Vowels has no validation split: `data.validation_fraction`
    # makes one from train, so early stopping never reads the test split.
    config = {
        "name": "tiny_vowels",
        "task": "time_series_classification",
        "description": "A tiny speaker classifier.",
        "architecture": {
            "class": "SequenceClassifier",
            "arguments": {"num_classes": 9, "cell": "mgu", "units": 4},
        },
        "data": {"dataset": "japanese_vowels", "validation_fraction": 0.25},
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.01,
            "clipnorm": 1.0,
            "epochs": 2,
            "batch_size": 270,
            "early_stopping_patience": 1,
        },
    }
    result = rnnzoo.train(
        config, output_dir=tmp_path, jit_compile=False, verbose=0
    )
    assert len(result.history["val_loss"]) == result.epochs
    assert result.split == "test"
    data = rnnzoo.data.make_pipelines(
        "japanese_vowels", 270, validation_fraction=0.25, seed=0
    )
    sizes = {
        split: sum(int(batch[0].shape[0]) for batch in data[split])
        for split in ("train", "validation", "test")
    }
    assert sizes == {"train": 202, "validation": 68, "test": 370}


def test_the_config_can_turn_xla_off_and_the_caller_back_on(tmp_path, sst2):
    config = fixtures.classifier_config(epochs=1, jit_compile=False)
    result = rnnzoo.train(
        config, data_dir=sst2, output_dir=tmp_path / "off", verbose=0
    )
    assert result.jit_compile is False
    assert result.model.jit_compile is False
    forced = rnnzoo.train(
        config,
        data_dir=sst2,
        output_dir=tmp_path / "on",
        jit_compile=True,
        verbose=0,
    )
    assert forced.jit_compile is True
