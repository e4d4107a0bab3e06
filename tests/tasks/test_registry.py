"""The task registry: every dataset's task is registered, unknown names
are refused with the known ones, and a new task is one registered object
that data pipelines, compilation and the config schema then accept."""

import copy

import keras
import numpy as np
import pytest
import tensorflow as tf

import rnnzoo.data as data
from rnnzoo.tasks import TaskShape
from rnnzoo.tasks import get_task
from rnnzoo.tasks import register_task
from rnnzoo.tasks import task_names
from rnnzoo.tasks import unregister_task
from rnnzoo.training import recipe
from rnnzoo.zoo.schema import validate_config
from tests.zoo.test_schema import VALID


def test_every_dataset_serves_a_registered_task():
    for info in data.DATASETS.values():
        assert get_task(info.task).name == info.task


def test_every_task_has_a_title_and_default_features():
    for name in task_names():
        task = get_task(name)
        assert task.title and task.features[0]


def test_an_unknown_task_is_refused_with_the_known_names():
    with pytest.raises(
        ValueError, match="Unknown task 'image_captioning'"
    ) as e:
        get_task("image_captioning")
    assert all(name in str(e.value) for name in task_names())


def test_a_task_needs_a_vectorizer_when_it_builds_one():
    needing = {name for name in task_names() if get_task(name).needs_vectorizer}
    assert needing == {
        "text_classification",
        "tagging",
        "translation",
        "captioning",
        "language_modelling",
        "tree_classification",
    }


class Counting(TaskShape):
    """A throwaway task: the number of positive steps of a series."""

    name = "counting"
    title = "Counting"
    features = ("series", "count")

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        def format_series(example):
            return example[inputs], tf.cast(example[targets], tf.float32)

        return format_series, lambda x, y: tf.shape(x)[0]

    def compile_arguments(self, model):
        return {"loss": "mse", "metrics": ["mae"]}


@pytest.fixture
def counting():
    task = register_task(Counting())
    yield task
    unregister_task("counting")


def test_a_registered_task_is_one_object_the_package_accepts(counting):
    assert "counting" in task_names()
    series = np.random.default_rng(0).normal(size=(6, 5, 1)).astype("float32")
    examples = tf.data.Dataset.from_tensor_slices(
        {"series": series, "count": (series > 0).sum(axis=(1, 2))}
    )
    # Data: a pipeline of its batches, no vectorizer needed.
    batches = data.make_pipeline(examples, "train", 3, task="counting")
    x, y = next(iter(batches))
    assert x.shape == (3, 5, 1) and y.dtype == tf.float32
    # Training: it compiles a model with its loss and metrics.
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.GRU(2)])
    model.add(keras.layers.Dense(1))
    training = {"optimizer": "adam", "clipnorm": 1.0}
    recipe.compile_model(
        model,
        "counting",
        training,
        recipe.make_optimizer(training, 0.01),
        jit_compile=False,
    )
    assert np.isfinite(model.fit(batches, verbose=0).history["loss"][-1])
    # Configs: the schema knows the new name.
    config = copy.deepcopy(VALID)
    config["task"] = "counting"
    validate_config(config)


def test_register_task_refuses_what_is_not_a_task():
    with pytest.raises(TypeError, match="TaskShape instance, got str"):
        register_task("counting")
    with pytest.raises(ValueError, match="needs a `name` and a `title`"):
        register_task(TaskShape())
