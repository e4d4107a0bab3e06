"""Every zoo config's train step compiles with XLA on CPU (the TPU path is
XLA): each model is built small, compiled as `rnnzoo.train` compiles it,
with `jit_compile=True`, and trained one step on a synthetic batch of the
structure its task's pipeline gives, batch and length dimensions unknown
to the graph as in a padded pipeline."""

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo.training import config_data
from rnnzoo.training import recipe
from rnnzoo.zoo import registry

SMALL = {
    "units": 8,
    "vocab_size": 50,
    "target_vocab_size": 50,
    "embedding_dim": 8,
    "target_embedding_dim": 8,
    "attention_units": 8,
    "batch_size": 2,
}


def small_overrides(config, task):
    arguments = config["architecture"]["arguments"]
    overrides = {
        key: value
        for key, value in SMALL.items()
        if key == "units" or arguments.get(key) is not None
    }
    if task.streamed and arguments.get("stateful", True):
        overrides.update(stateful=True, batch_size=2)  # as rnnzoo.train
    if arguments.get("vocabulary") is not None:
        overrides["vocabulary"] = None
    return overrides


def as_dynamic_dataset(batch):
    """A one-batch dataset whose element spec leaves every dimension but
    the last unknown, as a padding pipeline's does: ops such as
    `tf.tensordot` then take their dynamic-shape paths."""

    def spec(array):
        array = np.asarray(array)
        shape = [None] * (array.ndim - 1) + list(array.shape[-1:])
        return tf.TensorSpec(shape, tf.as_dtype(array.dtype))

    return tf.data.Dataset.from_generator(
        lambda: iter([batch]),
        output_signature=tf.nest.map_structure(spec, batch),
    )


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_every_zoo_train_step_compiles_with_xla(name):
    config = rnnzoo.model_info(name)
    task = config_data.task_of(config)
    model = registry.build_model(config, **small_overrides(config, task))
    training = config["training"]
    recipe.compile_model(
        model,
        task,
        training,
        recipe.make_optimizer(training, training["learning_rate"]),
        jit_compile=True,
    )
    assert model.jit_compile is True
    steps = config["architecture"]["arguments"].get("sequence_length") or 5
    batch = task.synthetic_batch(model, batch_size=2, steps=steps)
    before = [w.numpy().copy() for w in model.trainable_weights]
    logs = model.fit(as_dynamic_dataset(batch), verbose=0).history
    assert np.isfinite(logs["loss"][-1])
    after = [w.numpy() for w in model.trainable_weights]
    assert any(not np.allclose(b, a) for b, a in zip(before, after))
