"""The options of a layer's weights: an initializer, a regularizer and a
constraint per group of weights, set up, used and serialized in one place.

A group is named by the prefix of its constructor arguments, as in Keras:
`"kernel"` for `kernel_initializer`, `kernel_regularizer` and
`kernel_constraint`; `"recurrent"` for those of `recurrent_kernel`, and so on.
"""

import keras
from keras import activations
from keras import constraints
from keras import initializers
from keras import regularizers

from rnnzoo.validation import check_positive_int

# The three options of a group, each with the Keras module that reads
# (`get`) and writes (`serialize`) it.
OPTION_KINDS = {
    "initializer": initializers,
    "regularizer": regularizers,
    "constraint": constraints,
}

# The groups of the three weights of a Keras-style cell.
STANDARD_GROUPS = ("kernel", "recurrent", "bias")


def set_weight_options(
    layer, group, initializer, regularizer=None, constraint=None
):
    """Sets `layer.<group>_initializer`, `_regularizer` and `_constraint`
    from their identifiers (strings, configs or objects)."""
    values = {
        "initializer": initializer,
        "regularizer": regularizer,
        "constraint": constraint,
    }
    for kind, module in OPTION_KINDS.items():
        setattr(layer, f"{group}_{kind}", module.get(values[kind]))


def weight_options_config(layer, *groups, kinds=tuple(OPTION_KINDS)):
    """The `get_config()` entries of the `groups`' options: all initializers
    first, then all regularizers, then all constraints, as Keras orders
    them."""
    return {
        f"{group}_{kind}": OPTION_KINDS[kind].serialize(
            getattr(layer, f"{group}_{kind}")
        )
        for kind in kinds
        for group in groups
    }


def add_weight_with_options(layer, name, shape, group, initializer=None):
    """Adds the weight `name` with the options of `group`; `initializer`
    replaces the group's own (e.g. a bias with a forget-gate block)."""
    if initializer is None:
        initializer = getattr(layer, f"{group}_initializer")
    return layer.add_weight(
        shape=shape,
        name=name,
        initializer=initializer,
        regularizer=getattr(layer, f"{group}_regularizer"),
        constraint=getattr(layer, f"{group}_constraint"),
    )


class StandardWeightsLayer(keras.layers.Layer):
    """Base of the cells with `kernel`, `recurrent_kernel` and `bias`: their
    width, activation and the options of the three weights, as Keras's
    cells take them.

    A subclass creates the weights in `build()` with
    `add_standard_weights()`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate and output. Default `"tanh"`.
        use_bias: Whether the cell adds a bias vector. Default `True`.
        kernel_initializer, recurrent_initializer, bias_initializer:
            Initializers of `kernel`, `recurrent_kernel` and `bias`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers of the three weights.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints of the three weights.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        check_positive_int("units", units)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        weights = (
            (
                "kernel",
                kernel_initializer,
                kernel_regularizer,
                kernel_constraint,
            ),
            (
                "recurrent",
                recurrent_initializer,
                recurrent_regularizer,
                recurrent_constraint,
            ),
            ("bias", bias_initializer, bias_regularizer, bias_constraint),
        )
        for group, initializer, regularizer, constraint in weights:
            set_weight_options(
                self, group, initializer, regularizer, constraint
            )
        self.state_size = [units]
        self.output_size = units

    def bias_initializer_for_build(self):
        """The initializer `build()` uses for the whole `bias` vector."""
        return self.bias_initializer

    def add_standard_weights(self, input_dim, gate_width, recurrent_rows):
        """Creates `kernel` `(input_dim, gate_width)`, `recurrent_kernel`
        `(recurrent_rows, gate_width)` (`None` for a cell without one) and,
        with `use_bias`, `bias` `(gate_width,)`, in that order."""
        self.kernel = add_weight_with_options(
            self, "kernel", (input_dim, gate_width), "kernel"
        )
        self.recurrent_kernel = None
        if recurrent_rows is not None:
            self.recurrent_kernel = add_weight_with_options(
                self,
                "recurrent_kernel",
                (recurrent_rows, gate_width),
                "recurrent",
            )
        self.bias = None
        if self.use_bias:
            self.bias = add_weight_with_options(
                self,
                "bias",
                (gate_width,),
                "bias",
                initializer=self.bias_initializer_for_build(),
            )

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **weight_options_config(self, *STANDARD_GROUPS),
        }
        return {**super().get_config(), **config}
