"""The README's demo: the zoo at work, and every cell on the adding problem.

First, two published models take and give their natural data: the
English-to-German translator translates a sentence and the part-of-speech
tagger tags one. Their weights load offline, from the source checkout's
`hub/` folder (or the cache); where neither holds them (an installed
package that never downloaded them), the part is skipped with a note, and
`--no-zoo` skips it anyway.

Then every registered cell learns the adding problem (Hochreiter &
Schmidhuber 1997), generated on the fly: each step carries a random value
and a marker, two steps are marked, and the target is the sum of the two
marked values. Predicting the mean scores a mean
squared error of about 0.167; a recurrent layer that remembers the marked
values does much better. The gated cells (LSTM, GRU and their variants)
usually get there within the demo's few epochs; the ungated Elman cells
(`simple`, `skip_rnn`, `layer_norm_simple_rnn`) often stay near the
baseline, the vanishing-gradient problem in action, and so does the echo
state network (`esn`), whose fixed reservoir leaves only the read-out to
learn.

Run it with `python -m rnnzoo.demo` (`--help` lists the options).
"""

import argparse
import os
import time

import keras
import numpy as np

from rnnzoo.layers import cell_names
from rnnzoo.layers import get_recurrent_layer

TRANSLATOR = "translator_bahdanau.multi30k_en_de"
TAGGER = "upos_tagger.ud_en_ewt"
SENTENCE = "two dogs play in the snow ."
TAGGED_SENTENCE = "I love this movie ."


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
    """A regressor over the registered cell `cell`, in its default options."""
    model = keras.Sequential(
        [
            keras.Input((length, 2)),
            get_recurrent_layer(cell, units),
            keras.layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2, clipnorm=1.0), loss="mse"
    )
    return model


def available_offline(name: str) -> bool:
    """Whether the published archive of `name.tag` is in the cache or in
    this checkout's `hub/` (which `RNNZOO_WEIGHTS_URL` replaces), so
    loading it needs no network."""
    from rnnzoo.zoo import hub
    from rnnzoo.zoo.registry import get_config
    from rnnzoo.zoo.registry import weights_entry

    entry = weights_entry(get_config(name), name.partition(".")[2] or None)
    folders = [hub.cache_dir()]
    if not os.environ.get("RNNZOO_WEIGHTS_URL"):
        folders.append(hub.checkout_hub())
    return any((folder / entry["file"]).is_file() for folder in folders)


def show_the_zoo():
    """Prints the published translator and tagger at work on a sentence."""
    from rnnzoo.zoo import create_model

    missing = [
        name for name in (TRANSLATOR, TAGGER) if not available_offline(name)
    ]
    if missing:
        print(
            f"The zoo: skipped, {' and '.join(missing)} neither in this "
            "checkout's hub/ nor in the cache (`rnnzoo download NAME.TAG` "
            "fetches them)."
        )
        return
    start = time.perf_counter()
    translator = create_model(TRANSLATOR, pretrained=True)
    tagger = create_model(TAGGER, pretrained=True)
    translation = translator.translate(
        [SENTENCE], strategy="beam", beam_width=5
    )
    (tagged,) = tagger.tag([TAGGED_SENTENCE])
    seconds = time.perf_counter() - start
    print(
        "The zoo at work: two published models, loaded offline "
        f"({seconds:.1f} s)"
    )
    print(f"  {TRANSLATOR}\n    {SENTENCE} -> {translation[0]}")
    print(f"  {TAGGER}\n    " + " ".join(f"{w}/{t}" for w, t in tagged))
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--cells", nargs="*", default=cell_names())
    parser.add_argument(
        "--no-zoo",
        action="store_true",
        help="skip the published translator and tagger",
    )
    args = parser.parse_args(argv)

    if not args.no_zoo:
        show_the_zoo()

    keras.utils.set_random_seed(0)
    x_train, y_train = adding_problem(args.samples, args.length, seed=0)
    x_test, y_test = adding_problem(1000, args.length, seed=1)
    baseline = float(np.mean((y_test - y_train.mean()) ** 2))
    print(
        f"Adding problem, {args.length} steps; predicting the mean scores "
        f"MSE {baseline:.3f}."
    )
    width = max([15, *(len(cell) + 2 for cell in args.cells)])
    print(f"{'cell':<{width}}{'params':>8}{'test MSE':>10}{'seconds':>9}")
    for cell in args.cells:
        model = build_regressor(cell, args.length, args.units)
        start = time.perf_counter()
        model.fit(
            x_train, y_train, batch_size=64, epochs=args.epochs, verbose=0
        )
        seconds = time.perf_counter() - start
        mse = model.evaluate(x_test, y_test, verbose=0)
        print(
            f"{cell:<{width}}{model.count_params():>8}{mse:>10.4f}"
            f"{seconds:>9.1f}"
        )


if __name__ == "__main__":
    main()
