"""Scheduled sampling (Bengio et al. 2015): the schedules against their
formulas, probability 0 against teacher forcing, probability 1 against a
free-running greedy decode step by step, the probability following the
optimizer's steps inside `fit` under XLA, and the config keys."""

import copy

import keras
import numpy as np
import pytest

from rnnzoo.models import ImageCaptioner
from rnnzoo.models import Seq2Seq
from rnnzoo.models import TokenDecoder
from rnnzoo.models.feeding import feeding_scope
from rnnzoo.models.scheduled_sampling import ScheduledSampling
from rnnzoo.models.stepping import draw_dropout_masks
from rnnzoo.training.recipe import apply_overrides
from rnnzoo.training.recipe import compile_model
from rnnzoo.zoo import registry
from rnnzoo.zoo.schema import ConfigError
from rnnzoo.zoo.schema import validate_config

SOURCE = np.array([[3, 4, 5, 6, 0, 0], [7, 8, 0, 0, 0, 0], [5, 3, 9, 4, 8, 6]])
TARGET = np.array([[6, 5, 4, 3, 7], [8, 7, 0, 0, 0], [6, 8, 4, 9, 3]])
STEPS = np.array([0, 1, 2, 10, 100, 1000, 5000])

# ------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    "arguments, truth",
    [
        (
            {"schedule": "linear", "k": 0.9, "c": 1e-3, "epsilon": 0.2},
            lambda i: np.maximum(0.2, 0.9 - 1e-3 * i),
        ),
        (
            {"schedule": "linear", "c": 0.01},
            lambda i: np.maximum(0, 1 - i / 100),
        ),
        ({"schedule": "exponential", "k": 0.999}, lambda i: 0.999**i),
        (
            {"schedule": "inverse_sigmoid", "k": 300.0},
            lambda i: 300.0 / (300.0 + np.exp(i / 300.0)),
        ),
        (
            {"schedule": "inverse_sigmoid", "k": 1},
            lambda i: 1 / (1 + np.exp(i)),
        ),
        ({"schedule": "constant", "probability": 0.25}, lambda i: 0.75 + 0 * i),
    ],
)
def test_schedules_follow_the_papers_formulas(arguments, truth):
    recipe = ScheduledSampling(**arguments)
    for step in STEPS:
        with np.errstate(over="ignore"):  # exp(i / k) = inf: truth 0
            expected = truth(float(step))
        np.testing.assert_allclose(
            float(recipe.truth_probability(step)),
            expected,
            rtol=1e-5,
            atol=1e-7,
        )
        np.testing.assert_allclose(
            float(recipe.sampling_probability(step)),
            1.0 - expected,
            rtol=1e-5,
            atol=1e-6,
        )


def test_recipe_config_round_trips():
    recipe = ScheduledSampling(
        "linear", k=0.8, c=0.001, epsilon=0.1, sampling="sample", seed=3
    )
    config = recipe.get_config()
    assert config == {
        "schedule": "linear",
        "k": 0.8,
        "c": 0.001,
        "epsilon": 0.1,
        "sampling": "sample",
        "seed": 3,
    }
    assert ScheduledSampling.from_config(config).get_config() == config
    assert "inverse_sigmoid" in repr(ScheduledSampling(k=10))


@pytest.mark.parametrize(
    "config, message",
    [
        ({"schedule": "cosine"}, "`schedule` must be one of"),
        ({"schedule": "inverse_sigmoid"}, "needs `k`, got k=None"),
        (
            {"schedule": "inverse_sigmoid", "k": 0.5},
            r"`k` must be a number in \[1",
        ),
        (
            {"schedule": "exponential", "k": 1.0},
            r"`k` must be a number in \(0, 1\)",
        ),
        ({"schedule": "linear", "c": 0}, r"`c` must be a number in \(0"),
        ({"schedule": "linear", "c": 0.1, "epsilon": 1}, "`epsilon` must be"),
        ({"schedule": "exponential", "k": 0.9, "c": 1}, "`c` is no argument"),
        ({"schedule": "constant", "probability": 1.5}, "`probability` must be"),
        ({"schedule": "constant", "probability": 0.5, "temp": 1}, "Unknown"),
        ({"k": 10, "sampling": "greedy"}, "`sampling` must be one of"),
        ({"k": 10, "seed": "x"}, "`seed` must be an integer"),
    ],
)
def test_invalid_recipes_raise_clear_errors(config, message):
    with pytest.raises(ValueError, match=message):
        ScheduledSampling.from_config(config)


# ----------------------------------------------- probability 0 and 1


def seq2seq(attention="bahdanau", **kwargs):
    return Seq2Seq(
        vocab_size=12,
        units=8,
        attention=attention,
        activation=None,
        **{"cell": "lstm", "num_layers": 2, **kwargs},
    )


def captioner():
    return ImageCaptioner(
        vocab_size=12,
        units=8,
        cell="gru",
        num_layers=2,
        feature_input_shape=(5, 4),
        activation=None,
    )


def batch_for(model):
    if isinstance(model, Seq2Seq):
        return model.training_data(SOURCE, TARGET)[0]
    features = np.random.default_rng(0).normal(size=(3, 5, 4))
    return model.training_data(features.astype("float32"), TARGET)[0]


MODELS = {
    "seq2seq-bahdanau": lambda: seq2seq(),
    "seq2seq-sutskever": lambda: seq2seq(attention=None),
    "seq2seq-monotonic": lambda: seq2seq(
        "luong_monotonic", attention_kwargs={"score_bias_init": -1.0}
    ),
    "captioner": captioner,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_probability_zero_is_teacher_forcing(name):
    model = MODELS[name]()
    x = batch_for(model)
    real = np.asarray(next(v for k, v in x.items() if k.endswith("_in"))) != 0
    expected = np.asarray(model(x))
    with feeding_scope(0.0, seed=[4, 5]):
        actual = np.asarray(model(x, training=True))
    np.testing.assert_allclose(actual[real], expected[real], rtol=0, atol=1e-6)


def free_running_logits(model, x, steps):
    """Logits of a greedy decode, one `decoding_step` call per token."""
    inputs = x["source"] if "source" in x else x["features"]
    step_fn, state, tokens = model.decoding_step(inputs)
    logits = []
    for _ in range(steps):
        step_logits, state = step_fn(tokens, state)
        logits.append(np.asarray(step_logits))
        tokens = np.argmax(logits[-1], axis=-1).astype("int32")
    return np.stack(logits, axis=1)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_probability_one_is_free_running(name):
    model = MODELS[name]()
    x = batch_for(model)
    target_in = np.asarray(next(v for k, v in x.items() if k.endswith("_in")))
    real = target_in != 0
    teacher_forced = np.asarray(model(x))
    with feeding_scope(1.0, sampling="argmax", seed=[0, 1]):
        fed = np.asarray(model(x, training=True))
    greedy = free_running_logits(model, x, target_in.shape[1])
    # Generation never emits padding: its logit is -inf there.
    np.testing.assert_allclose(
        fed[..., 1:][real], greedy[..., 1:][real], rtol=0, atol=1e-5
    )
    # Not teacher forcing: some fed token differed from the truth.
    assert not np.allclose(fed[real], teacher_forced[real], atol=1e-4)


def test_sampled_feeding_is_seeded_and_draws_from_the_distribution():
    model = seq2seq()
    x = batch_for(model)
    real = np.asarray(x["target_in"]) != 0

    def fed(seed, sampling="sample"):
        with feeding_scope(1.0, sampling=sampling, seed=seed):
            return np.asarray(model(x, training=True))[real]

    np.testing.assert_array_equal(fed([1, 2]), fed([1, 2]))
    assert not np.allclose(fed([1, 2]), fed([1, 3]))
    # A distribution peaked on one token is always drawn that token.
    logits_layer = model.get_layer("decoder").output_layer
    kernel, bias = logits_layer.get_weights()
    logits_layer.set_weights([kernel * 1e5, bias * 1e5])
    np.testing.assert_allclose(fed([1, 2]), fed([0, 0], "argmax"), rtol=1e-5)


# ------------------------------------------- the schedule in training


@pytest.mark.parametrize("jit_compile", [True, False])
def test_probability_follows_the_optimizer_steps_in_fit(jit_compile):
    # One GRU layer: XLA compiles it in seconds.
    plain, scheduled = (seq2seq(cell="gru", num_layers=1) for _ in range(2))
    x, y = plain.training_data(SOURCE, TARGET)
    scheduled.set_weights(plain.get_weights())
    # Linear with c = 1: step 0 feeds the truth only, later steps only the
    # model's own predictions.
    scheduled.set_scheduled_sampling({"schedule": "linear", "c": 1.0})
    for model in (plain, scheduled):
        model.compile(
            optimizer=keras.optimizers.SGD(0.5), jit_compile=jit_compile
        )
        model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    for a, b in zip(plain.get_weights(), scheduled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    for model in (plain, scheduled):
        model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    assert int(scheduled.optimizer.iterations) == 2
    assert any(
        not np.allclose(a, b, atol=1e-5)
        for a, b in zip(plain.get_weights(), scheduled.get_weights())
    )
    if not jit_compile:
        # Evaluation stays teacher-forced.
        evaluated = scheduled.evaluate(x, y, verbose=0)
        scheduled.set_scheduled_sampling(None)
        assert scheduled.scheduled_sampling is None
        np.testing.assert_allclose(
            evaluated, scheduled.evaluate(x, y, verbose=0)
        )


def test_probability_follows_the_optimizer_steps_within_an_epoch():
    # The steps of one epoch, where JAX's train step carries the
    # optimizer's variables in its state instead of the variables.
    plain, scheduled = (
        seq2seq(attention=None, cell="gru", num_layers=1) for _ in range(2)
    )
    x, y = plain.training_data(np.tile(SOURCE, (2, 1)), np.tile(TARGET, (2, 1)))
    scheduled.set_weights(plain.get_weights())
    # Step 0 feeds the truth only, as `plain`; step 1 the predictions.
    scheduled.set_scheduled_sampling({"schedule": "linear", "c": 1.0})
    weights = []
    for model in (plain, scheduled):
        model.compile(optimizer=keras.optimizers.SGD(0.5))
        model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    assert int(scheduled.optimizer.iterations) == 2
    assert any(not np.allclose(a, b, atol=1e-5) for a, b in zip(*weights))


@pytest.mark.parametrize(
    "jit_compile", [False, pytest.param(True, marks=pytest.mark.slow)]
)
def test_trains_with_dropout_monotonic_attention_and_sampling(jit_compile):
    model = Seq2Seq(
        vocab_size=12,
        units=4,
        cell="gru",
        num_layers=2,
        attention="bahdanau_monotonic",
        attention_kwargs={"sigmoid_noise": 1.0, "seed": 1},
        dropout=0.2,
        recurrent_dropout=0.2,
    )
    model.set_scheduled_sampling(
        {"schedule": "inverse_sigmoid", "k": 2, "sampling": "sample"}
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), jit_compile=jit_compile
    )
    x, y = model.training_data(SOURCE, TARGET)
    history = model.fit(x, y, batch_size=3, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    # Every cell's per-sequence dropout masks were forgotten after the pass.
    decoder = model.get_layer("decoder")
    cells = [layer.cell for layer in decoder.stack.recurrent_layers]
    cells.append(decoder.attention_decoder.cell)
    assert all(cell._recurrent_dropout_mask is None for cell in cells)


def test_dropout_masks_of_every_step_are_drawn_before_the_loop():
    decoder = TokenDecoder(12, 4, cell="gru", num_layers=2, dropout=0.25)
    memory = np.random.default_rng(3).normal(size=(3, 6, 5))
    memory = memory.astype("float32")
    decoder(TARGET, memory)
    seed = keras.ops.convert_to_tensor([1, 2], "int32")
    masks = draw_dropout_masks(decoder, 50, 40, seed)
    assert sorted(masks) == ["attention", "output", "stack"]
    drawn = [*masks["stack"], masks["attention"], masks["output"]]
    assert len(drawn) == 3
    for mask in drawn:
        mask = np.asarray(mask)
        assert mask.shape == (50, 40, 4)
        kept = np.isclose(mask, 1.0 / 0.75)
        assert np.all(kept | (mask == 0.0))
        # 8000 draws: the kept fraction's standard error is 0.005.
        assert abs(kept.mean() - 0.75) < 0.025
    assert not np.array_equal(drawn[0], drawn[1])

    # A step uses the masks it is given in place of dropout layers.
    tokens = np.array([1, 5, 7], "int32")
    cache = decoder.prepare_memory(memory)
    state = decoder.get_initial_state(3, memory)
    ones = np.ones((3, 4), "float32")
    keep_all = {"stack": [ones], "attention": ones, "output": ones}
    kept_logits, _, _ = decoder.step(
        tokens, state, cache, training=True, dropout_masks=keep_all
    )
    expected, _, _ = decoder.step(tokens, state, cache)
    np.testing.assert_allclose(kept_logits, expected, atol=1e-6)
    bias = np.linspace(-1.0, 1.0, 12).astype("float32")
    decoder.output_layer.bias.assign(bias)
    drop_output = {**keep_all, "output": 0.0 * ones}
    dropped_logits, _, _ = decoder.step(
        tokens, state, cache, training=True, dropout_masks=drop_output
    )
    np.testing.assert_allclose(
        dropped_logits, np.broadcast_to(bias, (3, 12)), atol=1e-6
    )


# ------------------------------------------------------------ the config


def translator_config(**scheduled_sampling):
    config = copy.deepcopy(registry.get_config("translator_bahdanau"))
    if scheduled_sampling:
        config["training"]["scheduled_sampling"] = scheduled_sampling
    return config


def test_config_with_scheduled_sampling_is_valid_and_compiles_it():
    config = translator_config(
        schedule="inverse_sigmoid", k=500, sampling="sample"
    )
    validate_config(config)
    model = seq2seq()
    compile_model(model, "translation", config["training"], "adam", False)
    assert model.scheduled_sampling.get_config() == {
        "schedule": "inverse_sigmoid",
        "k": 500.0,
        "sampling": "sample",
        "seed": 0,
    }
    overridden, _ = apply_overrides(
        translator_config(),
        {"scheduled_sampling": {"schedule": "exponential", "k": 0.99}},
    )
    assert overridden["training"]["scheduled_sampling"]["k"] == 0.99


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"schedule": "inverse_sigmoid", "k": 0.5},
            r"`k` must be a number in \[1",
        ),
        (
            {"schedule": "linear", "slope": 0.1},
            "Unknown scheduled-sampling keys",
        ),
        ({"schedule": "constant"}, "needs `probability`"),
    ],
)
def test_invalid_config_keys_name_the_path(settings, message):
    with pytest.raises(
        ConfigError, match="training.scheduled_sampling: "
    ) as error:
        validate_config(translator_config(**settings), source="x.yaml")
    assert error.match(message)


def test_config_rejects_scheduled_sampling_without_a_token_decoder():
    config = copy.deepcopy(registry.get_config("upos_tagger"))
    config["training"]["scheduled_sampling"] = {"schedule": "linear", "c": 0.1}
    with pytest.raises(ConfigError, match="encoder-decoder architecture"):
        validate_config(config)
    config = translator_config()
    config["training"]["scheduled_sampling"] = "linear"
    with pytest.raises(ConfigError, match="expected a mapping"):
        validate_config(config)
