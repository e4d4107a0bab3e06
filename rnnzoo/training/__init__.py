"""Training zoo models from their configs: `train` and `evaluate` under any
`tf.distribute` strategy, with checkpoints and automatic resume, mixed
precision, XLA, and task metrics in the literature's units."""

from rnnzoo.tasks.metrics import MaskedAccuracy
from rnnzoo.tasks.metrics import MaskedPerplexity
from rnnzoo.tasks.metrics import NegativeLogLikelihoodPerStep
from rnnzoo.tasks.metrics import corpus_bleu
from rnnzoo.tasks.metrics import exact_match
from rnnzoo.training.callbacks import NonFiniteLossError
from rnnzoo.training.callbacks import ResetStates
from rnnzoo.training.callbacks import TerminateOnNonFiniteLoss
from rnnzoo.training.evaluation import evaluate
from rnnzoo.training.export import load_trained_preset
from rnnzoo.training.precision import resolve_precision
from rnnzoo.training.strategies import resolve_strategy
from rnnzoo.training.trainer import TrainingResult
from rnnzoo.training.trainer import train
