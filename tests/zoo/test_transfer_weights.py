"""`transfer_weights`: the pretrained weights a new model of the same
architecture keeps, whole where the shapes match, else fresh or (with
`overlap=True`) the slice the shapes share."""

import numpy as np
import pytest

from rnnzoo.models import SequenceClassifier
from rnnzoo.zoo.registry import model_arguments
from rnnzoo.zoo.registry import transfer_weights


def classifier(**overrides):
    arguments = dict(num_classes=2, vocab_size=10, units=4, embedding_dim=3)
    model = SequenceClassifier(**{**arguments, **overrides})
    model(np.ones((1, 5), "int32"))
    return model


def embedding(model):
    return next(w for w in model.weights if "embedding" in w.path)


def test_a_new_head_starts_fresh_and_the_body_is_kept():
    source, target = classifier(), classifier(num_classes=3)
    initial = [w.numpy() for w in target.weights]
    fresh = transfer_weights(source, target)
    assert fresh and all("embedding" not in path for path in fresh)
    for old, new, start in zip(source.weights, target.weights, initial):
        expected = start if new.path in fresh else old.numpy()
        np.testing.assert_array_equal(new.numpy(), expected)


def test_with_overlap_a_grown_embedding_keeps_its_known_rows():
    source = classifier()
    target = type(source)(**{**model_arguments(source), "vocab_size": 13})
    target(np.ones((1, 5), "int32"))
    new_rows = embedding(target).numpy()[10:]
    fresh = transfer_weights(source, target, overlap=True)
    assert fresh == [embedding(target).path]
    np.testing.assert_array_equal(
        embedding(target).numpy()[:10], embedding(source).numpy()
    )
    np.testing.assert_array_equal(embedding(target).numpy()[10:], new_rows)


def test_another_structure_is_refused():
    with pytest.raises(ValueError, match="differs in structure"):
        transfer_weights(classifier(), classifier(num_layers=2))
