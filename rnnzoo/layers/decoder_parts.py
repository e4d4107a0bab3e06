"""What an `AttentionDecoder` is built from: its cell and its attention
mechanism, each made from a registered name or taken as an instance, and
the checks of the tensors it receives."""

import keras

from rnnzoo.layers.attention import BahdanauAttention
from rnnzoo.layers.attention import LuongAttention
from rnnzoo.layers.attention_base import AttentionMechanism
from rnnzoo.layers.registry import cell_names
from rnnzoo.layers.registry import get_cell

ATTENTIONS = {"bahdanau": BahdanauAttention, "luong": LuongAttention}


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
    """The decoder's attention: `"bahdanau"` or `"luong"` built with
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
    if attention == "bahdanau":
        attention_units = attention_units or units
    if attention_units is not None:
        kwargs.setdefault("units", attention_units)
    return ATTENTIONS[attention](name="attention", **kwargs)
