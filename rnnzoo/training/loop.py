"""A custom `tf.function` training loop, for where Keras `fit` cannot
serve: `MultiWorkerMirroredStrategy` under Keras 3.

Keras 3's `fit` fails across workers (keras-team/keras#20585): before the
first step it reduces a nested structure of per-replica batches with
`strategy.reduce`, and after each step it reduces every scalar metric with
`strategy.reduce("MEAN", value, axis=0)`; both raise under
`MultiWorkerMirroredStrategy`. This loop runs the model's own `train_step`
and `test_step` (so loss, metrics, loss scaling and gradient all-reduce are
Keras's) in `strategy.run` inside one `tf.function` per step, and drives
the same callbacks as `fit`.

Per-step logs (progress bar, non-finite loss check) are this worker's own;
epoch logs are read in cross-replica context, where Keras's sync-on-read
metric variables sum over every worker, so every worker sees the same
epoch metrics and makes the same early-stopping decision.
"""

import keras
import numpy as np
import tensorflow as tf


def _python(logs) -> dict:
    return {key: float(np.asarray(value)) for key, value in logs.items()}


def build_training_state(model, strategy, batch) -> None:
    """Creates the optimizer, loss and metric variables under `strategy`,
    in cross-replica context, from one local batch (inside `strategy.run`
    variables cannot be created)."""
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
    with strategy.scope():
        model.optimizer.build(model.trainable_variables)
        y_pred = model(x, training=False)
        model.compute_loss(x, y, y_pred, sample_weight, training=False)
        model.compute_metrics(x, y, y_pred, sample_weight)
        model.reset_metrics()


def _distributed_step(step, strategy, jit_compile):
    replica_step = tf.function(step, jit_compile=True) if jit_compile else step

    @tf.function
    def run(batch):
        outputs = strategy.run(replica_step, args=(batch,))
        return tf.nest.map_structure(
            lambda value: strategy.experimental_local_results(value)[0],
            outputs,
        )

    return run


def _synchronized_metrics(model) -> dict:
    return _python(model.get_metrics_result())


class CustomLoop:
    """`fit` and `evaluate` for a compiled model under `strategy`.

    Args:
        model: A compiled `keras.Model` whose variables live under
            `strategy`.
        strategy: The `tf.distribute.Strategy`.
        jit_compile: Whether to XLA-compile each replica's step.
    """

    def __init__(self, model, strategy, jit_compile: bool = False):
        self.model = model
        self.strategy = strategy
        self.train_step = _distributed_step(
            model.train_step, strategy, jit_compile
        )
        self.test_step = _distributed_step(
            model.test_step, strategy, jit_compile
        )
        self.built = False

    def _distribute(self, dataset):
        if not self.built:
            build_training_state(self.model, self.strategy, next(iter(dataset)))
            self.built = True
        return self.strategy.experimental_distribute_dataset(dataset)

    def evaluate(self, dataset, callbacks=None) -> dict:
        """Runs `test_step` over `dataset`; returns the metrics."""
        distributed = self._distribute(dataset)
        callbacks = callbacks or keras.callbacks.CallbackList(model=self.model)
        self.model.reset_metrics()
        callbacks.on_test_begin()
        for step, batch in enumerate(distributed):
            callbacks.on_test_batch_begin(step)
            logs = _python(self.test_step(batch))
            callbacks.on_test_batch_end(step, logs)
        logs = _synchronized_metrics(self.model)
        callbacks.on_test_end(logs)
        return logs

    def fit(
        self, dataset, epochs, validation_data=None, callbacks=(), verbose=1
    ) -> keras.callbacks.History:
        """Trains for `epochs` (from a restored epoch on, as `fit`)."""
        model = self.model
        distributed = self._distribute(dataset)
        history = keras.callbacks.History()
        callback_list = keras.callbacks.CallbackList(
            [*callbacks, history],
            add_progbar=verbose != 0,
            model=model,
            verbose=verbose,
            epochs=epochs,
            steps=None,
        )
        model.stop_training = False
        callback_list.on_train_begin()
        # `BackupAndRestore` tells `fit` where to resume through this
        # attribute; honour the same protocol.
        initial_epoch = getattr(model, "_initial_epoch", None) or 0
        logs = {}
        for epoch in range(initial_epoch, epochs):
            model.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            for step, batch in enumerate(distributed):
                callback_list.on_train_batch_begin(step)
                callback_list.on_train_batch_end(
                    step, _python(self.train_step(batch))
                )
                if model.stop_training:
                    break
            logs = _synchronized_metrics(model)
            if validation_data is not None:
                validation = self.evaluate(validation_data, callback_list)
                logs.update({f"val_{k}": v for k, v in validation.items()})
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callback_list.on_train_end(logs)
        return history
