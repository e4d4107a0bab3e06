"""Echo state network, ESN (Jaeger 2001), as TensorFlow Addons' `ESNCell`:
a fixed random reservoir; only a read-out after it learns."""

import keras
import numpy as np
from keras import activations
from keras import initializers
from keras import ops

from rnnzoo.layers.keras_internals import DropoutRNNCell
from rnnzoo.layers.recurrent_layer import RecurrentLayer
from rnnzoo.layers.weight_options import STANDARD_GROUPS
from rnnzoo.layers.weight_options import weight_options_config
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_positive_number
from rnnzoo.validation import check_rate
from rnnzoo.validation import fail
from rnnzoo.validation import is_number


def check_fraction(name, value) -> float:
    """Returns `value` as a `float` in (0, 1]."""
    if not is_number(value) or not 0.0 < value <= 1.0:
        fail(name, "a float in (0, 1]", value)
    return float(value)


def scale_reservoir(weights, spectral_radius, use_norm2=False):
    """Scales the square matrix `weights` (NumPy) to `spectral_radius`.

    The spectral radius is the largest modulus of the eigenvalues; with
    `use_norm2`, the Frobenius norm `sqrt(Σ w²)` (an upper bound of the
    spectral radius, without an eigendecomposition) is scaled instead, as
    TFA does. A reservoir whose measure is zero (no weight kept, or a
    nilpotent pattern) is returned as it is.
    """
    weights = np.asarray(weights, dtype="float64")
    if use_norm2:
        measure = np.sqrt(np.sum(np.square(weights)))
    else:
        measure = np.max(np.abs(np.linalg.eigvals(weights)), initial=0.0)
    if measure == 0.0:
        return weights
    return weights * (spectral_radius / measure)


@keras.saving.register_keras_serializable(package="rnnzoo")
class ESNCell(keras.layers.Layer, DropoutRNNCell):
    """Cell of an echo state network: a fixed, sparse random reservoir.

    ```
    h_t = (1 − a) ⊙ h_{t-1} + a ⊙ act(x W + h_{t-1} U + b)
    ```

    with `a` the leaking rate `leaky`. None of the weights is trainable (the
    echo state idea: only a read-out placed after the layer, such as a
    `keras.layers.Dense`, learns), but the cell passes gradients to its
    inputs. The reservoir `U` is drawn once, in `build()`: from
    `recurrent_initializer`, each weight kept with probability
    `connectivity`, then scaled so that its spectral radius is
    `spectral_radius` (below one, the echo state property holds for
    `tanh`). Recurrent dropout applies to `h_{t-1}` in the matmul only.

    Weights (TFA's order, so `set_weights` takes the `get_weights()` of a
    TFA `ESNCell`): `recurrent_kernel` `(units, units)`, `kernel`
    `(input_dim, units)`, `bias` `(units,)`.

    Args:
        units: Positive integer, the size of the reservoir.
        connectivity: Float in (0, 1], the probability that a reservoir
            weight is non-zero. Default `0.1`.
        leaky: Float in (0, 1], the leaking rate `a`; `1` is no leaky
            integration. Default `1.0`.
        spectral_radius: Positive float, the spectral radius of the
            reservoir. Default `0.9`.
        use_norm2: Whether to scale the Frobenius norm of the reservoir to
            `spectral_radius` instead (an upper bound of its spectral radius,
            cheaper for large reservoirs). Default `False`.
        use_bias: Whether the cell adds a bias vector. Default `True`.
        activation: Activation of the reservoir. Default `"tanh"`.
        kernel_initializer: Initializer of `kernel`. Default
            `"glorot_uniform"`.
        recurrent_initializer: Initializer of the reservoir before
            sparsification and scaling. Default `"glorot_uniform"`.
        bias_initializer: Initializer of `bias`. Default `"zeros"`.
        dropout: Float in `[0, 1)`, fraction of the inputs to drop. The mask
            is drawn once per sequence. Default `0` (TFA has none).
        recurrent_dropout: Float in `[0, 1)`, fraction of the previous state
            to drop before the recurrent matmul. Default `0`.
        seed: Random seed of the reservoir's sparsity pattern and dropout.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[h]`, `(batch, units)`.
        training: Whether dropout is active.

    Example:

    >>> cell = ESNCell(50, connectivity=0.2, spectral_radius=0.8, seed=1)
    >>> outputs = keras.layers.RNN(cell)(np.ones((2, 6, 3), "float32"))
    >>> tuple(outputs.shape), len(cell.trainable_weights)
    ((2, 50), 0)
    >>> reservoir = ops.convert_to_numpy(cell.recurrent_kernel)
    >>> round(float(np.abs(np.linalg.eigvals(reservoir)).max()), 4)
    0.8
    """

    def __init__(
        self,
        units,
        connectivity=0.1,
        leaky=1.0,
        spectral_radius=0.9,
        use_norm2=False,
        use_bias=True,
        activation="tanh",
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        bias_initializer="zeros",
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        check_positive_int("units", units)
        super().__init__(**kwargs)
        self.units = units
        self.connectivity = check_fraction("connectivity", connectivity)
        self.leaky = check_fraction("leaky", leaky)
        self.spectral_radius = check_positive_number(
            "spectral_radius", spectral_radius
        )
        self.use_norm2 = check_bool("use_norm2", use_norm2)
        self.use_bias = use_bias
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.dropout = check_rate("dropout", dropout)
        self.recurrent_dropout = check_rate(
            "recurrent_dropout", recurrent_dropout
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [units]
        self.output_size = units

    def reservoir_initializer(self, shape, dtype=None):
        """The reservoir: `recurrent_initializer`'s weights, made sparse
        and scaled to the spectral radius (see `scale_reservoir`)."""
        weights = self.recurrent_initializer(shape, dtype=dtype)
        kept = keras.random.uniform(shape, seed=self.seed_generator)
        weights = ops.convert_to_numpy(weights) * (
            ops.convert_to_numpy(kept) < self.connectivity
        )
        scaled = scale_reservoir(weights, self.spectral_radius, self.use_norm2)
        return ops.convert_to_tensor(scaled, dtype=dtype)

    def build(self, input_shape):
        # Created in TFA's order, so `get_weights()` lists them as TFA does.
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            name="recurrent_kernel",
            initializer=self.reservoir_initializer,
            trainable=False,
        )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            trainable=False,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                trainable=False,
            )

    def project_inputs(self, inputs):
        """Returns `inputs W + b`, for one step or a whole sequence."""
        projected = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def recurrent_step(self, projected_inputs, states, training=False):
        """Advances one step from `project_inputs`; returns `(h, [h])`."""
        h_tm1 = states[0]
        h_dropped = h_tm1
        if training and self.recurrent_dropout > 0.0:
            h_dropped = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)
        update = self.activation(
            projected_inputs + ops.matmul(h_dropped, self.recurrent_kernel)
        )
        h = (1.0 - self.leaky) * h_tm1 + self.leaky * update
        return h, [h]

    def call(self, inputs, states, training=False):
        if training and self.dropout > 0.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        return self.recurrent_step(
            self.project_inputs(inputs), list(states), training=training
        )

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def get_config(self):
        config = {
            "units": self.units,
            "connectivity": self.connectivity,
            "leaky": self.leaky,
            "spectral_radius": self.spectral_radius,
            "use_norm2": self.use_norm2,
            "use_bias": self.use_bias,
            "activation": activations.serialize(self.activation),
            **weight_options_config(
                self, *STANDARD_GROUPS, kinds=("initializer",)
            ),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="rnnzoo")
class ESN(RecurrentLayer):
    """Echo state network layer (Jaeger 2001), as TFA's `ESNCell` in
    `keras.layers.RNN`.

    Runs `ESNCell` over a sequence, with the input projection taken out of
    the recurrent step. The layer has no trainable weights: put the
    read-out after it.

    Args:
        units: Positive integer, the size of the reservoir.
        **kwargs: Every argument of `ESNCell` (`connectivity`, `leaky`,
            `spectral_radius`, `use_norm2`, ...) and of `keras.layers.RNN`
            (`return_sequences`, `return_state`, `go_backwards`, `stateful`,
            `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[h]`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is active.

    Example:

    >>> model = keras.Sequential([keras.Input((10, 3)), ESN(32, leaky=0.5),
    ...                           keras.layers.Dense(1)])
    >>> [len(layer.trainable_weights) for layer in model.layers]
    [0, 2]
    """

    cell_class = ESNCell

    connectivity = property(lambda self: self.cell.connectivity)
    leaky = property(lambda self: self.cell.leaky)
    spectral_radius = property(lambda self: self.cell.spectral_radius)
    use_norm2 = property(lambda self: self.cell.use_norm2)
