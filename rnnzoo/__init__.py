"""rnnzoo: recurrent neural networks for Keras 3, and a zoo of ready models."""

from rnnzoo import decoding
from rnnzoo import layers

__version__ = "0.1.0"
