"""Training-step speed of rnnzoo's layers on JAX, against `keras.layers.LSTM`
on JAX and a hand-written `lax.scan` LSTM (and `torch.nn.LSTM` where PyTorch
is installed).

Run it with `python -m benchmarks.run --backend jax`: it needs no
TensorFlow, and imports none. Every candidate maps `(batch, steps,
features)` float32 inputs to its last output `(batch, units)`; the training
step (mean squared error to a fixed random target, gradients, an Adam
update) is one `jax.jit` function, the same for every candidate but the
forward pass: Keras layers run through `stateless_call`, the `lax.scan`
LSTM is plain JAX (`benchmarks.lax_lstm`). Each timed call runs
`STEPS_PER_CALL` training steps; timings and ratios are taken as in the
TensorFlow suite (`benchmarks.timing`: interleaved rounds, ratios within a
round).
"""

import csv
import dataclasses
import os
import platform
import time

import jax
import keras
import numpy as np
from jax import numpy as jnp

from benchmarks import timing
from benchmarks.candidates import RNNZOO_LAYERS
from benchmarks.candidates import Size
from benchmarks.lax_lstm import lstm_last_output
from benchmarks.lax_lstm import lstm_parameters
from rnnzoo.layers import get_recurrent_layer

KERAS_LSTM = "keras/lstm"
LAX_LSTM = "lax.scan/lstm"
TORCH_LSTM = "torch/lstm"

# Targets: an rnnzoo layer's training step against each baseline.
TARGETS = {KERAS_LSTM: 1.0, LAX_LSTM: 1.3}

STEPS_PER_CALL = 3
LEARNING_RATE = 1e-3


@dataclasses.dataclass
class Row:
    """One candidate at one size: median time and ratios to the
    baselines."""

    size: str
    candidate: str
    fused: bool
    median_ms: float
    ratios: dict


def adam_update(parameters, gradients, state):
    """One Adam step (Keras's defaults), on pytrees of arrays."""
    step, first, second = state
    step = step + 1
    first = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, first, gradients)
    second = jax.tree.map(
        lambda v, g: 0.999 * v + 0.001 * g * g, second, gradients
    )
    scale = LEARNING_RATE * jnp.sqrt(1 - 0.999**step) / (1 - 0.9**step)
    parameters = jax.tree.map(
        lambda p, m, v: p - scale * m / (jnp.sqrt(v) + 1e-7),
        parameters,
        first,
        second,
    )
    return parameters, (step, first, second)


def training_steps(loss, parameters, inputs, target):
    """A callable that runs `STEPS_PER_CALL` jitted training steps of
    `loss(parameters, inputs, target)` and returns the last loss."""

    def train_step(parameters, state, inputs, target):
        value, gradients = jax.value_and_grad(loss)(parameters, inputs, target)
        parameters, state = adam_update(parameters, gradients, state)
        return parameters, state, value

    train_step = jax.jit(train_step, donate_argnums=(0, 1))
    # Donated buffers must be distinct: two sets of zeros, not one twice.
    first, second = (jax.tree.map(jnp.zeros_like, parameters) for _ in "mv")
    carry = {"parameters": parameters, "state": (0, first, second)}

    def run():
        for _ in range(STEPS_PER_CALL):
            carry["parameters"], carry["state"], value = train_step(
                carry["parameters"], carry["state"], inputs, target
            )
        return value

    return run


def keras_layer_steps(layer, inputs, target):
    layer.build(inputs.shape)
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def loss(parameters, inputs, target):
        outputs, _ = layer.stateless_call(parameters, non_trainable, inputs)
        return jnp.mean(jnp.square(outputs - target))

    parameters = [jnp.array(v.value) for v in layer.trainable_variables]
    return training_steps(loss, parameters, inputs, target)


def lax_lstm_steps(size, inputs, target):
    def loss(parameters, inputs, target):
        outputs = lstm_last_output(parameters, inputs)
        return jnp.mean(jnp.square(outputs - target))

    parameters = lstm_parameters(size.features, size.units)
    return training_steps(loss, parameters, inputs, target)


def torch_lstm_steps(size, inputs, target):
    """`torch.nn.LSTM` on a GPU (cuDNN), or `None` without PyTorch or a
    GPU: on a CPU shared with JAX, PyTorch's and XLA's thread pools contend
    and the ratio says little."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    device = "cuda"
    lstm = torch.nn.LSTM(size.features, size.units, batch_first=True)
    lstm = lstm.to(device)
    optimizer = torch.optim.Adam(lstm.parameters(), lr=LEARNING_RATE)
    x = torch.tensor(np.asarray(inputs), device=device)
    y = torch.tensor(np.asarray(target), device=device)

    def run():
        for _ in range(STEPS_PER_CALL):
            optimizer.zero_grad()
            _, (h, _) = lstm(x)
            value = torch.mean(torch.square(h[-1] - y))
            value.backward()
            optimizer.step()
        return value.item()

    return run


def candidate_steps(size: Size, names=RNNZOO_LAYERS):
    """`({candidate: run}, {candidate: whether it runs fused})`."""
    rng = np.random.default_rng(0)
    inputs = jnp.asarray(
        rng.normal(size=(size.batch, size.steps, size.features)), "float32"
    )
    target = jnp.asarray(rng.normal(size=(size.batch, size.units)), "float32")
    keras.utils.set_random_seed(0)
    runs = {
        KERAS_LSTM: keras_layer_steps(
            keras.layers.LSTM(size.units), inputs, target
        ),
        LAX_LSTM: lax_lstm_steps(size, inputs, target),
    }
    fused = {KERAS_LSTM: False, LAX_LSTM: False}
    torch_run = torch_lstm_steps(size, inputs, target)
    if torch_run is not None:
        runs[TORCH_LSTM], fused[TORCH_LSTM] = torch_run, False
    for name in names:
        layer = get_recurrent_layer(name, size.units)
        runs[name] = keras_layer_steps(layer, inputs, target)
        uses_fused = getattr(layer, "uses_fused_recurrence", None)
        fused[name] = bool(uses_fused and uses_fused(None))
    return runs, fused


def time_size(size: Size, repeats: int, names=RNNZOO_LAYERS) -> list[Row]:
    runs, fused = candidate_steps(size, names)
    times = timing.interleaved_times(runs, repeats=repeats)
    baselines = [b for b in (KERAS_LSTM, LAX_LSTM, TORCH_LSTM) if b in times]
    return [
        Row(
            size=size.name,
            candidate=name,
            fused=fused[name],
            median_ms=1000 * timing.median(times[name]) / STEPS_PER_CALL,
            ratios={
                baseline: timing.paired_ratio(times[name], times[baseline])
                for baseline in baselines
            },
        )
        for name in runs
    ]


def machine_name() -> str:
    """`<platform>-...`: `cpu-<n>core` or the accelerator's kind."""
    device = jax.devices()[0]
    if device.platform == "cpu":
        return f"cpu-{os.cpu_count()}core"
    kind = device.device_kind.lower().replace(" ", "-")
    return f"{device.platform}-{kind}"


def target_checks(rows: list[Row]) -> list[str]:
    """One line per rnnzoo layer, size and target: met or missed."""
    lines = []
    for row in rows:
        if row.candidate not in RNNZOO_LAYERS:
            continue
        for baseline, limit in TARGETS.items():
            ratio = row.ratios[baseline]
            verdict = "met" if ratio <= limit else "**missed**"
            lines.append(
                f"- {row.size}, `{row.candidate}` ≤ {limit:.1f}× "
                f"`{baseline}`: {ratio:.2f}× — {verdict}"
            )
    return lines


def write_results(rows, sizes, command, output_dir, machine, partial):
    """Writes `<machine>-jax.md` and `.csv` in `output_dir`."""
    base = os.path.join(output_dir, f"{machine}-jax")
    baselines = [b for b in (KERAS_LSTM, LAX_LSTM, TORCH_LSTM)]
    baselines = [b for b in baselines if rows and b in rows[0].ratios]
    device = jax.devices()[0]
    lines = [
        f"# rnnzoo on JAX: training step, {machine}",
        "",
        f"`{command}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"JAX {jax.__version__}, Keras {keras.__version__}, device "
        f"{device.device_kind} ({device.platform}), "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU cores. {STEPS_PER_CALL} training steps per "
        "timed call; ratios are medians over rounds of within-round ratios "
        "(see `benchmarks/README.md`).",
        "",
    ]
    if partial:
        lines += ["**Partial results**: the run has not finished.", ""]
    lines += ["## Targets", "", *target_checks(rows), ""]
    for size in sizes:
        lines += [
            f"## {size.name}: {size.describe()}",
            "",
            "| candidate | fused | ms / step | "
            + " | ".join(f"× `{b}`" for b in baselines)
            + " |",
            "|---|---|---|" + "---|" * len(baselines),
        ]
        for row in rows:
            if row.size != size.name:
                continue
            lines.append(
                f"| `{row.candidate}` | {'yes' if row.fused else ''} | "
                f"{row.median_ms:.2f} | "
                + " | ".join(f"{row.ratios[b]:.3g}" for b in baselines)
                + " |"
            )
        lines.append("")
    with open(base + ".md", "w") as markdown:
        markdown.write("\n".join(lines))
    with open(base + ".csv", "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(
            ["size", "candidate", "fused", "median_ms"]
            + [f"ratio_{b}" for b in baselines]
        )
        for row in rows:
            writer.writerow(
                [row.size, row.candidate, row.fused, f"{row.median_ms:.4f}"]
                + [f"{row.ratios[b]:.4f}" for b in baselines]
            )
    return base + ".md", base + ".csv"


def main(sizes, repeats, output_dir, machine=None, command="", log=print):
    """Times every size; returns the paths of the results files."""
    machine = machine or machine_name()
    os.makedirs(output_dir, exist_ok=True)
    rows, paths = [], None
    for size in sizes:
        log(f"jax layers: {size.name}")
        rows += time_size(size, repeats)
        paths = write_results(
            rows, sizes, command, output_dir, machine, partial=True
        )
    paths = write_results(
        rows, sizes, command, output_dir, machine, partial=False
    )
    return paths
