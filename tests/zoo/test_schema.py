import copy

import pytest
import yaml

from rnnzoo.data import TASKS
from rnnzoo.zoo.schema import ConfigError
from rnnzoo.zoo.schema import load_config

VALID = {
    "name": "tiny",
    "task": "text_classification",
    "description": "A tiny model.",
    "architecture": {
        "class": "SequenceClassifier",
        "arguments": {"num_classes": 2, "vocab_size": 50},
    },
    "data": {"dataset": "sst2", "sequence_length": 20},
    "training": {
        "optimizer": "adam",
        "learning_rate": 0.001,
        "epochs": 2,
        "batch_size": 8,
    },
    "search_space": {"units": {"type": "choice", "values": [8, 16]}},
    "weights": [
        {
            "tag": "sst2",
            "file": "tiny.sst2.tar.gz",
            "sha256": "0" * 64,
            "dataset": "sst2",
            "metrics": {"accuracy": 0.5},
            "license": "CC0",
            "split": "test",
            "parameters": 1234,
            "epochs": 2,
            "training_time_minutes": 0.5,
            "hardware": "2 CPU cores",
            "size_bytes": 4096,
        }
    ],
}


def write(tmp_path, config, name="tiny"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_valid_config_loads(tmp_path):
    assert load_config(write(tmp_path, VALID)) == VALID


@pytest.mark.parametrize("size", [8000, {"en": 6000, "de": 7000}])
def test_vocabulary_size_is_one_number_or_one_per_feature(tmp_path, size):
    config = copy.deepcopy(VALID)
    config["data"]["vocabulary_size"] = size
    assert load_config(write(tmp_path, config))["data"]["vocabulary_size"] == (
        size
    )


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda c: c["training"].update(learning_rate="fast"),
            "training.learning_rate: expected a number, got 'fast'",
        ),
        (
            lambda c: c["training"].update(schedule=3),
            "training.schedule: expected a schedule name or a serialized "
            "Keras schedule, got int 3",
        ),
        (
            lambda c: c["training"].update(learnig_rate=0.1),
            "training.learnig_rate: unknown key",
        ),
        (lambda c: c.pop("task"), "task: missing required field"),
        (
            lambda c: c.update(task="image_captioning"),
            "task: expected a task name, one of: ",
        ),
        (
            lambda c: c["weights"][0].update(sha256="abc"),
            "weights[0].sha256: expected a 64-character hexadecimal sha256",
        ),
        (
            lambda c: c["weights"][0]["metrics"].update(accuracy="high"),
            "weights[0].metrics.accuracy: expected a number, got 'high'",
        ),
        (
            lambda c: c["weights"][0].update(parameters=1.5),
            "weights[0].parameters: expected an integer, got float 1.5",
        ),
        (
            lambda c: c["weights"][0].update(split=None),
            "weights[0].split: expected a string, got NoneType None",
        ),
        (
            lambda c: c["data"].update(buckets=[10, "x"]),
            "data.buckets[1]: expected an integer",
        ),
        (
            lambda c: c["data"].update(vocabulary_size={"en": "6k"}),
            "data.vocabulary_size: expected an integer or a mapping of "
            "feature names to integers",
        ),
        (lambda c: c.update(default_tag="imdb"), "default_tag: expected one"),
        (
            lambda c: c["training"].update(epochs=True),
            "training.epochs: expected an integer, got bool True",
        ),
    ],
)
def test_errors_name_the_file_and_key_path(tmp_path, edit, expected):
    config = copy.deepcopy(VALID)
    edit(config)
    path = write(tmp_path, config)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path}: {expected}" in str(error.value)


def test_file_name_must_match_model_name(tmp_path):
    with pytest.raises(ConfigError, match="name: expected the file's stem"):
        load_config(write(tmp_path, VALID, name="other"))


def test_invalid_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_config(path)


def test_an_unknown_task_is_named_with_the_known_ones(tmp_path):
    config = copy.deepcopy(VALID)
    config["task"] = "image_captioning"
    path = write(tmp_path, config)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: task: ")
    assert message.endswith("got 'image_captioning'")
    assert all(task in message for task in TASKS)
