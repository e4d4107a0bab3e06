"""One-step-ahead forecasting: windows of a series and the value after each.

The Mauna Loa CO2 record ships inside `statsmodels`; `load_co2` turns it
into `{"series": float32 (window, 1), "target": float32 (1,)}` examples.
`forecasting_windows` does the same for any 1-D series.
"""

import numpy as np
import tensorflow as tf

from rnnzoo.data.files import reject_options

CO2_SOURCE = (
    "the `statsmodels` package (pip install statsmodels; bundled, no "
    "download): statsmodels.datasets.co2, the Mauna Loa weekly record "
    "1958-2001 (Keeling and Whorf)"
)
# Chronological: a forecaster is judged on the months after those it saw.
CO2_SPLIT_FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}
DEFAULT_WINDOW = 48


def forecasting_windows(values, window: int, first_target: int = None):
    """Sliding windows over a 1-D series and the value after each one.

    Args:
        values: The series, 1-D.
        window: Steps per input window, a positive integer.
        first_target: Index of the first value to predict (default
            `window`); the windows before it may reach back into earlier
            values, so a later split keeps its full context.

    Returns:
        `(series, targets)`: float32 arrays `(n, window, 1)` and `(n, 1)`,
        where `targets[i] = values[t]` and `series[i] = values[t - window :
        t]` for `t = first_target + i`.

    Example:

    >>> series, targets = forecasting_windows(np.arange(6.0), 3)
    >>> series[:, :, 0].tolist(), targets[:, 0].tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [3.0, 4.0, 5.0])
    """
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 1:
        raise ValueError(
            f"`values` must be a 1-D series, got shape {values.shape}"
        )
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(
            f"`window` must be a positive integer, got window={window!r}"
        )
    first_target = window if first_target is None else first_target
    if first_target < window:
        raise ValueError(
            f"`first_target` must be at least `window` ({window}) so that "
            f"every window is complete, got first_target={first_target}"
        )
    targets = np.arange(first_target, len(values))
    offsets = np.arange(-window, 0)
    series = values[targets[:, None] + offsets[None, :]]
    return series[..., None], values[targets][:, None]


def co2_monthly() -> np.ndarray:
    """The Mauna Loa CO2 record as monthly means in ppm, 1958-03 to
    2001-12 (526 months; the few months without a measurement are
    interpolated linearly)."""
    try:
        from statsmodels.datasets import co2
    except ImportError as error:
        raise ImportError(
            "co2 is read from the `statsmodels` package: pip install "
            "statsmodels (or pip install 'rnnzoo[data]')."
        ) from error
    weekly = co2.load_pandas().data["co2"]
    return weekly.resample("MS").mean().interpolate().to_numpy(np.float32)


def split_bounds(length: int, split: str) -> tuple[int, int]:
    """`(start, end)` of a chronological split of `length` steps."""
    if split not in CO2_SPLIT_FRACTIONS:
        raise ValueError(
            f"`split` must be one of {list(CO2_SPLIT_FRACTIONS)}, got "
            f"split={split!r}"
        )
    train_end = round(length * CO2_SPLIT_FRACTIONS["train"])
    validation_end = train_end + round(
        length * CO2_SPLIT_FRACTIONS["validation"]
    )
    return {
        "train": (0, train_end),
        "validation": (train_end, validation_end),
        "test": (validation_end, length),
    }[split]


def load_co2(
    split: str, data_dir=None, window: int = DEFAULT_WINDOW, **options
) -> tf.data.Dataset:
    """Loads the Mauna Loa CO2 record as one-step-ahead forecasting windows.

    The monthly series is standardized with the mean and standard deviation
    of the training months (so a model sees unit-scale numbers; multiply by
    `co2_scale()[1]` to get ppm back) and split chronologically: the first
    80% of the months are train, the next 10% validation, the last 10%
    test. A split's examples predict each of its own months from the
    `window` months before it, which may lie in the previous split.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: Ignored: the record comes with `statsmodels`. Accepted
            so that one `--data-dir` serves every dataset of a zoo.
        window: Months per input window.

    Returns:
        A dataset of `{"series": float32 (window, 1), "target": float32
        (1,)}`.
    """
    reject_options("co2", options)
    del data_dir  # Bundled with statsmodels; no local files.
    monthly = co2_monthly()
    mean, scale = co2_scale(monthly)
    start, end = split_bounds(len(monthly), split)
    standardized = (monthly[:end] - mean) / scale
    series, targets = forecasting_windows(
        standardized, window, first_target=max(start, window)
    )
    return tf.data.Dataset.from_tensor_slices(
        {"series": series, "target": targets}
    )


def co2_scale(monthly=None) -> tuple[float, float]:
    """`(mean, std)` in ppm of the training months of the CO2 record."""
    monthly = co2_monthly() if monthly is None else monthly
    start, end = split_bounds(len(monthly), "train")
    train = monthly[start:end]
    return float(train.mean()), float(train.std())
