"""Scheduled sampling (Bengio, Vinyals, Jaitly & Shazeer 2015): training a
teacher-forced decoder on its own predictions, more and more often.

At training step `i`, each target step of each sequence reads the true
previous token with probability `ε_i` and the model's own previous
prediction otherwise, `ε_i` decaying by one of the paper's schedules:

```
"linear":          ε_i = max(ε, k - c i)       (0 ≤ ε < 1, k ≤ 1, c > 0)
"exponential":     ε_i = k^i                   (0 < k < 1)
"inverse_sigmoid": ε_i = k / (k + exp(i / k))  (k ≥ 1)
"constant":        ε_i = 1 - probability
```

The prediction is the most probable token (`sampling="argmax"`) or a draw
from the model's distribution (`"sample"`); padding is never predicted. A
zoo config sets it in its training recipe:

```yaml
training:
  scheduled_sampling: {schedule: inverse_sigmoid, k: 2000, sampling: sample}
```

An `EncoderDecoderModel` trained with `set_scheduled_sampling(...)` runs its
decoder step by step in `fit` (`TokenDecoder` reads the probability through
`feeding_scope`); evaluation, prediction and generation are unchanged.
"""

import math

import keras
from keras import ops

from rnnzoo.models.feeding import SAMPLING
from rnnzoo.models.feeding import feeding_scope
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_int
from rnnzoo.validation import fail
from rnnzoo.validation import is_number

SCHEDULES = ("linear", "exponential", "inverse_sigmoid", "constant")

# The arguments each schedule takes, beside `sampling` and `seed`, with
# their defaults (`None`: required).
_SCHEDULE_ARGUMENTS = {
    "linear": {"k": 1.0, "c": None, "epsilon": 0.0},
    "exponential": {"k": None},
    "inverse_sigmoid": {"k": None},
    "constant": {"probability": None},
}


def _check_range(name, value, low, high, low_open=False, high_open=False):
    bad = not is_number(value) or not math.isfinite(value)
    if not bad:
        bad = (value <= low if low_open else value < low) or (
            value >= high if high_open else value > high
        )
    if bad:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        fail(name, f"a number in {left}{low:g}, {high:g}{right}", value)
    return float(value)


class ScheduledSampling:
    """A scheduled-sampling recipe: the decay of the probability of
    feeding the truth, and how the model's own token is chosen.

    Args:
        schedule: `"linear"`, `"exponential"`, `"inverse_sigmoid"` or
            `"constant"` (see the module docstring). Default
            `"inverse_sigmoid"`.
        k: The schedule's `k`: for `"linear"` the starting probability of
            the truth, in `(0, 1]` (default 1); for `"exponential"` the
            decay factor per step, in `(0, 1)`; for `"inverse_sigmoid"` the
            steps' scale, at least 1 (the truth's probability is one half
            near step `k ln k`).
        c: For `"linear"`, the decrease per training step, positive.
        epsilon: For `"linear"`, the least probability of the truth, in
            `[0, 1)`. Default 0.
        probability: For `"constant"`, the probability of feeding the
            model's own prediction, in `[0, 1]`.
        sampling: `"argmax"` (default) feeds the most probable token,
            `"sample"` a token drawn from the model's distribution.
        seed: Integer seed of the draws; each training step draws anew.

    Example:

    >>> recipe = ScheduledSampling("inverse_sigmoid", k=10)
    >>> round(float(recipe.sampling_probability(0)), 4)
    0.0909
    >>> round(float(recipe.sampling_probability(50)), 4)
    0.9369
    >>> ScheduledSampling.from_config({"schedule": "exponential", "k": 1.5})
    Traceback (most recent call last):
    ...
    ValueError: `k` must be a number in (0, 1), got k=1.5
    """

    def __init__(
        self,
        schedule: str = "inverse_sigmoid",
        k: float | None = None,
        c: float | None = None,
        epsilon: float | None = None,
        probability: float | None = None,
        sampling: str = "argmax",
        seed: int = 0,
    ):
        self.schedule = check_choice("schedule", schedule, SCHEDULES)
        given = {"k": k, "c": c, "epsilon": epsilon, "probability": probability}
        accepted = _SCHEDULE_ARGUMENTS[schedule]
        for name, value in given.items():
            if value is not None and name not in accepted:
                raise ValueError(
                    f"`{name}` is no argument of the {schedule!r} schedule, "
                    f"which takes {sorted(accepted)}; got {name}={value!r}"
                )
            if value is None and name in accepted:
                if accepted[name] is None:
                    raise ValueError(
                        f"The {schedule!r} schedule needs `{name}`, got "
                        f"{name}=None"
                    )
                given[name] = accepted[name]
        if schedule == "linear":
            self.k = _check_range("k", given["k"], 0.0, 1.0, low_open=True)
            self.c = _check_range("c", given["c"], 0.0, math.inf, True, True)
            self.epsilon = _check_range(
                "epsilon", given["epsilon"], 0.0, 1.0, high_open=True
            )
        elif schedule == "exponential":
            self.k = _check_range("k", given["k"], 0.0, 1.0, True, True)
        elif schedule == "inverse_sigmoid":
            self.k = _check_range("k", given["k"], 1.0, math.inf, False, True)
        else:
            self.probability = _check_range(
                "probability", given["probability"], 0.0, 1.0
            )
        self.sampling = check_choice("sampling", sampling, SAMPLING)
        self.seed = check_int("seed", seed)

    def truth_probability(self, step):
        """`ε_i`: the probability of feeding the true token at training
        step `step` (counted from 0), a float32 scalar tensor."""
        i = ops.cast(step, "float32")
        if self.schedule == "linear":
            return ops.maximum(self.epsilon, self.k - self.c * i)
        if self.schedule == "exponential":
            # k^i through a logarithm: no overflow of an integer power.
            return ops.exp(i * math.log(self.k))
        if self.schedule == "inverse_sigmoid":
            # k / (k + exp(i / k)) = sigmoid(ln k - i / k), which never
            # overflows.
            return ops.sigmoid(math.log(self.k) - i / self.k)
        return ops.convert_to_tensor(1.0 - self.probability, "float32")

    def sampling_probability(self, step):
        """`1 - ε_i`: the probability of feeding the model's own
        prediction at training step `step`."""
        return 1.0 - self.truth_probability(step)

    def get_config(self) -> dict:
        config = {"schedule": self.schedule}
        for name in _SCHEDULE_ARGUMENTS[self.schedule]:
            config[name] = getattr(self, name)
        return {**config, "sampling": self.sampling, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict) -> "ScheduledSampling":
        """The recipe of a config's `training.scheduled_sampling` mapping;
        an unknown key raises a `ValueError` that lists the known ones."""
        if isinstance(config, cls):
            return config
        if not isinstance(config, dict):
            fail("scheduled_sampling", "a mapping", config)
        known = ("schedule", "k", "c", "epsilon", "probability")
        known += ("sampling", "seed")
        unknown = sorted(set(config) - set(known))
        if unknown:
            raise ValueError(
                f"Unknown scheduled-sampling keys {unknown}; expected some "
                f"of {list(known)}"
            )
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(
            f"{k}={v!r}" for k, v in self.get_config().items()
        )
        return f"ScheduledSampling({arguments})"


class ScheduledSamplingTraining:
    """Mixin of a `keras.Model` with a `TokenDecoder`: `train_step` runs the
    decoder with scheduled sampling once `set_scheduled_sampling` is
    called, its probability read from `optimizer.iterations` (so it follows
    the training step inside a compiled, XLA or distributed train step and
    resumes with the optimizer)."""

    scheduled_sampling = None

    def set_scheduled_sampling(self, recipe) -> None:
        """Trains with scheduled sampling from the next `fit` on.

        Args:
            recipe: A `ScheduledSampling`, its config (a config's
                `training.scheduled_sampling` mapping), or `None` for plain
                teacher forcing.
        """
        if recipe is not None:
            recipe = ScheduledSampling.from_config(recipe)
        self.scheduled_sampling = recipe
        # The next `fit` traces a train step that reads the new recipe.
        self.train_function = None

    def _training_iteration(self, args):
        """The optimizer's step count in the train step being traced.

        JAX's train step is stateless: it receives the optimizer's
        variables in its `state` (its first argument) rather than reading
        them, so the count is read from there.
        """
        iterations = self.optimizer.iterations
        if keras.backend.backend() != "jax":
            return iterations
        optimizer_values = args[0][2]
        for variable, value in zip(self.optimizer.variables, optimizer_values):
            if variable is iterations:
                return value
        raise ValueError("The optimizer's `iterations` is not in its state")

    def train_step(self, *args, **kwargs):
        recipe = self.scheduled_sampling
        if recipe is None:
            return super().train_step(*args, **kwargs)
        iteration = ops.cast(self._training_iteration(args), "int32")
        seed = ops.stack(
            [ops.convert_to_tensor(recipe.seed, "int32"), iteration]
        )
        probability = recipe.sampling_probability(iteration)
        with feeding_scope(probability, recipe.sampling, seed):
            return super().train_step(*args, **kwargs)
