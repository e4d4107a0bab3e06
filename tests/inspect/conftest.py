"""A small classifier trained once per session on "does the sequence
contain the token 7?", shared by the saliency and plot tests."""

import keras
import numpy as np
import pytest

from rnnzoo.models import SequenceClassifier

INFORMATIVE_TOKEN = 7
VOCAB_SIZE = 10
MAX_LENGTH = 8


def contains_token(rng, num_samples):
    """Ids in 1..9 without 7, padded with 0; half the sequences get a 7
    at one random real position. Returns `(ids, labels, positions)`."""
    lengths = rng.integers(4, MAX_LENGTH + 1, size=num_samples)
    ids = rng.integers(1, VOCAB_SIZE - 1, size=(num_samples, MAX_LENGTH))
    ids[ids >= INFORMATIVE_TOKEN] += 1
    labels = rng.integers(0, 2, size=num_samples)
    positions = (rng.random(num_samples) * lengths).astype(int)
    rows = np.flatnonzero(labels)
    ids[rows, positions[rows]] = INFORMATIVE_TOKEN
    ids = np.where(np.arange(MAX_LENGTH)[None] < lengths[:, None], ids, 0)
    return ids.astype("int32"), labels.astype("int32"), positions


@pytest.fixture(scope="session")
def trained_classifier():
    """`(model, test_ids, test_labels, test_positions)`."""
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    ids, labels, positions = contains_token(rng, 512)
    model = SequenceClassifier(
        num_classes=1,
        cell="gru",
        units=16,
        vocab_size=VOCAB_SIZE,
        embedding_dim=8,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(ids[:384], labels[:384], batch_size=32, epochs=3, verbose=0)
    return model, ids[384:], labels[384:], positions[384:]
