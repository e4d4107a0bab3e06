"""What the layer benchmarks compare: sizes, candidates and their models.

Every candidate is a model from `(batch, steps, features)` inputs to a
`(batch, width)` output, trained with the same loss (mean squared error to a
fixed random target), the same optimizer (Adam) and the same float32 data:

* `rnnzoo`: every rnnzoo sequence layer of the cell registry
  (`rnnzoo.layers.cell_names(keras_cells=False)`), default options,
* `keras`: `keras.layers.LSTM` and `keras.layers.GRU`, the built-in
  baselines (on CPU they run Keras's generic loop; cuDNN is GPU-only),
* `textbook`: the same cell written as users do (one matmul per gate, run by
  `keras.layers.RNN`, see `benchmarks.textbook`),
* `matmul`: plain matmuls with the matmul FLOPs of a recurrent layer, the
  limit of the machine (see `MatmulBaseline`).

The recurrent layers return their last output (`return_sequences=False`).
"""

import collections.abc
import dataclasses
import functools
from typing import Callable

import keras
from keras import ops

from benchmarks.textbook import textbook_layer
from rnnzoo.layers import cell_names
from rnnzoo.layers import get_cell
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.layers import is_keras_cell


@dataclasses.dataclass(frozen=True)
class Size:
    """A benchmark size: the input `(batch, steps, features)` and `units`."""

    name: str
    batch: int
    steps: int
    features: int
    units: int

    def describe(self) -> str:
        return (
            f"batch {self.batch}, {self.steps} steps, {self.features} "
            f"features, {self.units} units"
        )


SIZES = {
    # Per-step overhead dominates.
    "small": Size("small", batch=32, steps=200, features=32, units=64),
    # Matmuls dominate.
    "large": Size("large", batch=64, steps=100, features=128, units=256),
    # For `--quick` smoke runs only.
    "tiny": Size("tiny", batch=4, steps=6, features=3, units=5),
}

# The registered Keras cells every rnnzoo layer is compared with.
KERAS_BASELINES = ("lstm", "gru")


def registered_rnnzoo_layers() -> tuple[str, ...]:
    """Every rnnzoo cell of the registry (Keras's own are baselines)."""
    return tuple(cell_names(keras_cells=False))


RNNZOO_LAYERS = registered_rnnzoo_layers()


@functools.cache
def matmul_shape(family: str) -> tuple[int, int]:
    """`(G, R)`: the per-step matmul of the registered cell `family`
    multiplies `(batch, R * units)` by `(R * units, G * units)`.

    Read from the cell's own weights (default options): `G` gate blocks,
    the width of `kernel` in units, and `R` state blocks fed back, from the
    size of its recurrent matrices (every 2-D weight but `kernel` and
    `bias`); e.g. the skip RNN (skip 2) multiplies h_{t-1} by U and h_{t-2}
    by S, two `(units, units)` matmuls: `(1, 2)`.
    """
    units = 2
    cell = get_cell(family, units)
    cell.build((None, 1))
    gates = cell.kernel.shape[-1] // units
    recurrent_size = sum(
        weight.shape[0] * weight.shape[1]
        for weight in cell.weights
        if len(weight.shape) == 2 and weight.name not in ("kernel", "bias")
    )
    return gates, recurrent_size // (gates * units * units)


class _MatmulShapes(collections.abc.Mapping):
    """`{family: matmul_shape(family)}` for every candidate family, in
    candidate order, computed on use: reading a cell's weights starts
    TensorFlow, which importing this module must not (`benchmarks.cores`
    sets TensorFlow's threads after importing it)."""

    def __getitem__(self, family):
        if family not in _families():
            raise KeyError(family)
        return matmul_shape(family)

    def __iter__(self):
        return iter(_families())

    def __len__(self):
        return len(_families())


def _families() -> tuple[str, ...]:
    return (*KERAS_BASELINES, *registered_rnnzoo_layers())


# Candidate family -> `(G, R)`, for the matmul baselines.
MATMUL_SHAPES = _MatmulShapes()


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One thing to time.

    Attributes:
        name: Unique name, e.g. `"peephole_lstm"` or `"textbook/mgu"`.
        kind: `"rnnzoo"`, `"keras"`, `"textbook"` or `"matmul"`.
        family: The cell family it implements or matches (`"lstm"`, `"gru"`
            or an rnnzoo name); the matmul baseline of a family has the same
            matmul FLOPs.
        build: `build(size) -> keras.Model`.
    """

    name: str
    kind: str
    family: str
    build: Callable[[Size], keras.Model]


class MatmulBaseline(keras.layers.Layer):
    """The matmuls of a recurrent layer as two large matmuls.

    A recurrent layer with `G` gate blocks computes, over all steps,
    `X W` (`X` `(batch * steps, features)`, `W` `(features, G * units)`) and
    `H U` (`H` `(batch * steps, R * units)` the states fed back, `U`
    `(R * units, G * units)`); its gradient adds `X^T dZ`, `H^T dZ` and
    `dZ U^T`. This layer computes exactly those matmuls, each as one large
    matmul: `H` is a fixed input whose gradient is computed too, as the
    recurrent layer computes the gradient of its states. Nothing else (no
    activation, no time loop), so its time is what the machine needs for
    the layer's FLOPs.
    """

    def __init__(self, units, gates, recurrent_inputs, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.gates = gates
        self.recurrent_inputs = recurrent_inputs

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width), name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.recurrent_inputs * self.units, width),
            name="recurrent_kernel",
        )

    def call(self, inputs, states):
        features = ops.shape(inputs)[-1]
        inputs = ops.reshape(inputs, (-1, features))
        return ops.matmul(inputs, self.kernel) + ops.matmul(
            states, self.recurrent_kernel
        )


def matmul_states(size: Size, family: str):
    """The fixed `H` of the matmul baseline of `family`."""
    _, recurrent_inputs = matmul_shape(family)
    return keras.random.normal(
        (size.batch * size.steps, recurrent_inputs * size.units), seed=1
    )


def _recurrent_model(layer_factory):
    def build(size: Size) -> keras.Model:
        inputs = keras.Input((size.steps, size.features), batch_size=size.batch)
        return keras.Model(inputs, layer_factory(size)(inputs))

    return build


def _matmul_model(family):
    gates, recurrent_inputs = matmul_shape(family)

    def build(size: Size) -> keras.Model:
        inputs = keras.Input((size.steps, size.features), batch_size=size.batch)
        states = keras.Input(
            (recurrent_inputs * size.units,),
            batch_size=size.batch * size.steps,
        )
        layer = MatmulBaseline(size.units, gates, recurrent_inputs)
        return keras.Model([inputs, states], layer(inputs, states))

    return build


def _keras_candidate(family: str) -> Candidate:
    if not is_keras_cell(family):
        raise ValueError(
            f"a Keras baseline must be one of Keras's own cells, one of "
            f"{[n for n in cell_names() if is_keras_cell(n)]}; got {family!r}"
        )
    layer_class = type(get_recurrent_layer(family, 1))
    return Candidate(
        f"keras.{layer_class.__name__}",
        "keras",
        family,
        _recurrent_model(lambda s: get_recurrent_layer(family, s.units)),
    )


def candidates(rnnzoo_layers=None) -> list[Candidate]:
    """Every candidate, in report order.

    Args:
        rnnzoo_layers: The rnnzoo cell names to time; default: every rnnzoo
            cell of the registry (`registered_rnnzoo_layers()`).
    """
    if rnnzoo_layers is None:
        rnnzoo_layers = registered_rnnzoo_layers()
    result = [_keras_candidate(family) for family in KERAS_BASELINES]
    for name in rnnzoo_layers:
        result.append(
            Candidate(
                name,
                "rnnzoo",
                name,
                _recurrent_model(
                    lambda s, name=name: get_recurrent_layer(name, s.units)
                ),
            )
        )
    for name in rnnzoo_layers:
        result.append(
            Candidate(
                f"textbook/{name}",
                "textbook",
                name,
                _recurrent_model(
                    lambda s, name=name: textbook_layer(name, s.units)
                ),
            )
        )
    shapes_seen = set()
    for family in (*KERAS_BASELINES, *rnnzoo_layers):
        shape = matmul_shape(family)
        if shape in shapes_seen:
            continue
        shapes_seen.add(shape)
        gates, recurrent_inputs = shape
        result.append(
            Candidate(
                f"matmul/{gates}x{recurrent_inputs}",
                "matmul",
                family,
                _matmul_model(family),
            )
        )
    return result


def matmul_candidate_for(family: str, all_candidates) -> Candidate:
    """The matmul baseline with the FLOPs of `family`."""
    gates, recurrent_inputs = matmul_shape(family)
    name = f"matmul/{gates}x{recurrent_inputs}"
    return next(c for c in all_candidates if c.name == name)
