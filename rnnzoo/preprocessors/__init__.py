"""Preprocessors: what turns a task's raw inputs (texts, images) into a
model's tensors, and its outputs back into raw outputs (strings, label
names). A published model carries its preprocessor in the preset, so
`rnnzoo.create_model("name.tag", pretrained=True)` takes and gives its
natural data."""

from rnnzoo.preprocessors.base import Preprocessor
from rnnzoo.preprocessors.base import load_preprocessor
from rnnzoo.preprocessors.base import preprocessor_class
from rnnzoo.preprocessors.base import register_preprocessor
from rnnzoo.preprocessors.generation import CaptionerPreprocessor
from rnnzoo.preprocessors.generation import LanguageModelPreprocessor
from rnnzoo.preprocessors.generation import TranslatorPreprocessor
from rnnzoo.preprocessors.images import load_images
from rnnzoo.preprocessors.music import MusicPreprocessor
from rnnzoo.preprocessors.music import save_midi
from rnnzoo.preprocessors.text import SeriesClassifierPreprocessor
from rnnzoo.preprocessors.text import TaggerPreprocessor
from rnnzoo.preprocessors.text import TextClassifierPreprocessor
from rnnzoo.preprocessors.text import split_words
from rnnzoo.preprocessors.trees import TreeClassifierPreprocessor
from rnnzoo.preprocessors.trees import sentence_tokens
