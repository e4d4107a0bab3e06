"""Runs `rnnzoo.train` in a fresh process for the multi-process tests, and
prints a JSON summary on its last line.

    python tests/training/run_training.py CONFIG_YAML DATA_DIR OUTPUT_DIR
        [--strategy S] [--epochs N] [--batch-delay SECONDS]
        [--logical-cpus N] [--compare]

`--logical-cpus N` splits the CPU into N logical devices; it must happen
before TensorFlow initialises its devices, hence a process of its own.
`--compare` trains twice, under the default strategy and under
`MirroredStrategy` (without XLA), and prints both loss curves.
`--batch-delay` sleeps after every batch from the second epoch on, so a
test can kill the process in the middle of an epoch.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("data_dir")
    parser.add_argument("output_dir")
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-delay", type=float, default=0.0)
    parser.add_argument("--logical-cpus", type=int, default=0)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--no-jit", action="store_true")
    args = parser.parse_args()

    import tensorflow as tf

    if args.logical_cpus:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus
        )

    import keras

    import rnnzoo

    class BatchDelay(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch >= 1:
                time.sleep(args.batch_delay)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    extra = [BatchDelay()] if args.batch_delay else []
    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    output = Path(args.output_dir)
    if args.compare:
        summary = {}
        for name in ("default", "mirrored"):
            result = rnnzoo.train(
                args.config,
                data_dir=args.data_dir,
                output_dir=output / name,
                strategy=name,
                jit_compile=False,
                verbose=0,
                **overrides,
            )
            summary[name] = {
                "strategy": result.strategy,
                "loss": result.history["loss"],
                "val_loss": result.history["val_loss"],
                "metrics": result.metrics,
            }
    else:
        result = rnnzoo.train(
            args.config,
            data_dir=args.data_dir,
            output_dir=output,
            strategy=args.strategy,
            jit_compile=False if args.no_jit else None,
            verbose=2,
            callbacks=extra,
            **overrides,
        )
        summary = {
            "strategy": result.strategy,
            "epochs": result.epochs,
            "history": result.history,
            "metrics": result.metrics,
            "preset": str(result.preset_dir or ""),
        }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
