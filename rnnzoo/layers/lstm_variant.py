"""What LSTM variants share: a cell state, a forget gate and peepholes."""

from rnnzoo.layers.base import ForgetGateBias
from rnnzoo.layers.base import GatedRecurrentCell
from rnnzoo.layers.weight_options import set_weight_options
from rnnzoo.layers.weight_options import weight_options_config


class LSTMVariantCell(ForgetGateBias, GatedRecurrentCell):
    """Base of the LSTM variants: states `[h, c]`, forget-gate bias, peepholes.

    A subclass sets `forget_gate_index`, the position of the forget gate among
    its gate blocks, and creates its peepholes with `add_peepholes()`.

    Args:
        units: Positive integer, dimensionality of the output space.
        unit_forget_bias: Whether the forget-gate bias starts at one
            (Jozefowicz et al. 2015). Default `True`.
        peephole_initializer: Initializer of the peephole vectors. Default
            `"glorot_uniform"`, as TensorFlow's former `PeepholeLSTMCell`.
        peephole_regularizer: Regularizer of the peephole vectors.
        peephole_constraint: Constraint of the peephole vectors.
        **kwargs: Arguments of `GatedRecurrentCell`.
    """

    def __init__(
        self,
        units,
        unit_forget_bias=True,
        peephole_initializer="glorot_uniform",
        peephole_regularizer=None,
        peephole_constraint=None,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        set_weight_options(
            self,
            "peephole",
            peephole_initializer,
            peephole_regularizer,
            peephole_constraint,
        )
        self.state_size = [units, units]

    def add_peepholes(self, *gate_names):
        """Creates one `(units,)` peephole `<gate>_peephole` per gate name."""
        for gate_name in gate_names:
            peephole = self.add_unit_vector(
                f"{gate_name}_peephole",
                self.peephole_initializer,
                self.peephole_regularizer,
                self.peephole_constraint,
            )
            setattr(self, f"{gate_name}_peephole", peephole)

    def get_config(self):
        return {
            **super().get_config(),
            "unit_forget_bias": self.unit_forget_bias,
            **weight_options_config(self, "peephole"),
        }
