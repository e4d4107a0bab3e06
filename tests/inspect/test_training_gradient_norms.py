"""`training_gradient_norms`: the recorded norms are the gradients' and the
updates', and clipping at `c` never lets more than `c` through."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.inspect import training_gradient_norms
from rnnzoo.models import SequenceRegressor

LEARNING_RATE = 0.01
CLIPNORM = 0.5


def elman_regressor(gain=3.0):
    """An Elman regressor whose recurrent weights (`gain` × orthogonal)
    make its gradients large for a gain above 1."""
    model = SequenceRegressor(
        input_dim=2,
        units=8,
        cell="simple",
        cell_kwargs={
            "recurrent_initializer": keras.initializers.Orthogonal(gain=gain),
            "activation": "linear",
        },
    )
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE))
    return model


def global_gradient_norm(model, x, y):
    """The gradient norm at the current weights, from a fresh tape and the
    mean squared error written out."""
    with tf.GradientTape() as tape:
        error = model(x, training=True) - y
        loss = tf.reduce_mean(tf.square(error))
    gradients = tape.gradient(loss, model.trainable_variables)
    return np.sqrt(sum(np.sum(np.square(g)) for g in gradients))


def flat_weights(model):
    return np.concatenate([np.ravel(w) for w in model.get_weights()])


def test_clipping_bounds_every_applied_update(rng):
    model = elman_regressor()
    x = rng.normal(size=(16, 12, 2)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    clipped_any = False
    for _ in range(2):
        expected_norm = global_gradient_norm(model, x, y)
        before = flat_weights(model)
        history = training_gradient_norms(
            model, x, y, batch_size=16, steps=1, global_clipnorm=CLIPNORM
        )
        update = flat_weights(model) - before
        assert history.num_steps == 1
        np.testing.assert_allclose(
            history.gradient_norms[0], expected_norm, rtol=1e-4
        )
        # SGD moves the weights by lr × the applied gradient.
        applied = np.linalg.norm(update) / LEARNING_RATE
        np.testing.assert_allclose(
            history.clipped_gradient_norms[0], applied, rtol=1e-3
        )
        assert applied <= CLIPNORM * (1 + 1e-3)
        assert history.clipped_gradient_norms[0] <= CLIPNORM * (1 + 1e-6)
        np.testing.assert_allclose(
            history.clipped_gradient_norms[0],
            min(expected_norm, CLIPNORM),
            rtol=1e-4,
        )
        clipped_any |= expected_norm > CLIPNORM
    assert clipped_any


def test_without_clipping_the_whole_gradient_is_applied(rng):
    model = elman_regressor(gain=1.0)
    x = rng.normal(size=(40, 6, 2)).astype("float32")
    y = rng.normal(size=(40, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    history = training_gradient_norms(model, dataset, epochs=2)
    assert history.num_steps == 10 and history.global_clipnorm is None
    np.testing.assert_allclose(
        history.clipped_gradient_norms, history.gradient_norms, rtol=1e-6
    )
    assert history.losses.shape == (10,)
    assert np.all(np.isfinite(history.gradient_norms))
    assert np.all(history.gradient_norms > 0)


def test_the_optimizers_own_global_clipnorm_is_used(rng):
    model = elman_regressor()
    model.compile(optimizer=keras.optimizers.SGD(0.01, global_clipnorm=0.1))
    x = rng.normal(size=(8, 6, 2)).astype("float32")
    history = training_gradient_norms(model, x, x[:, -1, :1], batch_size=4)
    assert history.global_clipnorm == 0.1
    assert np.all(history.clipped_gradient_norms <= 0.1 * (1 + 1e-6))


def test_arguments_are_checked(rng):
    x = rng.normal(size=(4, 3, 2)).astype("float32")
    y = x[:, -1, :1]
    with pytest.raises(ValueError, match="must be a compiled keras.Model"):
        training_gradient_norms(SequenceRegressor(input_dim=2, units=2), x, y)
    model = elman_regressor()
    model.compile(optimizer=keras.optimizers.SGD(0.01, clipnorm=1.0))
    with pytest.raises(ValueError, match="may only clip by global norm"):
        training_gradient_norms(model, x, y)
    model.compile(optimizer=keras.optimizers.SGD(0.01, global_clipnorm=1.0))
    with pytest.raises(ValueError, match="different global_clipnorm"):
        training_gradient_norms(model, x, y, global_clipnorm=2.0)
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="`global_clipnorm` must be"):
        training_gradient_norms(model, x, y, global_clipnorm=-1.0)
    with pytest.raises(ValueError, match="`y` is required"):
        training_gradient_norms(model, x)
    with pytest.raises(ValueError, match="`steps` must be"):
        training_gradient_norms(model, x, y, steps=0)
