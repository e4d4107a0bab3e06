"""Gate activations of the gated cells, from a cell's weights, its input
at every step and its states before every step. Each function works on
`(batch, steps, ...)` at once: the gates depend on the states, which are
already known, so no loop over time is needed."""

import keras
from keras import ops

from rnnzoo.layers.coupled_lstm import CoupledLSTMCell
from rnnzoo.layers.lstm_variant import LSTMVariantCell
from rnnzoo.layers.mgu import MGUCell
from rnnzoo.layers.peephole_lstm import PeepholeLSTMCell


def has_cell_state(cell) -> bool:
    """Whether the cell's second state is an LSTM cell state `c_t`."""
    return isinstance(cell, (keras.layers.LSTMCell, LSTMVariantCell))


def _keras_lstm(cell, inputs, states):
    """`keras.layers.LSTMCell`: gate blocks `[i, f, c, o]`."""
    h, c = states
    z = ops.matmul(inputs, cell.kernel) + ops.matmul(h, cell.recurrent_kernel)
    if cell.use_bias:
        z = z + cell.bias
    z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
    gate = cell.recurrent_activation
    return {
        "input": gate(z_i),
        "forget": gate(z_f),
        "candidate": cell.activation(z_c),
        "output": gate(z_o),
    }


def _keras_gru(cell, inputs, states):
    """`keras.layers.GRUCell`: gate blocks `[z, r, h]`; with `reset_after`
    the reset gate scales `h U_h + b_h` instead of `h`."""
    h = states[0]
    units = cell.units
    input_bias = recurrent_bias = 0.0
    if cell.use_bias:
        if cell.reset_after:
            input_bias, recurrent_bias = cell.bias[0], cell.bias[1]
        else:
            input_bias = cell.bias
    x_z, x_r, x_h = ops.split(
        ops.matmul(inputs, cell.kernel) + input_bias, 3, axis=-1
    )
    kernel = cell.recurrent_kernel
    recurrent = ops.matmul(h, kernel[:, : 2 * units])
    if cell.reset_after and cell.use_bias:
        recurrent = recurrent + recurrent_bias[: 2 * units]
    r_z, r_r = ops.split(recurrent, 2, axis=-1)
    update = cell.recurrent_activation(x_z + r_z)
    reset = cell.recurrent_activation(x_r + r_r)
    if cell.reset_after:
        recurrent_h = ops.matmul(h, kernel[:, 2 * units :])
        if cell.use_bias:
            recurrent_h = recurrent_h + recurrent_bias[2 * units :]
        recurrent_h = reset * recurrent_h
    else:
        recurrent_h = ops.matmul(reset * h, kernel[:, 2 * units :])
    return {
        "update": update,
        "reset": reset,
        "candidate": cell.activation(x_h + recurrent_h),
    }


def _peephole_lstm(cell, inputs, states):
    h, c = states
    i, f, g, o, *_ = cell.equations(
        cell.project_inputs(inputs), h, c, cell.loop_weights()
    )
    return {"input": i, "forget": f, "candidate": g, "output": o}


def _coupled_lstm(cell, inputs, states):
    h, c = states
    f, g, o, *_ = cell.equations(
        cell.project_inputs(inputs), h, c, cell.loop_weights()
    )
    return {"input": 1.0 - f, "forget": f, "candidate": g, "output": o}


def _mgu(cell, inputs, states):
    h = states[0]
    f, candidate, _ = cell.equations(
        cell.project_inputs(inputs), h, h, cell.loop_weights()
    )
    return {"forget": f, "candidate": candidate}


# Keras's cells are matched exactly: a subclass may change the equations.
_EXACT = {
    keras.layers.LSTMCell: _keras_lstm,
    keras.layers.GRUCell: _keras_gru,
}
# rnnzoo's cells compute their gates with their own `equations`.
_BY_CLASS = (
    (PeepholeLSTMCell, _peephole_lstm),
    (CoupledLSTMCell, _coupled_lstm),
    (MGUCell, _mgu),
)


def gate_activations(cell, inputs, previous_states) -> dict:
    """The gates of `cell` at every step, `{name: (batch, steps, units)}`,
    or `{}` for a cell without gates (or one this module does not know).

    Args:
        cell: The cell of a recurrent layer.
        inputs: `(batch, steps, features)`, the cell's input at every step.
        previous_states: The cell's states before every step, each
            `(batch, steps, width)`.
    """
    compute = _EXACT.get(type(cell))
    if compute is None:
        compute = next(
            (
                function
                for kind, function in _BY_CLASS
                if isinstance(cell, kind)
            ),
            None,
        )
    if compute is None:
        return {}
    return compute(cell, inputs, previous_states)
