"""The trainer's parts: the non-finite loss stop, state resets, the run
log, strategy and precision resolution, schedules and optimizers."""

import copy
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.models import LanguageModel
from rnnzoo.training import callbacks
from rnnzoo.training import precision
from rnnzoo.training import recipe
from rnnzoo.training import strategies
from rnnzoo.zoo import ConfigError
from tests.training import fixtures


def test_a_nan_loss_stops_training_naming_epoch_and_step():
    features = np.ones((20, 3), "float32")
    features[9] = np.nan  # in the third batch of four
    dataset = tf.data.Dataset.from_tensor_slices(
        (features, np.zeros((20, 1), "float32"))
    ).batch(4)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(callbacks.NonFiniteLossError, match="epoch 1, step 3"):
        model.fit(
            dataset,
            epochs=2,
            verbose=0,
            shuffle=False,
            callbacks=[callbacks.TerminateOnNonFiniteLoss()],
        )


def test_reset_states_zeroes_the_carried_state_each_epoch_and_evaluation():
    model = LanguageModel(vocab_size=10, units=4, stateful=True, batch_size=2)
    layer = model.get_layer("recurrent_stack").recurrent_layers[0]
    reset = callbacks.ResetStates()
    reset.set_model(model)
    for hook in (lambda: reset.on_epoch_begin(0), reset.on_test_begin):
        model(np.array([[1, 2, 3], [4, 5, 6]], "int32"))
        assert any(np.abs(s.numpy()).sum() > 0 for s in layer.states)
        hook()
        assert all(np.abs(s.numpy()).sum() == 0 for s in layer.states)


def test_csv_log_is_trimmed_to_the_checkpointed_epochs(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,val_loss\n0,0.9,NA\n1,0.8,NA\n2,0.7,NA\n")
    callbacks.trim_csv_log(path, 2)
    assert callbacks.read_csv_log(path) == {"epoch": [0, 1], "loss": [0.9, 0.8]}


def test_completed_epochs_reads_the_backup_and_run_state(tmp_path):
    assert callbacks.completed_epochs(tmp_path) == 0
    (tmp_path / "training_metadata.json").write_text('{"epoch": 4}')
    assert callbacks.completed_epochs(tmp_path) == 4
    state = callbacks.RunState(tmp_path)
    state.set_model(keras.Sequential([keras.Input((1,))]))
    state.model.stop_training = True
    state.on_epoch_end(5)
    state.on_train_end()
    assert callbacks.read_run_state(tmp_path) == {
        "epochs_completed": 6,
        "stopped_early": True,
    }


@pytest.fixture
def no_accelerator_hints(monkeypatch):
    for name in ("TF_CONFIG", "TPU_NAME", "COLAB_TPU_ADDR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(strategies, "tpu_plausible", lambda: False)


def test_auto_is_the_default_strategy_on_one_cpu(no_accelerator_hints):
    strategy = strategies.resolve_strategy("auto")
    assert strategy is tf.distribute.get_strategy()
    assert strategies.is_chief(strategy)
    assert not strategies.is_multi_worker(strategy)
    assert strategies.default_jit_compile(strategy)


@pytest.mark.parametrize(
    "name, message",
    [
        ("gpu", "must be one of"),
        ("tpu", "no TPU is in sight"),
        ("multi_worker", "needs TF_CONFIG"),
    ],
)
def test_strategy_errors(no_accelerator_hints, name, message):
    with pytest.raises(ValueError, match=message):
        strategies.resolve_strategy(name)


def test_tpu_and_cluster_hints(monkeypatch):
    monkeypatch.setenv("TPU_NAME", "my-tpu")
    assert strategies.tpu_plausible()
    one = {"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(one))
    assert strategies.cluster_from_environment() is None
    one["cluster"]["worker"].append("127.0.0.1:2")
    monkeypatch.setenv("TF_CONFIG", json.dumps(one))
    assert strategies.cluster_from_environment() == one["cluster"]


def test_precision_by_device_and_explicit(monkeypatch):
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind: [])
    assert precision.resolve_precision("auto") == "float32"
    monkeypatch.setattr(
        tf.config, "list_logical_devices", lambda kind: ["GPU:0"]
    )
    assert precision.resolve_precision("auto") == "mixed_float16"
    assert precision.resolve_precision("mixed_bfloat16") == "mixed_bfloat16"
    with pytest.raises(ValueError, match="precision"):
        precision.resolve_precision("half")


def test_precision_policy_is_restored():
    with precision.precision_policy("mixed_bfloat16"):
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"


def test_schedules_decay_over_the_whole_run():
    cosine = recipe.learning_rate_schedule("cosine", 0.1, lambda: 100)
    assert float(cosine(0)) == pytest.approx(0.1)
    assert float(cosine(100)) == pytest.approx(0.0, abs=1e-7)
    linear = recipe.learning_rate_schedule("linear", 0.1, lambda: 10)
    assert float(linear(5)) == pytest.approx(0.05)
    exponential = recipe.learning_rate_schedule(
        {"class_name": "ExponentialDecay", "config": {"decay_rate": 0.5}},
        0.2,
        lambda: 4,
    )
    assert float(exponential(4)) == pytest.approx(0.1)
    assert recipe.learning_rate_schedule(None, 0.3, lambda: 1) == 0.3
    with pytest.raises(ValueError, match="schedule"):
        recipe.learning_rate_schedule("warmup", 0.1, lambda: 1)


def test_optimizer_clips_by_global_norm():
    training = {"optimizer": "adam", "clipnorm": 2.0}
    assert recipe.make_optimizer(training, 0.1).global_clipnorm == 2.0
    training = {"optimizer": "sgd"}
    optimizer = recipe.make_optimizer(training, 0.1)
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.global_clipnorm == recipe.DEFAULT_CLIPNORM
    training = {"optimizer": "adam", "clipnorm": 0}
    assert recipe.make_optimizer(training, 0.1).global_clipnorm is None


def test_a_model_compiled_with_the_optimizer_loads_in_a_new_process(tmp_path):
    """The clipping optimizer is registered: `load_model` in a process that
    has trained nothing restores it, clipping and slots included."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(
        optimizer=recipe.make_optimizer(
            {"optimizer": "adam", "clipnorm": 0.5}, 0.01
        ),
        loss="mse",
    )
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    script = (
        "import sys, keras, rnnzoo\n"
        "model = keras.saving.load_model(sys.argv[1])\n"
        "optimizer = model.optimizer\n"
        "print(type(optimizer).__name__, optimizer.global_clipnorm,"
        " int(optimizer.iterations))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    name, clipnorm, iterations = completed.stdout.split()[-3:]
    assert name == "GlobalNormClippingAdam"
    assert float(clipnorm) == 0.5
    assert int(iterations) == 1


def test_overrides_split_between_training_and_architecture():
    config, architecture = recipe.apply_overrides(
        fixtures.classifier_config(), {"epochs": 7, "units": 32}
    )
    assert config["training"]["epochs"] == 7
    assert config["architecture"]["arguments"]["units"] == 32
    assert architecture == {"units": 32}
    with pytest.raises(ConfigError, match="training.epochs"):
        recipe.apply_overrides(fixtures.classifier_config(), {"epochs": "x"})


def test_another_cell_drops_the_options_of_the_old_one():
    config = fixtures.classifier_config()
    config["architecture"]["arguments"].update(
        cell="skip_rnn", cell_kwargs={"skip": 2}
    )
    same, _ = recipe.apply_overrides(copy.deepcopy(config), {"units": 8})
    assert same["architecture"]["arguments"]["cell_kwargs"] == {"skip": 2}
    other, _ = recipe.apply_overrides(copy.deepcopy(config), {"cell": "lstm"})
    assert "cell_kwargs" not in other["architecture"]["arguments"]
    given, _ = recipe.apply_overrides(
        copy.deepcopy(config), {"cell": "skip_rnn", "cell_kwargs": {"skip": 4}}
    )
    assert given["architecture"]["arguments"]["cell_kwargs"] == {"skip": 4}
