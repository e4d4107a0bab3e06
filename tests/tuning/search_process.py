"""`rnnzoo tune` in a process of its own, for the distributed-search tests.

    python tests/tuning/search_process.py BATCH_DELAY tune ARGS...

runs `rnnzoo tune ARGS...`, each trial's training sleeping BATCH_DELAY
seconds after every batch (0: none), so that a test can act mid-trial.
"""

import functools
import sys
import time

import keras


class SlowBatches(keras.callbacks.Callback):
    def __init__(self, delay):
        super().__init__()
        self.delay = delay

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.delay)


def main(argv):
    from rnnzoo import cli
    from rnnzoo.tuning import search

    delay = float(argv[0])
    if delay > 0:
        search.run_search = functools.partial(
            search.run_search, callbacks=[SlowBatches(delay)]
        )
    return cli.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
