"""Each architecture learns a small synthetic task within a bounded number
of steps: proof that the wiring is right, not just that it runs. Accuracy is
measured on held-out data, over real (unpadded) steps only."""

import keras
import numpy as np
import pytest

from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceRegressor
from rnnzoo.models import SequenceTagger
from tests.models import synthetic

TRAIN, TEST = 512, 256


@pytest.mark.parametrize(
    "cell, options",
    [
        # The bidirectional final states must come from the real ends.
        ("gru", {"num_classes": 1, "bidirectional": True, "pooling": "last"}),
        ("lstm", {"num_classes": 2, "pooling": "attention"}),
    ],
)
def test_classifier_learns_contains_token(cell, options, rng):
    x, y = synthetic.contains_token(rng, TRAIN + TEST)
    model = SequenceClassifier(cell=cell, units=16, vocab_size=8, **options)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(x[:TRAIN], y[:TRAIN], batch_size=32, epochs=3, verbose=0)
    probabilities = np.asarray(model(x[TRAIN:]))
    if probabilities.shape[-1] == 1:
        predicted = probabilities[:, 0] > 0.5
    else:
        predicted = probabilities.argmax(-1)
    accuracy = (predicted == y[TRAIN:]).mean()
    assert accuracy >= 0.9, accuracy


@pytest.mark.parametrize(
    "cell, delay, bidirectional, epochs",
    [
        # Copy the label of the current token.
        ("lstm", 0, True, 3),
        # The label of the previous token: the forward recurrence must work.
        ("gru", 1, False, 5),
    ],
)
def test_tagger_learns_copy_with_label(cell, delay, bidirectional, epochs, rng):
    x, tags, mask = synthetic.copy_with_label(rng, TRAIN + TEST, delay=delay)
    model = SequenceTagger(
        4, cell=cell, units=16, vocab_size=12, bidirectional=bidirectional
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(x[:TRAIN], tags[:TRAIN], batch_size=32, epochs=epochs, verbose=0)
    predicted = np.asarray(model(x[TRAIN:])).argmax(-1)
    correct = (predicted == tags[TRAIN:])[mask[TRAIN:]]
    assert correct.mean() >= 0.9, correct.mean()


def test_tagger_language_model_heads_learn_next_and_previous_token(rng):
    x, tags, mask = synthetic.counting_runs(rng, TRAIN + TEST)
    model = SequenceTagger(
        4, cell="lstm", units=16, vocab_size=12, language_model_heads=True
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(
        x[:TRAIN],
        model.training_targets(x[:TRAIN], tags[:TRAIN]),
        batch_size=32,
        epochs=7,
        verbose=0,
    )
    outputs = {
        key: np.asarray(value) for key, value in model(x[TRAIN:]).items()
    }
    ids, real = x[TRAIN:], mask[TRAIN:]
    tag_accuracy = (outputs["tags"].argmax(-1) == tags[TRAIN:])[real].mean()
    has_next = real[:, :-1] & real[:, 1:]
    next_accuracy = (outputs["next_token"][:, :-1].argmax(-1) == ids[:, 1:])[
        has_next
    ].mean()
    previous_accuracy = (
        outputs["previous_token"][:, 1:].argmax(-1) == ids[:, :-1]
    )[has_next].mean()
    assert tag_accuracy >= 0.9, tag_accuracy
    assert next_accuracy >= 0.9, next_accuracy
    assert previous_accuracy >= 0.9, previous_accuracy


def test_regressor_learns_to_forecast_a_sine(rng):
    x, y = synthetic.sine_forecast(rng, TRAIN + TEST)
    model = SequenceRegressor(cell="gru", units=16, input_dim=1, mask_value=0.0)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(x[:TRAIN], y[:TRAIN], batch_size=32, epochs=6, verbose=0)
    predicted = np.asarray(model(x[TRAIN:]))
    error = np.mean((predicted - y[TRAIN:]) ** 2)
    explained = 1.0 - error / np.var(y[TRAIN:])
    assert explained >= 0.9, explained
