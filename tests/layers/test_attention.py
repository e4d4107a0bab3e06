"""Tests of the attention mechanisms against NumPy references written from
the equations, Keras's own `AdditiveAttention` and finite differences."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import BahdanauAttention
from rnnzoo.layers import LuongAttention

BATCH, TQ, TV = 2, 3, 5
QUERY_DIM, KEY_DIM, VALUE_DIM = 4, 3, 6

# (class, constructor arguments) of every mechanism variant.
VARIANTS = {
    "bahdanau": (BahdanauAttention, {"units": 5}),
    "bahdanau_normalized": (BahdanauAttention, {"units": 5, "normalize": True}),
    "luong_dot": (LuongAttention, {"score": "dot"}),
    "luong_dot_scaled": (LuongAttention, {"score": "dot", "scale": True}),
    "luong_general": (LuongAttention, {"score": "general"}),
    "luong_general_scaled": (
        LuongAttention,
        {"score": "general", "scale": True},
    ),
    "luong_concat": (LuongAttention, {"score": "concat", "units": 5}),
    "luong_concat_scaled": (
        LuongAttention,
        {"score": "concat", "scale": True},
    ),
}


def make_inputs(seed=0, dtype="float32", key_dim=KEY_DIM):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(BATCH, TQ, QUERY_DIM)).astype(dtype)
    value = rng.normal(size=(BATCH, TV, VALUE_DIM)).astype(dtype)
    key = rng.normal(size=(BATCH, TV, key_dim)).astype(dtype)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    return query, value, key, mask


def build_variant(variant, key_dim=KEY_DIM, seed=1, dtype="float32"):
    """Builds a variant with random weights (scalars away from one)."""
    cls, kwargs = VARIANTS[variant]
    if kwargs.get("score") == "dot":
        key_dim = QUERY_DIM
    layer = cls(dtype=dtype, **kwargs)
    layer.build(
        (None, TQ, QUERY_DIM), (None, TV, VALUE_DIM), (None, TV, key_dim)
    )
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        values = rng.normal(size=weight.shape) * 0.7
        if weight.path.endswith(("scale", "attention_g")):
            values = 1.0 + np.abs(values)
        weight.assign(values.astype(weight.dtype))
    return layer, key_dim


def weight(layer, name):
    matches = [w for w in layer.weights if w.path.split("/")[-1] == name]
    assert len(matches) == 1, name
    return np.asarray(matches[0].numpy(), dtype="float64")


def reference_scores(variant, layer, query, key):
    """Scores `(batch, Tq, Tv)` computed from the papers' equations."""
    _, kwargs = VARIANTS[variant]
    q, k = query.astype("float64"), key.astype("float64")
    if variant.startswith("bahdanau"):
        hidden = (q @ weight(layer, "query_kernel"))[:, :, None, :] + (
            k @ weight(layer, "key_kernel")
        )[:, None, :, :]
        v = weight(layer, "attention_v")
        if kwargs.get("normalize"):
            hidden = hidden + weight(layer, "attention_b")
            v = weight(layer, "attention_g") * v / np.linalg.norm(v)
        return np.tanh(hidden) @ v
    score = kwargs["score"]
    if score == "dot":
        scores = np.einsum("bqd,btd->bqt", q, k)
    elif score == "general":
        w = weight(layer, "key_kernel").T  # W of qᵀ W k, (query_dim, key_dim)
        scores = np.einsum("bqi,ij,btj->bqt", q, w, k)
    else:
        # vᵀ tanh(W [q; k]) with W stacked from the two kernels.
        w = np.concatenate(
            [weight(layer, "query_kernel"), weight(layer, "key_kernel")]
        )
        pairs = np.concatenate(
            [
                np.broadcast_to(q[:, :, None, :], (BATCH, TQ, TV, q.shape[-1])),
                np.broadcast_to(k[:, None, :, :], (BATCH, TQ, TV, k.shape[-1])),
            ],
            axis=-1,
        )
        scores = np.tanh(pairs @ w) @ weight(layer, "attention_v")
    if kwargs.get("scale"):
        scores = scores * weight(layer, "scale")
    return scores


def reference_attention(scores, value, mask):
    masked = np.where(mask[:, None, :], scores, -np.inf)
    exp = np.exp(masked - masked.max(axis=-1, keepdims=True))
    weights = exp / exp.sum(axis=-1, keepdims=True)
    return weights @ value.astype("float64"), weights


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_matches_numpy_reference(variant):
    layer, key_dim = build_variant(variant)
    query, value, key, mask = make_inputs(key_dim=key_dim)
    expected_context, expected_weights = reference_attention(
        reference_scores(variant, layer, query, key), value, mask
    )
    context, weights = layer(query, value, key=key, mask=mask)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-5)
    np.testing.assert_allclose(context, expected_context, atol=1e-5)
    # A 2D query is one decoder step of the same computation.
    step_context, step_weights = layer(query[:, 1], value, key=key, mask=mask)
    assert step_context.shape == (BATCH, VALUE_DIM)
    assert step_weights.shape == (BATCH, TV)
    np.testing.assert_allclose(step_weights, expected_weights[:, 1], atol=1e-5)
    np.testing.assert_allclose(step_context, expected_context[:, 1], atol=1e-5)


@pytest.mark.parametrize("variant", ["bahdanau", "luong_dot", "luong_concat"])
def test_key_defaults_to_value(variant):
    cls, kwargs = VARIANTS[variant]
    layer = cls(**kwargs)
    query, value, _, mask = make_inputs()
    if kwargs.get("score") == "dot":
        query = np.random.default_rng(3).normal(size=(BATCH, TQ, VALUE_DIM))
    context, weights = layer(query, value, mask=mask)
    same_context, same_weights = layer(query, value, key=value, mask=mask)
    np.testing.assert_array_equal(context, same_context)
    np.testing.assert_array_equal(weights, same_weights)


@pytest.mark.parametrize("variant", ["bahdanau_normalized", "luong_general"])
def test_weights_sum_to_one_and_padding_is_ignored(variant):
    layer, key_dim = build_variant(variant)
    query, value, key, _ = make_inputs(key_dim=key_dim)
    real = 3
    rng = np.random.default_rng(7)
    # The padded batch holds garbage after the real positions.
    padded_value = value.copy()
    padded_key = key.copy()
    padded_value[:, real:] = 100 * rng.normal(size=padded_value[:, real:].shape)
    padded_key[:, real:] = 100 * rng.normal(size=padded_key[:, real:].shape)
    mask = np.zeros((BATCH, TV), dtype=bool)
    mask[:, :real] = True

    context, weights = layer(query, padded_value, key=padded_key, mask=mask)
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)
    assert np.all(weights[..., real:] == 0.0)

    short_context, short_weights = layer(
        query, value[:, :real], key=key[:, :real]
    )
    np.testing.assert_allclose(context, short_context, atol=1e-6)
    np.testing.assert_allclose(weights[..., :real], short_weights, atol=1e-6)


@pytest.mark.tensorflow_only("tf.GradientTape")
def test_fully_masked_row_returns_zeros_with_finite_gradients():
    layer, key_dim = build_variant("bahdanau_normalized")
    query, value, key, _ = make_inputs(key_dim=key_dim)
    mask = np.array([[0, 0, 0, 0, 0], [1, 1, 0, 0, 0]], dtype=bool)
    value = tf.constant(value)
    with tf.GradientTape() as tape:
        tape.watch(value)
        context, weights = layer(query, value, key=key, mask=mask)
        loss = tf.reduce_sum(context) + tf.reduce_sum(weights)
    gradients = tape.gradient(loss, [value, *layer.trainable_variables])
    assert np.all(np.asarray(weights)[0] == 0.0)
    assert np.all(np.asarray(context)[0] == 0.0)
    np.testing.assert_allclose(np.asarray(weights)[1].sum(-1), 1.0, atol=1e-6)
    assert all(np.all(np.isfinite(g)) for g in gradients)


def test_keras_mask_on_value_is_honoured():
    embedding = keras.layers.Embedding(10, VALUE_DIM, mask_zero=True)
    value = embedding(np.array([[4, 2, 7, 0, 0], [1, 0, 0, 0, 0]]))
    query = np.random.default_rng(0).normal(size=(BATCH, QUERY_DIM))
    layer = BahdanauAttention(4)
    _, weights = layer(query.astype("float32"), value)
    weights = np.asarray(weights)
    np.testing.assert_array_equal(weights[0, 3:], 0.0)
    np.testing.assert_array_equal(weights[1, 1:], 0.0)
    np.testing.assert_allclose(weights[1, 0], 1.0)
    # An explicit mask takes precedence over the Keras mask.
    _, weights = layer(
        query.astype("float32"), value, mask=np.ones((BATCH, TV), bool)
    )
    assert np.all(np.asarray(weights) > 0.0)


def test_bahdanau_with_identity_projections_matches_additive_attention():
    dim = 4
    rng = np.random.default_rng(5)
    query = rng.normal(size=(BATCH, TQ, dim)).astype("float32")
    value = rng.normal(size=(BATCH, TV, dim)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], dtype=bool)
    v = rng.normal(size=(dim,)).astype("float32")

    ours = BahdanauAttention(dim)
    ours.build(query.shape, value.shape)
    ours.query_kernel.assign(np.eye(dim))
    ours.key_kernel.assign(np.eye(dim))
    ours.attention_v.assign(v)
    keras_layer = keras.layers.AdditiveAttention(use_scale=True)
    keras_layer.build([query.shape, value.shape])
    keras_layer.scale.assign(v)

    context, weights = ours(query, value, mask=mask)
    keras_context, keras_weights = keras_layer(
        [query, value], mask=[None, mask], return_attention_scores=True
    )
    np.testing.assert_allclose(context, keras_context, atol=1e-5)
    np.testing.assert_allclose(weights, keras_weights, atol=1e-6)
    # The scores themselves, up to the per-row constant softmax removes.
    scores = np.asarray(ours.score(query, ours.project_keys(value)))
    log_weights = np.log(np.asarray(keras_weights)[1])
    np.testing.assert_allclose(
        scores[1] - scores[1].mean(-1, keepdims=True),
        log_weights - log_weights.mean(-1, keepdims=True),
        atol=1e-4,
    )


def test_precomputed_keys_give_the_same_result_without_reprojection():
    layer, key_dim = build_variant("bahdanau")
    query, value, key, mask = make_inputs(key_dim=key_dim)
    projected = layer.project_keys(key)
    calls = []
    original = layer.project_keys
    layer.project_keys = lambda k: calls.append(1) or original(k)
    context, weights = layer(query, value, mask=mask, projected_keys=projected)
    assert not calls
    expected_context, expected_weights = layer(query, value, key=key, mask=mask)
    assert len(calls) == 1
    np.testing.assert_allclose(context, expected_context, atol=1e-6)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-6)


def check_gradient(function, array, gradient, seed=0, max_entries=8):
    """Compares `gradient` of `function()` with respect to `array` (which
    `function` reads) with central differences: on a few entries, and along
    one random direction through all of them."""
    eps = 1e-6
    rng = np.random.default_rng(seed)
    gradient = np.asarray(gradient)

    def difference(direction):
        original = array.copy()
        array[...] = original + eps * direction
        plus = function()
        array[...] = original - eps * direction
        minus = function()
        array[...] = original
        return (plus - minus) / (2 * eps)

    indices = list(np.ndindex(array.shape))
    chosen = rng.choice(len(indices), min(max_entries, len(indices)), False)
    for i in chosen:
        direction = np.zeros_like(array)
        direction[indices[i]] = 1.0
        np.testing.assert_allclose(
            gradient[indices[i]], difference(direction), rtol=1e-5, atol=1e-7
        )
    direction = rng.normal(size=array.shape)
    np.testing.assert_allclose(
        np.sum(gradient * direction), difference(direction), rtol=1e-5
    )


@pytest.mark.tensorflow_only("tf.GradientTape; float64 numerics")
@pytest.mark.parametrize(
    "variant", ["bahdanau_normalized", "luong_general_scaled", "luong_concat"]
)
def test_gradients_match_finite_differences(variant):
    layer, key_dim = build_variant(variant, dtype="float64")
    query, value, key, mask = make_inputs(dtype="float64", key_dim=key_dim)
    rng = np.random.default_rng(11)
    context_probe = rng.normal(size=(BATCH, TQ, VALUE_DIM))
    weights_probe = rng.normal(size=(BATCH, TQ, TV))

    def loss():
        context, weights = layer(query, value, key=key, mask=mask)
        return float(
            np.sum(np.asarray(context) * context_probe)
            + np.sum(np.asarray(weights) * weights_probe)
        )

    inputs = [tf.constant(a) for a in (query, value, key)]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        context, weights = layer(*inputs[:2], key=inputs[2], mask=mask)
        objective = tf.reduce_sum(context * context_probe) + tf.reduce_sum(
            tf.cast(weights, "float64") * weights_probe
        )
    variables = layer.trainable_variables
    gradients = tape.gradient(objective, inputs + variables)

    for array, gradient in zip((query, value, key), gradients[:3]):
        check_gradient(loss, array, gradient)
    # Padded memory positions receive no gradient at all.
    np.testing.assert_array_equal(np.asarray(gradients[1])[0, 3:], 0.0)
    for variable, gradient in zip(variables, gradients[3:]):
        array = np.array(variable.numpy())

        def loss_of_variable(array=array, variable=variable):
            variable.assign(array)
            return loss()

        check_gradient(loss_of_variable, array, gradient)
        variable.assign(array)  # Undo the last perturbation.


@pytest.mark.parametrize("variant", ["bahdanau_normalized", "luong_concat"])
def test_mixed_precision_softmax_in_float32(variant):
    full, key_dim = build_variant(variant)
    mixed, _ = build_variant(variant, dtype="mixed_float16")
    mixed.set_weights(full.get_weights())
    query, value, key, mask = make_inputs(key_dim=key_dim)
    context, weights = mixed(query, value, key=key, mask=mask)
    assert context.dtype == "float16"
    assert weights.dtype == "float32"
    np.testing.assert_allclose(np.asarray(weights).sum(-1), 1.0, atol=1e-6)
    assert np.all(np.asarray(weights)[0, :, 3:] == 0.0)
    expected_context, expected_weights = full(query, value, key=key, mask=mask)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-2)
    np.testing.assert_allclose(
        np.asarray(context, "float32"), expected_context, atol=2e-2
    )


@pytest.mark.parametrize(
    "variant", ["bahdanau_normalized", "luong_concat_scaled"]
)
def test_save_load_round_trip(variant, tmp_path):
    cls, kwargs = VARIANTS[variant]
    query = keras.Input((TQ, QUERY_DIM))
    value = keras.Input((TV, VALUE_DIM))
    mask = keras.Input((TV,), dtype="bool")
    layer = cls(**kwargs)
    context, weights = layer(query, value, mask=mask)
    model = keras.Model([query, value, mask], [context, weights])
    q, v, _, m = make_inputs()
    before = model([q, v, m])
    path = tmp_path / "attention.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    after = restored([q, v, m])
    for expected, actual in zip(before, after):
        np.testing.assert_array_equal(expected, actual)
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config


@pytest.mark.tensorflow_only("tf.function")
def test_xla_compiled_call_matches_eager():
    layer, key_dim = build_variant("bahdanau_normalized")
    query, value, key, mask = make_inputs(key_dim=key_dim)

    @tf.function(jit_compile=True)
    def attend(query, value, key, mask):
        return layer(query, value, key=key, mask=mask)

    expected = layer(query, value, key=key, mask=mask)
    compiled = attend(query, value, key, mask)
    for e, c in zip(expected, compiled):
        np.testing.assert_allclose(c, e, atol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: BahdanauAttention(0), "units"),
        (lambda: BahdanauAttention(4, normalize="yes"), "normalize"),
        (lambda: BahdanauAttention(4, use_bias=1), "use_bias"),
        (lambda: LuongAttention(score="additive"), "score"),
        (lambda: LuongAttention(scale=1), "scale"),
        (lambda: LuongAttention(units=-2), "units"),
    ],
)
def test_invalid_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_invalid_shapes_raise():
    query, value, _, _ = make_inputs()
    with pytest.raises(ValueError, match="key_dim"):
        LuongAttention(score="dot")(query, value)
    layer = BahdanauAttention(4)
    with pytest.raises(ValueError, match="query"):
        layer(query[:, :, None, :], value)
    with pytest.raises(ValueError, match="mask"):
        layer(query, value, mask=np.ones((BATCH, TQ, TV), bool))
