"""Every task shape trains from a config over small files in its
dataset's layout, reports its metrics in the literature's units, and its
exported preset measures the same afresh."""

import copy
import math

import numpy as np
import pytest

import rnnzoo
from rnnzoo.training import load_trained_preset
from tests.training import fixtures

EXPECTED_METRICS = {
    "tagging": {"loss", "accuracy"},
    "translation": {"loss", "accuracy", "perplexity", "bleu"},
    "language_modelling": {"loss", "accuracy", "perplexity"},
    "music_modelling": {"loss", "nll_per_step"},
    "captioning": {"loss", "accuracy", "perplexity", "bleu", "exact_match"},
    "tree_classification": {
        "loss",
        "accuracy",
        "binary_accuracy",
        "node_accuracy",
    },
}


# Generation tasks trace their decoders twice (BLEU after training and in
# the fresh evaluation): half a minute each, so they run with `-m slow`.
SLOW_TASKS = ("translation", "captioning")


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(
            task, marks=[pytest.mark.slow] if task in SLOW_TASKS else []
        )
        for task in sorted(fixtures.TASK_CONFIGS)
    ],
)
def test_each_task_trains_and_its_preset_measures_the_same(tmp_path, task):
    writer = fixtures.WRITERS[task]
    data_dir = None if writer is None else writer(tmp_path / "data")
    result = rnnzoo.train(
        copy.deepcopy(fixtures.TASK_CONFIGS[task]),
        data_dir=data_dir,
        output_dir=tmp_path / "run",
        jit_compile=False,
        verbose=0,
    )
    assert result.epochs == 1
    assert set(result.metrics) == EXPECTED_METRICS[task]
    assert all(math.isfinite(value) for value in result.metrics.values())
    fresh = rnnzoo.evaluate(result.preset_dir, data_dir=data_dir)
    assert fresh == pytest.approx(result.metrics, rel=1e-4, abs=1e-6)

    model, vectorizer, metadata = load_trained_preset(result.preset_dir)
    assert metadata["metrics"] == result.metrics
    if task == "language_modelling":
        # Stateful truncated BPTT over one stream: no padding, so the
        # perplexity is exp of the mean token cross-entropy.
        assert model.stateful and model.batch_size == 4
        assert result.metrics["perplexity"] == pytest.approx(
            math.exp(result.metrics["loss"]), rel=1e-4
        )
    if task in ("translation", "captioning"):
        assert model.vocabulary == vectorizer.vocabulary(
            vectorizer.features[-1]
        )
    if task == "music_modelling":
        assert model.multi_hot and model.input_dim == 88
        assert result.metrics["nll_per_step"] == pytest.approx(
            numpy_music_nll(model, data_dir), rel=1e-4
        )
    assert np.isfinite(model.count_params())


def numpy_music_nll(model, data_dir) -> float:
    """The test split's NLL per real frame, in NumPy from the model's
    probabilities: padded frames (zero weight) count for nothing."""
    pipeline = rnnzoo.data.make_pipelines(
        "jsb_chorales", 4, splits=["test"], data_dir=data_dir
    )["test"]
    total = frames = 0.0
    for inputs, targets, weights in pipeline:
        probabilities = np.clip(
            model.predict(inputs, verbose=0).astype("float64"), 1e-7, 1 - 1e-7
        )
        targets = targets.numpy()
        frame_nll = -(
            targets * np.log(probabilities)
            + (1 - targets) * np.log(1 - probabilities)
        ).sum(-1)
        total += (frame_nll * weights.numpy()).sum()
        frames += weights.numpy().sum()
    return total / frames
