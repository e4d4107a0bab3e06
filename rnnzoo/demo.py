"""The README's demo: every registered cell learns the adding problem.

The adding problem (Hochreiter & Schmidhuber 1997) is generated on the fly:
each step carries a random value and a marker, two steps are marked, and the
target is the sum of the two marked values. Predicting the mean scores a mean
squared error of about 0.167; a recurrent layer that remembers the marked
values does much better. The gated cells (LSTM, GRU and their variants)
usually get there within the demo's few epochs; the ungated Elman cells
(`simple`, `skip_rnn`) often stay near the baseline, the vanishing-gradient
problem in action.

Run it with `python -m rnnzoo.demo` (`--help` lists the options).
"""

import argparse
import time

import keras
import numpy as np

from rnnzoo.layers import cell_names
from rnnzoo.layers import get_recurrent_layer


def adding_problem(num_samples, length, seed=0):
    """Returns inputs `(num_samples, length, 2)`, targets `(num_samples,)`."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(num_samples, length))
    markers = np.zeros((num_samples, length))
    for row in markers:
        row[rng.choice(length, size=2, replace=False)] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype("float32")
    targets = (values * markers).sum(axis=1).astype("float32")
    return inputs, targets


def build_regressor(cell, length, units):
    extra = {"skip": 2} if cell == "skip_rnn" else {}
    model = keras.Sequential(
        [
            keras.Input((length, 2)),
            get_recurrent_layer(cell, units, **extra),
            keras.layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2, clipnorm=1.0), loss="mse"
    )
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--cells", nargs="*", default=cell_names())
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    x_train, y_train = adding_problem(args.samples, args.length, seed=0)
    x_test, y_test = adding_problem(1000, args.length, seed=1)
    baseline = float(np.mean((y_test - y_train.mean()) ** 2))
    print(
        f"Adding problem, {args.length} steps; predicting the mean scores "
        f"MSE {baseline:.3f}."
    )
    print(f"{'cell':<15}{'params':>8}{'test MSE':>10}{'seconds':>9}")
    for cell in args.cells:
        model = build_regressor(cell, args.length, args.units)
        start = time.perf_counter()
        model.fit(
            x_train, y_train, batch_size=64, epochs=args.epochs, verbose=0
        )
        seconds = time.perf_counter() - start
        mse = model.evaluate(x_test, y_test, verbose=0)
        print(f"{cell:<15}{model.count_params():>8}{mse:>10.4f}{seconds:>9.1f}")


if __name__ == "__main__":
    main()
