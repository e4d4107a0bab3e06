import copy

import pytest
import yaml

from rnnzoo.tasks import task_names
from rnnzoo.zoo import registry
from rnnzoo.zoo.schema import ConfigError
from rnnzoo.zoo.schema import load_config

VALID = {
    "name": "tiny",
    "task": "text_classification",
    "description": "A tiny model.",
    "architecture": {
        "class": "SequenceClassifier",
        "arguments": {"num_classes": 2, "units": 8},
    },
    "data": {"dataset": "sst2", "vocabulary_size": 50, "sequence_length": 20},
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
    assert all(task in message for task in task_names())


@pytest.mark.parametrize(
    "decoding, accepted",
    [
        ({"strategy": "beam", "beam_width": 5}, True),
        ({"strategy": "sample", "temperature": 0.8, "top_k": 10}, True),
        ({"strategy": "greedy"}, True),
        ({"strategy": "beam", "temperature": 0.8}, False),  # not beam's
        ({"strategy": "beam", "beam_width": 0}, False),
        ({"strategy": "nucleus"}, False),
        ({"beam_width": 5}, False),
        ({"strategy": "beam", "replace_unknown": True}, True),
        ({"strategy": "greedy", "replace_unknown": False}, True),
        ({"strategy": "beam", "replace_unknown": "yes"}, False),
    ],
)
def test_decoding_takes_a_strategy_and_its_own_options(
    tmp_path, decoding, accepted
):
    config = copy.deepcopy(VALID)
    config["decoding"] = decoding
    if accepted:
        load_config(write(tmp_path, config))
        return
    path, message = refusal(tmp_path, config)
    assert message.startswith(f"{path}: decoding: ")
    assert "beam: beam_width, length_penalty, return_all_beams" in message


def refusal(tmp_path, config) -> tuple:
    """`(path, message)` of the `ConfigError` that loading `config` raises."""
    path = write(tmp_path, config)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    return path, str(error.value)


def test_a_misspelt_argument_is_named_with_the_accepted_ones(tmp_path):
    config = copy.deepcopy(VALID)
    config["architecture"]["arguments"]["unts"] = 8
    path, message = refusal(tmp_path, config)
    assert message.startswith(
        f"{path}: architecture.arguments.unts: not an argument of "
        "SequenceClassifier; expected one of: "
    )
    accepted = message.split("expected one of: ")[1].split(", ")
    # The task's own arguments and the backbone's, taken flat.
    assert {"num_classes", "pooling", "units", "cell", "vocab_size"} <= set(
        accepted
    )


def test_backbone_arguments_taken_flat_are_accepted(tmp_path):
    config = copy.deepcopy(VALID)
    config["architecture"]["arguments"].update(
        cell="gru", bidirectional=True, embedding_dim=8, residual=True
    )
    assert load_config(write(tmp_path, config)) == config


def test_a_backbone_argument_the_task_does_not_take_is_refused(tmp_path):
    # Word dropout is a tagger's; a classifier does not pass it on.
    config = copy.deepcopy(VALID)
    config["architecture"]["arguments"]["word_dropout"] = 0.1
    with pytest.raises(ConfigError, match="arguments.word_dropout: not an"):
        load_config(write(tmp_path, config))


def test_an_unknown_architecture_class_is_named(tmp_path):
    config = copy.deepcopy(VALID)
    config["architecture"]["class"] = "Classifier"
    path, message = refusal(tmp_path, config)
    assert message == (
        f"{path}: architecture.class: Unknown architecture class "
        "'Classifier'; expected a class of rnnzoo.models"
    )


@pytest.mark.parametrize("argument", ["vocab_size", "target_vocab_size"])
def test_a_vocabulary_size_the_data_decides_is_given_once(tmp_path, argument):
    config = copy.deepcopy(VALID)
    config["architecture"]["class"] = "Seq2Seq"
    config["architecture"]["arguments"] = {"units": 8, argument: 50}
    path, message = refusal(tmp_path, config)
    assert message == (
        f"{path}: architecture.arguments.{argument}: the data decides the "
        "vocabulary size: keep data.vocabulary_size and remove "
        f"architecture.arguments.{argument}"
    )


def test_every_argument_problem_is_reported_at_once(tmp_path):
    config = copy.deepcopy(VALID)
    config["architecture"]["arguments"].update(vocab_size=50, unts=8)
    lines = refusal(tmp_path, config)[1].splitlines()
    assert sorted(line.split(": ")[1] for line in lines) == [
        "architecture.arguments.unts",
        "architecture.arguments.vocab_size",
    ]


SHIPPED = sorted(registry.configs_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_config_passes_the_schema(path):
    config = load_config(path)
    # One name for a vocabulary size: the data's.
    assert not set(config["architecture"]["arguments"]) & set(
        registry.VOCABULARY_ARGUMENTS
    )
