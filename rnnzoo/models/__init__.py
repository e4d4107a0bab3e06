"""rnnzoo's architectures by input/output shape, each a `keras.Model` that
takes any registered cell by name, and the building blocks they share."""

from rnnzoo.models.backbone import BACKBONE_ARGUMENTS
from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.models.backbone import recurrent_encoder
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.captioner import ImageCaptioner
from rnnzoo.models.characters import CharacterWordEncoder
from rnnzoo.models.characters import WordDropout
from rnnzoo.models.classifier import SequenceClassifier
from rnnzoo.models.decoder import TokenDecoder
from rnnzoo.models.encoder import RecurrentStack
from rnnzoo.models.encoder import SplitDirections
from rnnzoo.models.encoder import stack_recurrent_layers
from rnnzoo.models.generation import GenerationResult
from rnnzoo.models.image_encoder import ImageEncoder
from rnnzoo.models.inputs import sequence_input
from rnnzoo.models.language_model import LanguageModel
from rnnzoo.models.language_model_heads import LanguageModelHead
from rnnzoo.models.language_model_heads import language_model_targets
from rnnzoo.models.pooling import AttentionPooling
from rnnzoo.models.pooling import LastStepPooling
from rnnzoo.models.pooling import MaskedMaxPooling
from rnnzoo.models.pooling import MaskedMeanPooling
from rnnzoo.models.pooling import get_pooling
from rnnzoo.models.regressor import SequenceRegressor
from rnnzoo.models.scheduled_sampling import ScheduledSampling
from rnnzoo.models.seq2seq import Seq2Seq
from rnnzoo.models.sequence_encoder import SequenceEncoder
from rnnzoo.models.tagger import SequenceTagger
from rnnzoo.models.tree_classifier import TreeClassifier
from rnnzoo.models.tree_metrics import NodeAccuracy
from rnnzoo.models.tree_metrics import NodeLoss
from rnnzoo.models.tree_metrics import RootAccuracy
from rnnzoo.models.tree_metrics import RootBinaryAccuracy
