"""Character-level word features: each word's characters through a
convolution and max pooling (a character CNN, as in dos Santos and
Zadrozny 2014; Ma and Hovy 2016), so a tagger sees the spelling of words
its vocabulary does not know (Plank et al. 2016), and word dropout, which
teaches it to read them."""

import keras
from keras import ops

from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_rate

TOKEN_IDS = "token_ids"
CHARACTER_IDS = "character_ids"
#: The arguments of a backbone's character features, in the order of
#: `check_character_arguments`.
CHARACTER_ARGUMENTS = (
    "character_vocab_size",
    "character_embedding_dim",
    "character_filters",
    "character_kernel_size",
    "max_word_length",
    "word_dropout",
)


@keras.saving.register_keras_serializable(package="rnnzoo")
class CharacterWordEncoder(keras.layers.Layer):
    """One feature vector per word from its character ids.

    ```
    character ids (batch, steps, characters)
      -> embeddings (characters, embedding_dim), per word
      -> convolution over the characters (kernel_size, same padding)
      -> activation -> max over the word's characters
      -> (batch, steps, filters)
    ```

    Id 0 is padding, both after a word's last character and in the padded
    steps of a sentence. The maximum is taken over the windows centred on
    a word's own characters only, so a word's features do not depend on how
    much padding follows it; the padding embedding (id 0) is what the last
    window sees after the word's end, a learned end-of-word marker, and the
    convolution's zero padding marks the start. A step without characters
    (a padded step) gets zeros, and the output mask is `False` there: a
    `keras.layers.Concatenate` with the masked word embeddings then keeps
    padded steps masked.

    Args:
        vocab_size: Positive integer, the number of character ids,
            padding and `[UNK]` included.
        embedding_dim: Width of a character's embedding. Default 32.
        filters: Positive integer, the number of convolution filters: the
            width of the output. Default 64.
        kernel_size: Positive integer, characters per convolution window.
            Default 3.
        activation: Activation of the convolution; default `"tanh"`.
        embeddings_initializer: Initializer of `embeddings`.
        kernel_initializer: Initializer of `kernel`.
        bias_initializer: Initializer of `bias`.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: Int `(batch, steps, characters)`, 0 for padding.

    Returns:
        `(batch, steps, filters)`, masked where a step has no characters.

    Example:

    >>> encoder = CharacterWordEncoder(vocab_size=30, filters=16)
    >>> character_ids = np.array([[[3, 4, 5, 0], [6, 0, 0, 0], [0, 0, 0, 0]]])
    >>> features = encoder(character_ids)
    >>> tuple(features.shape)
    (1, 3, 16)
    >>> bool(np.all(keras.ops.convert_to_numpy(features)[0, 2] == 0.0))
    True
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 32,
        filters: int = 64,
        kernel_size: int = 3,
        activation="tanh",
        embeddings_initializer="uniform",
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("embedding_dim", embedding_dim)
        check_positive_int("filters", filters)
        check_positive_int("kernel_size", kernel_size)
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.filters = filters
        self.kernel_size = kernel_size
        self.activation = keras.activations.get(activation)
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, inputs_shape):
        if len(inputs_shape) != 3:
            raise ValueError(
                f"Layer '{self.name}' expects character ids of shape "
                "(batch, steps, characters), got an input of shape "
                f"{inputs_shape}"
            )
        self.embeddings = self.add_weight(
            shape=(self.vocab_size, self.embedding_dim),
            name="embeddings",
            initializer=self.embeddings_initializer,
        )
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.embedding_dim, self.filters),
            name="kernel",
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            shape=(self.filters,),
            name="bias",
            initializer=self.bias_initializer,
        )
        self.built = True

    def call(self, inputs):
        inputs = ops.cast(inputs, "int32")
        batch, steps, characters = ops.shape(inputs)
        words = ops.reshape(inputs, (-1, characters))
        embedded = ops.take(self.embeddings, words, axis=0)
        windows = ops.conv(embedded, self.kernel, padding="same")
        windows = self.activation(ops.add(windows, self.bias))
        own = ops.expand_dims(ops.not_equal(words, 0), -1)
        pooled = ops.max(
            ops.where(own, windows, ops.full_like(windows, float("-inf"))),
            axis=1,
        )
        pooled = ops.where(ops.any(own, axis=1), pooled, ops.zeros_like(pooled))
        return ops.reshape(pooled, (batch, steps, self.filters))

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape[:2]) + (self.filters,)

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, 0), axis=-1)

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "embedding_dim": self.embedding_dim,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "activation": keras.activations.serialize(self.activation),
            "embeddings_initializer": keras.initializers.serialize(
                self.embeddings_initializer
            ),
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class WordDropout(keras.layers.Layer):
    """Replaces token ids by the unknown-token id at random, in training.

    In training, each known token (id above `unknown_id`) becomes
    `unknown_id` (`[UNK]`) with probability `rate`; padding (id 0) and
    unknown tokens stay as they are, so the mask does not change. A model
    that also reads the characters of its words then learns to tag words
    by their spelling alone, as it must for the words its vocabulary lacks
    (word dropout, Iyyer et al. 2015; Kiperwasser and Goldberg 2016).
    Outside training the ids pass unchanged.

    Args:
        rate: Float in `[0, 1)`, the probability that a known token is
            replaced.
        unknown_id: The id of `[UNK]`, 1 in `rnnzoo.data` vectorizers.
        seed: Optional seed of the random draws.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: Int token ids, any shape.
        training: Whether to drop words.

    Returns:
        The token ids, int32.

    Example:

    >>> ids = np.array([[5, 6, 1, 0]])
    >>> keras.ops.convert_to_numpy(WordDropout(0.5)(ids))
    array([[5, 6, 1, 0]], dtype=int32)
    >>> dropped = WordDropout(0.99, seed=1)(ids, training=True)
    >>> keras.ops.convert_to_numpy(dropped)
    array([[1, 1, 1, 0]], dtype=int32)
    """

    def __init__(
        self,
        rate: float,
        unknown_id: int = 1,
        seed: int | None = None,
        **kwargs,
    ):
        check_rate("rate", rate)
        check_positive_int("unknown_id", unknown_id)
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.unknown_id = unknown_id
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        inputs = ops.cast(inputs, "int32")
        if not training or self.rate == 0.0:
            return inputs
        draws = keras.random.uniform(
            ops.shape(inputs), seed=self.seed_generator
        )
        dropped = ops.logical_and(
            ops.less(draws, self.rate), ops.greater(inputs, self.unknown_id)
        )
        return ops.where(
            dropped, ops.full_like(inputs, self.unknown_id), inputs
        )

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def compute_output_spec(self, inputs, training=None):
        return keras.KerasTensor(inputs.shape, dtype="int32")

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "unknown_id": self.unknown_id,
            "seed": self.seed,
        }


def check_character_arguments(
    character_vocab_size=None,
    character_embedding_dim=32,
    character_filters=64,
    character_kernel_size=3,
    max_word_length=None,
    word_dropout=0.0,
    vocab_size=None,
) -> None:
    """Raises unless the character arguments are valid: all off
    (`character_vocab_size` `None` or 0), or on with token inputs."""
    check_rate("word_dropout", word_dropout)
    if not character_vocab_size:
        if word_dropout:
            raise ValueError(
                "`word_dropout` teaches a tagger to tag unknown words by "
                "their characters, so it needs `character_vocab_size`, got "
                f"character_vocab_size={character_vocab_size!r}"
            )
        return
    check_positive_int("character_vocab_size", character_vocab_size)
    check_positive_int("character_embedding_dim", character_embedding_dim)
    check_positive_int("character_filters", character_filters)
    check_positive_int("character_kernel_size", character_kernel_size)
    check_positive_int("max_word_length", max_word_length, allow_none=True)
    if vocab_size is None:
        raise ValueError(
            "Character features describe the words of token inputs, so "
            "`character_vocab_size` needs `vocab_size`, got vocab_size=None"
        )


def word_and_character_input(
    vocab_size: int,
    embedding_dim: int,
    character_vocab_size: int,
    character_embedding_dim: int = 32,
    character_filters: int = 64,
    character_kernel_size: int = 3,
    max_word_length: int | None = None,
    word_dropout: float = 0.0,
    mask_zero: bool = True,
    sequence_length: int | None = None,
    batch_size: int | None = None,
):
    """Creates the two inputs of a model that reads words and their
    characters, and the features it feeds forward: each word's embedding
    concatenated with its `CharacterWordEncoder` features.

    Args:
        vocab_size, embedding_dim, mask_zero, sequence_length,
            batch_size: The token input, as in `sequence_input`.
        character_vocab_size: Number of character ids, padding and `[UNK]`
            included.
        character_embedding_dim, character_filters, character_kernel_size:
            The `embedding_dim`, `filters` and `kernel_size` of the
            `CharacterWordEncoder`.
        max_word_length: Fixed number of characters per word, or `None`
            for any.
        word_dropout: Float in `[0, 1)`: in training, the probability that
            a known word's id becomes `[UNK]` (id 1) before the embedding
            (`WordDropout`); its characters stay.

    Returns:
        `(inputs, features)`: `{"token_ids": (batch, steps), "character_ids":
        (batch, steps, max_word_length)}` int32 `keras.Input`s, and the
        `(batch, steps, embedding_dim + character_filters)` features,
        masked where the token id is 0 (with `mask_zero=True`).

    Example:

    >>> inputs, features = word_and_character_input(
    ...     vocab_size=100, embedding_dim=8, character_vocab_size=30,
    ...     character_filters=4, max_word_length=12)
    >>> sorted(inputs), features.shape
    (['character_ids', 'token_ids'], (None, None, 12))
    """
    check_positive_int("vocab_size", vocab_size)
    check_positive_int("embedding_dim", embedding_dim)
    token_inputs = keras.Input(
        shape=(sequence_length,),
        batch_size=batch_size,
        dtype="int32",
        name=TOKEN_IDS,
    )
    token_ids = token_inputs
    if word_dropout:
        token_ids = WordDropout(word_dropout, name="word_dropout")(token_ids)
    token_features = keras.layers.Embedding(
        vocab_size,
        embedding_dim,
        mask_zero=mask_zero,
        name="token_embedding",
    )(token_ids)
    character_inputs = keras.Input(
        shape=(sequence_length, max_word_length),
        batch_size=batch_size,
        dtype="int32",
        name=CHARACTER_IDS,
    )
    character_features = CharacterWordEncoder(
        character_vocab_size,
        embedding_dim=character_embedding_dim,
        filters=character_filters,
        kernel_size=character_kernel_size,
        name="character_encoder",
    )(character_inputs)
    features = keras.layers.Concatenate(name="word_features")(
        [token_features, character_features]
    )
    inputs = {TOKEN_IDS: token_inputs, CHARACTER_IDS: character_inputs}
    return inputs, features
