"""Diagnostics of recurrent models: gradient flow through time, gradient
norms during training, attention alignments and saliency maps.

The plots need matplotlib (`pip install 'rnnzoo[inspect]'`), imported
when a plot is drawn; they build `matplotlib.figure.Figure` objects without
`pyplot`, so they need no display and leave the user's backend alone.
"""

from rnnzoo.inspect.attention_plots import plot_attention
from rnnzoo.inspect.attention_plots import plot_attention_on_image
from rnnzoo.inspect.gradients import GradientFlow
from rnnzoo.inspect.gradients import gradient_flow
from rnnzoo.inspect.plots import plot_gradient_flow
from rnnzoo.inspect.plots import plot_gradient_norms
from rnnzoo.inspect.plots import plot_saliency
from rnnzoo.inspect.saliency import saliency
from rnnzoo.inspect.training import GradientNormHistory
from rnnzoo.inspect.training import training_gradient_norms
