"""The `CRF` layer: its weights, its pass-through call with the mask, its
methods against brute-force enumeration, and its config and saving."""

import keras
import numpy as np
import pytest

from rnnzoo.layers import CRF
from tests.layers.crf_reference import brute_force

TAGS = 3


def random_weights(crf, seed=0):
    rng = np.random.default_rng(seed)
    for weight in crf.weights:
        weight.assign(rng.normal(size=weight.shape))


def test_weights_are_built_from_the_number_of_tags():
    crf = CRF()
    crf.build((None, None, TAGS))
    assert [(w.name, tuple(w.shape)) for w in crf.weights] == [
        ("transitions", (TAGS, TAGS)),
        ("start_transitions", (TAGS,)),
        ("end_transitions", (TAGS,)),
    ]
    # Zeros by default: the CRF starts as per-step softmaxes.
    assert all(np.all(np.asarray(w) == 0) for w in crf.weights)
    plain = CRF(use_boundary_transitions=False)
    plain.build((2, 5, TAGS))
    assert [w.name for w in plain.weights] == ["transitions"]
    assert plain.start_transitions is None


def test_call_passes_the_potentials_and_their_mask_through():
    inputs = keras.Input((None,), dtype="int32")
    embedding = keras.layers.Embedding(10, TAGS, mask_zero=True)
    embedded = embedding(inputs)
    outputs = CRF(name="crf")(embedded)
    model = keras.Model(inputs, outputs)
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    potentials = model(ids)
    np.testing.assert_array_equal(potentials, embedding(ids))
    crf = model.get_layer("crf")
    np.testing.assert_array_equal(
        crf.compute_mask(potentials, ids != 0), ids != 0
    )


@pytest.mark.parametrize("boundaries", [True, False])
def test_methods_match_enumeration_with_the_layers_weights(boundaries):
    rng = np.random.default_rng(1)
    potentials = rng.normal(size=(4, 4, TAGS)).astype("float32")
    tags = rng.integers(0, TAGS, size=(4, 4))
    mask = np.array(
        [[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0]], bool
    )
    crf = CRF(use_boundary_transitions=boundaries)
    crf.build(potentials.shape)
    random_weights(crf, seed=2)
    expected = brute_force(
        potentials.astype("float64"),
        tags,
        mask,
        np.asarray(crf.transitions, "float64"),
        None if not boundaries else np.asarray(crf.start_transitions),
        None if not boundaries else np.asarray(crf.end_transitions),
    )
    np.testing.assert_allclose(
        crf.log_likelihood(potentials, tags, mask),
        [row["log_likelihood"] for row in expected],
        rtol=1e-5,
        atol=1e-5,
    )
    best_tags, best_score = crf.decode(potentials, mask)
    np.testing.assert_array_equal(
        best_tags, [row["best_tags"] for row in expected]
    )
    np.testing.assert_allclose(
        best_score, [row["best_score"] for row in expected], atol=1e-5
    )


def test_methods_build_an_unbuilt_layer():
    crf = CRF()
    tags, _ = crf.decode(np.zeros((1, 2, TAGS), "float32"))
    assert crf.built and tuple(np.asarray(tags).shape) == (1, 2)


def test_config_round_trip_and_regularizer():
    crf = CRF(
        use_boundary_transitions=False,
        transitions_initializer="ones",
        transitions_regularizer=keras.regularizers.L2(0.5),
        name="my_crf",
    )
    config = crf.get_config()
    assert config["use_boundary_transitions"] is False
    restored = CRF.from_config(config)
    assert restored.get_config() == config
    restored.build((1, 2, TAGS))
    np.testing.assert_array_equal(restored.transitions, np.ones((3, 3)))
    # L2(0.5) of a 3x3 matrix of ones.
    assert float(sum(restored.losses)) == pytest.approx(0.5 * 9)


def test_saved_model_keeps_the_transitions(tmp_path):
    inputs = keras.Input((None, TAGS))
    model = keras.Model(inputs, CRF(name="crf")(inputs))
    random_weights(model.get_layer("crf"), seed=3)
    path = tmp_path / "crf.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for saved, restored in zip(
        model.get_layer("crf").weights, loaded.get_layer("crf").weights
    ):
        np.testing.assert_array_equal(restored, saved)


def test_unknown_number_of_tags_and_bad_arguments_are_named():
    with pytest.raises(ValueError, match="number of tags"):
        CRF().build((None, None, None))
    with pytest.raises(ValueError, match="`use_boundary_transitions`"):
        CRF(use_boundary_transitions="yes")
