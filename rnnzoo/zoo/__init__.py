"""The zoo: named models from `zoo_configs/`, presets and published weights."""

from rnnzoo.zoo.fine_tuning import extend_vocabulary
from rnnzoo.zoo.hub import DownloadError
from rnnzoo.zoo.presets import load_preset
from rnnzoo.zoo.presets import pack_preset
from rnnzoo.zoo.presets import save_preset
from rnnzoo.zoo.registry import create_model
from rnnzoo.zoo.registry import get_config
from rnnzoo.zoo.registry import list_models
from rnnzoo.zoo.registry import model_info
from rnnzoo.zoo.schema import ConfigError
from rnnzoo.zoo.schema import load_config
