"""The cells the layer tests run, derived from the cell registry.

Every rnnzoo cell in `rnnzoo.layers.cell_names(keras_cells=False)` (Keras's
own cells are Keras's to test) runs through the layer tests, a cell
registered with `register_cell` included, with its default options and any
option sets of `OPTIONS`.
"""

from rnnzoo.layers import FusedRecurrence
from rnnzoo.layers import cell_names
from rnnzoo.layers import get_cell

# Option sets a family's tests run instead of its defaults, by test-id
# suffix: cell-specific, so keyed by name. A family without an entry runs
# with its defaults.
OPTIONS = {
    "coupled_lstm": {"": {}, "peepholes": {"use_peepholes": True}},
    "nas": {"": {}, "bias": {"use_bias": True}},
    "skip_rnn": {
        "short": {"skip": 3},
        "noshort": {"skip": 2, "use_short_connection": False},
    },
}


def layer_cases() -> dict[str, tuple[str, dict]]:
    """`{test id: (cell name, options)}` for every rnnzoo cell."""
    cases = {}
    for name in cell_names(keras_cells=False):
        for suffix, options in OPTIONS.get(name, {"": {}}).items():
            cases[f"{name}-{suffix}" if suffix else name] = (name, options)
    return cases


def fused_cases() -> dict[str, tuple[str, dict]]:
    """The `layer_cases()` whose cell runs on the fused recurrence."""
    return {
        case_id: (name, options)
        for case_id, (name, options) in layer_cases().items()
        if isinstance(get_cell(name, 1, **options), FusedRecurrence)
    }
