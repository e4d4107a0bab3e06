"""rnnzoo's architectures by input/output shape, each a `keras.Model` that
takes any registered cell by name, and the building blocks they share."""

from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.classifier import SequenceClassifier
from rnnzoo.models.encoder import RecurrentStack
from rnnzoo.models.encoder import SplitDirections
from rnnzoo.models.encoder import recurrent_encoder
from rnnzoo.models.inputs import sequence_input
from rnnzoo.models.pooling import AttentionPooling
from rnnzoo.models.pooling import LastStepPooling
from rnnzoo.models.pooling import MaskedMaxPooling
from rnnzoo.models.pooling import MaskedMeanPooling
from rnnzoo.models.pooling import get_pooling
from rnnzoo.models.regressor import SequenceRegressor
from rnnzoo.models.tagger import LanguageModelHead
from rnnzoo.models.tagger import SequenceTagger
from rnnzoo.models.tagger import language_model_targets
