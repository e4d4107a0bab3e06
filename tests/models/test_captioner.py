"""`ImageCaptioner`: builds with several cells, backbones and inputs,
trains, saves and reloads with identical predictions; it learns to caption
generated images, attending to each shape in turn; captions through
`rnnzoo.decoding` as the strategies promise."""

import functools
import json

import keras
import numpy as np
import pytest

from rnnzoo.models import ImageCaptioner
from rnnzoo.models.generation import before_end_mask
from tests.models import generation_checks
from tests.models import synthetic

VOCAB, START, END = 9, 1, 2
IMAGE_SHAPE = (8, 16, 1)

CASES = {
    "lstm-small_cnn-bahdanau": {"cell": "lstm", "image_shape": IMAGE_SHAPE},
    "gru-features-luong-2layers": {
        "cell": "gru",
        "feature_input_shape": (6, 5),
        "attention": "luong",
        "num_layers": 2,
        "dropout": 0.1,
    },
    "mgu-small_cnn-show-and-tell": {
        "cell": "mgu",
        "image_shape": IMAGE_SHAPE,
        "attention": None,
    },
    "peephole_lstm-features-without-position-embedding": {
        "cell": "peephole_lstm",
        "feature_input_shape": (6, 5),
        "position_embedding": False,
        "recurrent_dropout": 0.1,
    },
    "coupled_lstm-MobileNetV2": {
        "cell": "coupled_lstm",
        "image_shape": (64, 64, 3),
        "backbone": "MobileNetV2",
    },
}
# Every cell runs by default; this one builds a large backbone and runs
# with `-m slow`.
SLOW_CASES = {"coupled_lstm-MobileNetV2"}


def build(options, units=8):
    return ImageCaptioner(vocab_size=VOCAB, units=units, **options)


def make_batch(rng, model, num_samples=4, steps=4):
    shape = model.image_shape or model.feature_input_shape
    images = rng.uniform(0, 255, (num_samples, *shape)).astype("float32")
    lengths = rng.integers(1, steps + 1, size=num_samples)
    mask = synthetic.pad_mask(lengths, steps)
    captions = np.where(mask, rng.integers(3, VOCAB, mask.shape), 0)
    return images, captions


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case, marks=[pytest.mark.slow] if case in SLOW_CASES else []
        )
        for case in sorted(CASES)
    ],
)
def test_builds_trains_saves_and_reloads(case, rng, tmp_path):
    model = build(CASES[case])
    images, captions = make_batch(rng, model)
    x, y = model.training_data(images, captions)
    model.compile(run_eagerly=True)
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(
        not np.allclose(b, a) for b, a in zip(before, model.get_weights())
    )

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is ImageCaptioner
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-5)
    # Captioning runs the decoder one step at a time: greedy search emits
    # the most probable word of the teacher-forced pass over its caption.
    result = model.caption(images, max_length=3)
    caption_in = np.concatenate(
        [np.full((len(images), 1), START), result.tokens[:, :-1]], axis=1
    )
    probabilities = np.asarray(
        model({model.image_key: images, "caption_in": caption_in})
    )
    real = np.asarray(before_end_mask(result.tokens, END))
    predicted = probabilities[..., 1:].argmax(-1) + 1
    np.testing.assert_array_equal(predicted[real], result.tokens[real])
    if model.attention is None:
        assert result.alignments is None
    else:
        regions = model.encode(images)[0].shape[1]
        assert result.alignments.shape == (len(images), 3, regions)


def test_config_is_json_and_round_trips():
    model = build(CASES["gru-features-luong-2layers"])
    config = model.get_config()
    json.dumps(config)
    clone = ImageCaptioner.from_config(config)
    assert clone.get_config() == config
    assert len(clone.weights) == len(model.weights)


def test_small_cnn_grid_and_initial_state(rng):
    model = build({"cell": "lstm", "image_shape": (12, 36, 1)})
    images = rng.uniform(0, 255, (2, 12, 36, 1)).astype("float32")
    memory, _, initial_state = model.encode(images)
    # Two 2x2 poolings: a 3 x 9 grid of 64 features.
    assert tuple(memory.shape) == (2, 27, 64)
    assert [len(states) for states in initial_state] == [2]  # h and c
    assert tuple(initial_state[0][0].shape) == (2, 8)


def test_medium_cnn_sees_a_whole_digit_per_region(rng):
    model = build(
        {"cell": "gru", "image_shape": (12, 36, 1), "backbone": "medium_cnn"}
    )
    images = rng.uniform(0, 255, (2, 12, 36, 1)).astype("float32")
    memory, _, _ = model.encode(images)
    assert tuple(memory.shape) == (2, 27, 128)

    # A region's features depend on pixels up to 11 away (24 px field),
    # and not beyond: perturb one pixel and see which regions change.
    def grid_of(x):
        return np.asarray(model.encode(x)[0]).reshape(2, 3, 9, -1)

    changed = images.copy()
    changed[:, 6, 2, 0] += 50.0
    moved = np.abs(grid_of(changed) - grid_of(images)).max(axis=(0, 3)) > 0
    columns = np.flatnonzero(moved.any(axis=0))
    assert columns.min() == 0 and columns.max() == 3


# A captioner trained on shape strips, shared by the tests below.

TRAIN, TEST, CELLS, SIZE = 1024, 256, 3, 12


@pytest.fixture(scope="module")
def shape_captioner():
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    images, captions = synthetic.shape_strips(rng, TRAIN + TEST, CELLS, SIZE)
    model = ImageCaptioner(
        vocab_size=3 + len(synthetic.SHAPE_WORDS),
        cell="gru",
        units=16,
        image_shape=images.shape[1:],
        vocabulary=["", "<s>", "</s>", *synthetic.SHAPE_WORDS],
    )
    steps = 6 * TRAIN // 32
    schedule = keras.optimizers.schedules.CosineDecay(0.01, steps, alpha=0.05)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
        jit_compile=False,
    )
    x, y = model.training_data(images[:TRAIN], captions[:TRAIN])
    model.fit(x, y, batch_size=32, epochs=6, verbose=0)
    return model, images[TRAIN:], captions[TRAIN:]


def test_learns_to_caption_shape_strips(shape_captioner):
    model, images, captions = shape_captioner
    result = model.caption(images, max_length=CELLS + 1)
    expected = synthetic.with_end_token(captions, END, CELLS + 1)
    exact = (result.tokens == expected).all(-1).mean()
    assert exact >= 0.9, exact
    beam = model.caption(images, max_length=CELLS + 1, strategy="beam")
    assert (beam.tokens == expected).all(-1).mean() >= 0.9
    assert np.all(beam.scores >= result.scores - 1e-4)
    assert result.text[0] == " ".join(
        synthetic.SHAPE_WORDS[t - 3] for t in captions[0] if t
    )


def test_attention_moves_from_shape_to_shape(shape_captioner):
    model, images, captions = shape_captioner
    result = model.caption(images, max_length=CELLS + 1)
    alignments = result.alignments
    grid_width = images.shape[2] // 4  # small_cnn pools twice by 2
    regions = alignments.shape[-1]
    assert regions == (images.shape[1] // 4) * grid_width
    emitted = np.asarray(before_end_mask(result.tokens, END))
    np.testing.assert_allclose(alignments.sum(-1)[emitted], 1.0, atol=1e-5)
    np.testing.assert_array_equal(alignments[~emitted], 0.0)
    # With three shapes, word k is read from the k-th square: the centre of
    # mass of its attention lies in that third of the image.
    full = (captions != 0).all(-1)
    columns = np.arange(regions) % grid_width
    centre = (alignments[full, :CELLS] * columns).sum(-1)
    square = (centre // (grid_width / CELLS)).astype(int)
    assert (square == np.arange(CELLS)).mean() >= 0.9


@pytest.mark.parametrize(
    "check",
    [
        generation_checks.assert_beam_width_one_is_greedy,
        generation_checks.assert_sampling_is_reproducible,
        pytest.param(
            generation_checks.assert_compiles_with_xla,
            marks=pytest.mark.slow,
        ),
    ],
    ids=["beam-width-one-is-greedy", "seeded-sampling", "xla"],
)
def test_decoding_strategies_through_caption(shape_captioner, check):
    model, images, _ = shape_captioner
    check(functools.partial(model.caption, images, max_length=CELLS + 1))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bidirectional": True}, "`bidirectional` must be False"),
        ({"cell": "rnn"}, "`cell` must be a registered"),
        ({"image_shape": None}, "exactly one of `image_shape`"),
        ({"feature_input_shape": (4, 3)}, "exactly one of `image_shape`"),
        ({"image_shape": (8, 8)}, "`image_shape` must be 3 positive"),
        ({"backbone": "AlexNet"}, "`backbone` must be 'small_cnn'"),
        ({"attention": "dot"}, "`attention` must be one of"),
        ({"end_token": VOCAB}, "`end_token` must be a token id"),
        ({"vocabulary": ["a", "b"]}, "one string per token id"),
    ],
)
def test_configuration_errors(kwargs, match):
    arguments = {"vocab_size": VOCAB, "units": 4, "image_shape": IMAGE_SHAPE}
    with pytest.raises(ValueError, match=match):
        ImageCaptioner(**{**arguments, **kwargs})


def test_precomputed_features_need_no_backbone():
    with pytest.raises(ValueError, match="need no backbone"):
        ImageCaptioner(
            vocab_size=VOCAB,
            units=4,
            feature_input_shape=(6, 5),
            backbone="small_cnn",
        )
