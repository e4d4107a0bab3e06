"""rnnzoo: recurrent neural networks for Keras 3, and a zoo of ready models."""

from rnnzoo import decoding
from rnnzoo import layers
from rnnzoo import models
from rnnzoo import tasks
from rnnzoo.training import evaluate
from rnnzoo.training import train
from rnnzoo.zoo import create_model
from rnnzoo.zoo import list_models
from rnnzoo.zoo import model_info

__version__ = "0.1.0"
