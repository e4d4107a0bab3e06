"""rnnzoo's recurrent layers: cells, the sequence layers that run them, and
the registry of cells by name."""

from rnnzoo.layers.attention import BahdanauAttention
from rnnzoo.layers.attention import LuongAttention
from rnnzoo.layers.attention_base import AttentionMechanism
from rnnzoo.layers.attention_decoder import AttentionDecoder
from rnnzoo.layers.base import GatedRecurrentCell
from rnnzoo.layers.base import RecurrentCell
from rnnzoo.layers.coupled_lstm import CoupledLSTM
from rnnzoo.layers.coupled_lstm import CoupledLSTMCell
from rnnzoo.layers.fused import FusedRecurrence
from rnnzoo.layers.lstm_variant import LSTMVariantCell
from rnnzoo.layers.mgu import MGU
from rnnzoo.layers.mgu import MGUCell
from rnnzoo.layers.peephole_lstm import PeepholeLSTM
from rnnzoo.layers.peephole_lstm import PeepholeLSTMCell
from rnnzoo.layers.recurrent_layer import RecurrentLayer
from rnnzoo.layers.registry import cell_arguments
from rnnzoo.layers.registry import cell_names
from rnnzoo.layers.registry import cells_taking
from rnnzoo.layers.registry import get_cell
from rnnzoo.layers.registry import get_recurrent_layer
from rnnzoo.layers.registry import is_keras_cell
from rnnzoo.layers.registry import register_cell
from rnnzoo.layers.registry import unregister_cell
from rnnzoo.layers.skip_rnn import SkipRNN
from rnnzoo.layers.skip_rnn import SkipRNNCell
