"""What an `AttentionDecoder` is built from: its cell and its attention
mechanism, each made from a registered name or taken as an instance, the
checks of the tensors it receives, and the per-sequence dropout masks of a
cell run one step at a time."""

import keras
from keras import ops

from rnnzoo.layers.attention import BahdanauAttention
from rnnzoo.layers.attention import LuongAttention
from rnnzoo.layers.attention_base import AttentionMechanism
from rnnzoo.layers.keras_internals import DropoutRNNCell
from rnnzoo.layers.monotonic_attention import BahdanauMonotonicAttention
from rnnzoo.layers.monotonic_attention import LuongMonotonicAttention
from rnnzoo.layers.registry import cell_names
from rnnzoo.layers.registry import get_cell

ATTENTIONS = {
    "bahdanau": BahdanauAttention,
    "luong": LuongAttention,
    "bahdanau_monotonic": BahdanauMonotonicAttention,
    "luong_monotonic": LuongMonotonicAttention,
}


def validate_rank(name, tensor, rank, layout, layer_name):
    if len(tensor.shape) != rank:
        raise ValueError(
            f"Layer '{layer_name}' expects `{name}` of rank {rank} {layout}, "
            f"got shape {tuple(tensor.shape)}"
        )


def flat_state_sizes(cell) -> list:
    """The cell's `state_size` as a list, one entry per state tensor."""
    sizes = cell.state_size
    return list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]


def complete_state(decoder, state, start=None) -> list:
    """The whole state of an `AttentionDecoder` from `state`, in its
    dtypes: `state` itself, or, when it holds only the cell's states, those
    followed by the rest of `start` (the initial state), when given."""
    state = list(state) if isinstance(state, (list, tuple)) else [state]
    num_cell_states = len(decoder.state_sizes) - 1
    if start is not None and len(state) == num_cell_states:
        state = [*state, *start[num_cell_states:]]
    num_tensors = len(decoder.state_sizes) + decoder.carries_alignment
    if len(state) != num_tensors:
        expected = f"{num_tensors} tensors"
        if start is not None:
            expected += f" or {num_cell_states} cell states"
        alignment = ", then the alignment" * decoder.carries_alignment
        raise ValueError(
            f"Layer '{decoder.name}' expects a decoder state of {expected} "
            f"(the cell's states, then the attentional vector"
            f"{alignment}), got {len(state)} tensors"
        )
    dtypes = [decoder.compute_dtype] * len(decoder.state_sizes)
    if decoder.carries_alignment:
        dtypes.append(decoder.attention.alignment_dtype())
    return [ops.cast(s, dtype) for s, dtype in zip(state, dtypes)]


def configure_dropout(cell, step_inputs, first_state) -> None:
    """Creates a cell's per-sequence dropout masks before a time loop, as
    `keras.layers.RNN` does, so that every step of the loop reuses them
    (and no mask is made inside the loop); `reset_dropout` after it.

    Args:
        cell: Any cell; only a `DropoutRNNCell` has masks.
        step_inputs: `(batch, features)`, shaped as one step's input.
        first_state: `(batch, units)`, shaped as the cell's first state.
    """
    if isinstance(cell, DropoutRNNCell):
        cell.get_dropout_mask(step_inputs)
        cell.get_recurrent_dropout_mask(first_state)


def reset_dropout(cell) -> None:
    """Forgets the masks of `configure_dropout`."""
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()


def make_cell(cell, units: int, cell_kwargs: dict, dtype_policy):
    """The decoder's cell: the registered cell `cell` built with `units`
    and `cell_kwargs`, or `cell` itself when it is an RNN cell instance
    whose output is `units` wide."""
    if isinstance(cell, str):
        if cell not in cell_names():
            raise ValueError(
                f"`cell` must be a registered cell name, one of "
                f"{cell_names()}, or a cell instance; got cell={cell!r}"
            )
        return get_cell(cell, units, **{"dtype": dtype_policy, **cell_kwargs})
    if not isinstance(cell, keras.layers.Layer) or not hasattr(
        cell, "state_size"
    ):
        raise ValueError(
            "`cell` must be a registered cell name or an RNN cell (a "
            f"layer with a `state_size`), got cell={cell!r}"
        )
    output_size = getattr(cell, "output_size", units)
    if output_size != units:
        raise ValueError(
            f"`cell` must output `units`={units} features, got a "
            f"cell with output_size={output_size!r}"
        )
    return cell


def make_attention(
    attention, units: int, attention_units, attention_kwargs, dtype_policy
):
    """The decoder's attention: a name of `ATTENTIONS` built with
    `attention_kwargs` (Bahdanau's `units` default to the decoder's), or
    `attention` itself when it is an `AttentionMechanism`."""
    if isinstance(attention, AttentionMechanism):
        return attention
    if attention not in ATTENTIONS:
        raise ValueError(
            f"`attention` must be one of {sorted(ATTENTIONS)} or an "
            f"AttentionMechanism instance, got attention={attention!r}"
        )
    kwargs = {"dtype": dtype_policy, **attention_kwargs}
    if attention.startswith("bahdanau"):
        attention_units = attention_units or units
    if attention_units is not None:
        kwargs.setdefault("units", attention_units)
    return ATTENTIONS[attention](name="attention", **kwargs)
