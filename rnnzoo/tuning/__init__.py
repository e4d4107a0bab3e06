"""Hyperparameter search for zoo models with KerasTuner.

`HyperModel("name")` turns a zoo config's `search_space` into named
hyperparameters whose defaults are the config's own values; `run_search`
runs a tuner on the config's data, `best_trials_table` shows the best
trials, and `export_best` writes the best model as a preset and the best
hyperparameters as a ready-to-use config; `SearchRole` spreads a search
over processes and machines (`rnnzoo.tuning.distributed`).
`rnnzoo.tuning.docs` renders
every zoo model's search space for the README.
"""

from rnnzoo.tuning.distributed import SearchRole
from rnnzoo.tuning.hypermodel import HyperModel
from rnnzoo.tuning.results import best_trials_table
from rnnzoo.tuning.results import export_best
from rnnzoo.tuning.search import TUNERS
from rnnzoo.tuning.search import SearchResult
from rnnzoo.tuning.search import make_tuner
from rnnzoo.tuning.search import run_search
from rnnzoo.tuning.space import SearchParameter
from rnnzoo.tuning.space import search_parameters
