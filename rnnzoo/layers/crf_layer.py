"""`CRF`, the layer that holds a linear-chain CRF's transition scores (the
functions it runs are in `rnnzoo.layers.crf`)."""

import keras

from rnnzoo.layers.crf import crf_decode
from rnnzoo.layers.crf import crf_log_likelihood
from rnnzoo.validation import check_bool


@keras.saving.register_keras_serializable(package="rnnzoo")
class CRF(keras.layers.Layer):
    """A linear-chain conditional random field over per-step tag scores.

    The layer holds the CRF's weights: `transitions` `(num_tags,
    num_tags)`, `[i, j]` the score of tag `j` right after tag `i`, and
    (with `use_boundary_transitions`) `start_transitions` and
    `end_transitions` `(num_tags,)`, the scores of the first and the last
    tag. `num_tags` is the last dimension of its input.

    Its call passes the unary potentials through, with their mask, so it
    sits at the end of a model whose output is the potentials; the model's
    loss is `-log_likelihood(potentials, tags, mask)` and its predictions
    `decode(potentials, mask)` (see `SequenceTagger(crf=True)`, which does
    both). Padded steps never count (see `rnnzoo.layers.crf`).

    Args:
        use_boundary_transitions: Whether to learn the scores of the first
            and the last tag. Default `True`.
        transitions_initializer: Initializer of the three score tensors.
            Default `"zeros"`: the CRF starts as independent per-step
            softmaxes over the potentials.
        transitions_regularizer: Optional regularizer of `transitions`.
        **kwargs: Arguments of `keras.layers.Layer` (`name`, `dtype`).

    Call arguments:
        potentials: `(batch, steps, num_tags)` unary scores.
        mask: Optional boolean `(batch, steps)`, false at padded steps.

    Example:

    >>> crf = CRF()
    >>> potentials = np.random.default_rng(0).normal(size=(2, 5, 3))
    >>> tuple(crf(potentials).shape)
    (2, 5, 3)
    >>> tags, score = crf.decode(potentials, mask=[[1, 1, 1, 0, 0]] * 2)
    >>> np.asarray(tags)[:, 3:].tolist()
    [[0, 0], [0, 0]]
    >>> tuple(crf.log_likelihood(potentials, tags).shape)
    (2,)
    """

    def __init__(
        self,
        use_boundary_transitions: bool = True,
        transitions_initializer="zeros",
        transitions_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_bool("use_boundary_transitions", use_boundary_transitions)
        self.use_boundary_transitions = use_boundary_transitions
        self.transitions_initializer = keras.initializers.get(
            transitions_initializer
        )
        self.transitions_regularizer = keras.regularizers.get(
            transitions_regularizer
        )
        self.supports_masking = True

    def build(self, input_shape):
        num_tags = input_shape[-1]
        if num_tags is None:
            raise ValueError(
                "CRF needs the number of tags, the last dimension of its "
                f"input, got input shape {tuple(input_shape)}"
            )
        self.transitions = self.add_weight(
            shape=(num_tags, num_tags),
            initializer=self.transitions_initializer,
            regularizer=self.transitions_regularizer,
            name="transitions",
        )
        self.start_transitions = self.end_transitions = None
        if self.use_boundary_transitions:
            self.start_transitions = self.add_weight(
                shape=(num_tags,),
                initializer=self.transitions_initializer,
                name="start_transitions",
            )
            self.end_transitions = self.add_weight(
                shape=(num_tags,),
                initializer=self.transitions_initializer,
                name="end_transitions",
            )

    def call(self, potentials, mask=None):
        return potentials

    def compute_output_shape(self, input_shape):
        return input_shape

    def _weights(self, potentials):
        if not self.built:
            self.build(potentials.shape)
        return self.transitions, self.start_transitions, self.end_transitions

    def log_likelihood(self, potentials, tags, mask=None):
        """`(batch,)` log-likelihoods of the `tags` sequences (padded steps'
        tags not read); see `rnnzoo.layers.crf.crf_log_likelihood`."""
        potentials = keras.ops.convert_to_tensor(potentials)
        return crf_log_likelihood(
            potentials, tags, None, *self._weights(potentials), mask=mask
        )

    def decode(self, potentials, mask=None):
        """`(tags, best_score)`: the Viterbi tags, int32 `(batch, steps)`,
        0 at padded steps, and their `(batch,)` scores; see
        `rnnzoo.layers.crf.crf_decode`."""
        potentials = keras.ops.convert_to_tensor(potentials)
        transitions, start, end = self._weights(potentials)
        return crf_decode(potentials, transitions, None, start, end, mask=mask)

    def get_config(self):
        return {
            **super().get_config(),
            "use_boundary_transitions": self.use_boundary_transitions,
            "transitions_initializer": keras.initializers.serialize(
                self.transitions_initializer
            ),
            "transitions_regularizer": keras.regularizers.serialize(
                self.transitions_regularizer
            ),
        }
