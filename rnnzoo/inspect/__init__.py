"""Diagnostics of recurrent models: gradient flow through time, gradient
norms during training, attention alignments and saliency maps; and
explanations: a classifier's judgment prefix by prefix (LISA), the
patterns it relies on, and the hidden states and gates of every step.

The plots need matplotlib (`pip install 'rnnzoo[inspect]'`), imported
when a plot is drawn; they build `matplotlib.figure.Figure` objects without
`pyplot`, so they need no display and leave the user's backend alone.
"""

from rnnzoo.inspect.accumulation import SemanticAccumulation
from rnnzoo.inspect.accumulation import semantic_accumulation
from rnnzoo.inspect.attention_plots import plot_attention
from rnnzoo.inspect.attention_plots import plot_attention_on_image
from rnnzoo.inspect.explanation_plots import plot_hidden_states
from rnnzoo.inspect.explanation_plots import plot_semantic_accumulation
from rnnzoo.inspect.gradients import GradientFlow
from rnnzoo.inspect.gradients import gradient_flow
from rnnzoo.inspect.hidden_states import HiddenStates
from rnnzoo.inspect.hidden_states import hidden_states
from rnnzoo.inspect.patterns import SalientPattern
from rnnzoo.inspect.patterns import salient_patterns
from rnnzoo.inspect.plots import plot_gradient_flow
from rnnzoo.inspect.plots import plot_gradient_norms
from rnnzoo.inspect.plots import plot_saliency
from rnnzoo.inspect.saliency import saliency
from rnnzoo.inspect.tracking import TrackingUnits
from rnnzoo.inspect.tracking import tracking_units
from rnnzoo.inspect.training import GradientNormHistory
from rnnzoo.inspect.training import training_gradient_norms
from rnnzoo.inspect.tree_plots import plot_tree
