"""Forecasting windows and the CO2 record bundled in `statsmodels`."""

import numpy as np
import pytest

from rnnzoo import data
from rnnzoo.data import forecasting


def brute_force_windows(values, window, first_target):
    pairs = [
        (values[t - window : t], values[t])
        for t in range(first_target, len(values))
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


@pytest.mark.parametrize("window, first_target", [(1, None), (4, 4), (3, 7)])
def test_windows_match_brute_force(window, first_target, rng):
    values = rng.normal(size=12).astype("float32")
    series, targets = forecasting.forecasting_windows(
        values, window, first_target
    )
    expected_series, expected_targets = brute_force_windows(
        values, window, first_target or window
    )
    assert series.shape == (len(expected_series), window, 1)
    np.testing.assert_array_equal(series[..., 0], np.stack(expected_series))
    np.testing.assert_array_equal(targets[:, 0], expected_targets)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"values": np.zeros((3, 2)), "window": 1}, "values"),
        ({"values": np.zeros(5), "window": 0}, "window"),
        ({"values": np.zeros(5), "window": 2.0}, "window"),
        (
            {"values": np.zeros(5), "window": 3, "first_target": 2},
            "first_target",
        ),
    ],
)
def test_bad_window_arguments_are_named(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        forecasting.forecasting_windows(**kwargs)


def test_co2_splits_are_chronological_and_standardized_on_train():
    monthly = forecasting.co2_monthly()
    assert monthly.shape == (526,) and np.all(np.isfinite(monthly))
    # Mauna Loa: about 315 ppm in 1958, about 370 ppm in 2001.
    assert 310 < monthly[0] < 320 and 365 < monthly[-1] < 375
    mean, scale = forecasting.co2_scale()
    info = data.dataset_info("co2")
    targets = {}
    for split, size in info.splits.items():
        examples = list(data.load("co2", split).as_numpy_iterator())
        assert len(examples) == size
        assert examples[0]["series"].shape == (forecasting.DEFAULT_WINDOW, 1)
        ppm = np.array([e["target"][0] for e in examples]) * scale + mean
        targets[split] = ppm
        # Each window ends with the month before its target.
        first = examples[1]
        np.testing.assert_allclose(
            first["series"][-1, 0], examples[0]["target"][0]
        )
    # Every month after the first window is predicted exactly once, in
    # order: train, then validation, then test.
    joined = np.concatenate(
        [targets[s] for s in ("train", "validation", "test")]
    )
    np.testing.assert_allclose(
        joined, monthly[forecasting.DEFAULT_WINDOW :], rtol=1e-5
    )
    train_values = monthly[: forecasting.split_bounds(526, "train")[1]]
    assert mean == pytest.approx(train_values.mean(), rel=1e-6)


def test_co2_pipeline_batches_windows_and_targets():
    batches = data.make_pipeline(
        "co2", "validation", batch_size=16, sequence_length=12
    )
    series, target = next(iter(batches))
    assert tuple(series.shape) == (16, 12, 1)
    assert tuple(target.shape) == (16, 1)
    window = next(iter(data.load("co2", "validation")))
    # The pipeline keeps the most recent steps of each window.
    np.testing.assert_allclose(series[0], window["series"][-12:])


def test_co2_ignores_a_data_dir_and_rejects_unknown_options():
    """One `--data-dir` serves every dataset of a zoo, bundled ones too."""
    with_dir = data.load("co2", "test", data_dir="/nonexistent")
    without = data.load("co2", "test")
    for a, b in zip(with_dir, without, strict=True):
        np.testing.assert_array_equal(a["target"], b["target"])
    with pytest.raises(TypeError, match="horizon"):
        data.load("co2", "train", horizon=3)
