"""`RecurrentBackbone`, the body of rnnzoo's tasks: a sequence input and
the recurrent stack over it, every argument of both declared here once."""

import keras

from rnnzoo.models.arguments import arguments_for
from rnnzoo.models.arguments import check_cell_arguments
from rnnzoo.models.base import ArgumentsConfig
from rnnzoo.models.characters import check_character_arguments
from rnnzoo.models.characters import word_and_character_input
from rnnzoo.models.encoder import RecurrentStack
from rnnzoo.models.encoder import stack_recurrent_layers
from rnnzoo.models.inputs import check_sequence_input_arguments
from rnnzoo.models.inputs import sequence_input
from rnnzoo.validation import check_positive_int

#: The arguments every task takes flat when it is not given a backbone:
#: the recurrent stack, then the sequence input.
BACKBONE_ARGUMENTS = (
    "cell",
    "units",
    "num_layers",
    "bidirectional",
    "residual",
    "dropout",
    "recurrent_dropout",
    "cell_kwargs",
    "vocab_size",
    "embedding_dim",
    "mask_zero",
    "input_dim",
    "mask_value",
    "sequence_length",
)
#: The arguments of a stateful backbone (truncated BPTT).
STATEFUL_ARGUMENTS = ("stateful", "batch_size")


@keras.saving.register_keras_serializable(package="rnnzoo")
class RecurrentBackbone(ArgumentsConfig, keras.Model):
    """A sequence input and a stack of recurrent layers over it: the body
    that rnnzoo's tasks put their heads on.

    ```
    token ids               -> Embedding                           -+
    token and character ids -> Embedding ++ CharacterWordEncoder   -+->
    features                -> Masking (with `mask_value`)         -+
      -> RecurrentStack -> sequence (batch, steps, output_dim)
    ```

    The output is the stack's output sequence, `output_dim = units *
    directions` wide, with the input's mask on it (padded steps are
    masked). A task (`SequenceClassifier`, `SequenceRegressor`,
    `SequenceTagger`, `LanguageModel`, `Seq2Seq`) takes a backbone, or
    these same arguments flat and builds one; its graph runs this
    backbone's layers and then its head (they are not copied), so a
    backbone's layers, trained weights included, are shared with every
    task built on it. A task's config holds the backbone's arguments flat.

    Args:
        cell: Registry name of the recurrent cell, one of
            `rnnzoo.layers.cell_names()`. Default `"lstm"`.
        units: Positive integer, width of every recurrent layer (per
            direction). Default 64.
        num_layers: Positive integer, number of stacked recurrent layers.
            Default 1.
        bidirectional: Whether each layer reads the sequence both ways.
        residual: Whether layers of equal input and output width add their
            input to their output.
        dropout: Float in `[0, 1)`, dropout on the inputs of every
            recurrent layer (tasks also apply it before their heads).
        recurrent_dropout: Float in `[0, 1)`, each cell's dropout on its
            previous state.
        cell_kwargs: Dict of further arguments of every recurrent layer,
            e.g. `{"skip": 4}` for `"skip_rnn"`, or `{"activation":
            "relu", "recurrent_initializer": "identity"}` for an IRNN.
        vocab_size: Number of token ids, padding included, for token
            inputs `(batch, steps)` int32. Pass this or `input_dim`.
        embedding_dim: Width of the token embedding; default `units`.
        mask_zero: Whether token id 0 is padding (masked). Default `True`.
        input_dim: Number of features per step, for real-valued inputs
            `(batch, steps, input_dim)`. Pass this or `vocab_size`.
        mask_value: For feature inputs, the value that marks a padded step
            (all its features equal to it), or `None`.
        sequence_length: Fixed number of steps, or `None` for any.
        character_vocab_size: Number of character ids, padding and `[UNK]`
            included, to read each word's characters too (Plank et al.
            2016); `None` or 0 (default) for token ids alone. Needs
            `vocab_size`. The inputs are then a dict, `{"token_ids":
            (batch, steps), "character_ids": (batch, steps,
            max_word_length)}`, character id 0 for padding, and each
            word's `CharacterWordEncoder` features are concatenated with
            its embedding, so that words the vocabulary does not know are
            still read by their spelling.
        character_embedding_dim: Width of a character's embedding.
            Default 32.
        character_filters: Number of character convolution filters, the
            width of the character features of a word. Default 64.
        character_kernel_size: Characters per convolution window.
            Default 3.
        max_word_length: Fixed number of characters per word, or `None`
            (default) for any.
        word_dropout: Float in `[0, 1)`, with character features: in
            training, the probability that a known word's id becomes
            `[UNK]` (id 1), so that the model learns to read words by
            their characters, as it must for words its vocabulary lacks.
            Default 0.
        stateful: Whether the recurrent layers carry their final states
            over to the next call (truncated BPTT); needs `batch_size`.
        batch_size: The fixed batch size of a stateful backbone.
        return_first_layer: Whether to build the stack as two
            `RecurrentStack`s, the first layer (`"recurrent_stack"`) and
            the others (`"upper_recurrent_stack"`), which compute the same
            as one stack, so that `first_layer_output` exists (a tagger's
            language modelling heads read it). With one layer there is
            nothing to split: it is then `False`.
        **kwargs: Arguments of `keras.Model` (`name`, `trainable`).

    Example:

    >>> backbone = RecurrentBackbone(vocab_size=100, units=8, cell="gru",
    ...                              bidirectional=True)
    >>> backbone.output_dim
    16
    >>> tuple(backbone(np.array([[5, 7, 9, 0]])).shape)
    (1, 4, 16)

    A task takes it (or the same arguments flat) and shares its layers:

    >>> from rnnzoo.models import SequenceClassifier
    >>> classifier = SequenceClassifier(num_classes=3, backbone=backbone)
    >>> classifier.backbone is backbone
    True
    >>> classifier.get_config()["units"]
    8
    """

    def __init__(
        self,
        cell: str = "lstm",
        units: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        residual: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        cell_kwargs: dict | None = None,
        vocab_size: int | None = None,
        embedding_dim: int | None = None,
        mask_zero: bool = True,
        input_dim: int | None = None,
        mask_value: float | None = None,
        sequence_length: int | None = None,
        character_vocab_size: int | None = None,
        character_embedding_dim: int = 32,
        character_filters: int = 64,
        character_kernel_size: int = 3,
        max_word_length: int | None = None,
        word_dropout: float = 0.0,
        stateful: bool = False,
        batch_size: int | None = None,
        return_first_layer: bool = False,
        **kwargs,
    ):
        # Each group is the arguments its user declares in its signature.
        given = dict(locals())
        stack_arguments = arguments_for(
            RecurrentStack, given, exclude=("cell_kwargs",)
        )
        input_arguments = arguments_for(check_sequence_input_arguments, given)
        character_arguments = arguments_for(
            check_character_arguments, given, exclude=("vocab_size",)
        )
        stack_cell_kwargs = check_cell_arguments(cell, cell_kwargs)
        check_positive_int("units", units)
        check_positive_int("num_layers", num_layers)
        if "stateful" in stack_cell_kwargs:
            raise ValueError(
                "Pass `stateful=True` (with `batch_size`) as an argument of "
                "its own, not in `cell_kwargs`, got "
                f"cell_kwargs={cell_kwargs!r}"
            )
        if stateful:
            check_positive_int("batch_size", batch_size)
            stack_cell_kwargs["stateful"] = True
        elif batch_size is not None:
            raise ValueError(
                "`batch_size` fixes the batch of a stateful model; pass "
                f"`stateful=True` with it, got batch_size={batch_size!r}"
            )
        check_sequence_input_arguments(**input_arguments)
        check_character_arguments(**character_arguments, vocab_size=vocab_size)
        return_first_layer = bool(return_first_layer) and num_layers > 1

        # === Functional model ===
        token_arguments = dict(
            vocab_size=vocab_size,
            embedding_dim=(embedding_dim or units) if vocab_size else None,
            mask_zero=mask_zero,
            sequence_length=sequence_length,
            batch_size=batch_size,
        )
        if character_vocab_size:
            inputs, features = word_and_character_input(
                **token_arguments, **character_arguments
            )
        else:
            inputs, features = sequence_input(
                **token_arguments, input_dim=input_dim, mask_value=mask_value
            )
        sequence, *first = stack_recurrent_layers(
            features,
            **stack_arguments,
            cell_kwargs=stack_cell_kwargs,
            return_first_layer=return_first_layer,
        )
        super().__init__(inputs=inputs, outputs=sequence, **kwargs)

        # === Config ===
        self.remember_arguments(
            **stack_arguments,
            cell_kwargs=None if cell_kwargs is None else dict(cell_kwargs),
            **input_arguments,
            **character_arguments,
            stateful=stateful,
            batch_size=batch_size,
            return_first_layer=return_first_layer,
        )
        #: The first recurrent layer's output sequence, whose directions
        #: have not read each other; `None` for a stack of several layers
        #: built without `return_first_layer`.
        self.first_layer_output = (
            first[0] if first else sequence if num_layers == 1 else None
        )

    def arguments_for(self, function, exclude=()) -> dict:
        """This backbone's arguments that `function` takes by name (e.g.
        a decoder whose stack mirrors the backbone's), but `exclude`.

        Example:

        >>> backbone = RecurrentBackbone(cell="gru", units=8, vocab_size=20)
        >>> def decoder(units, cell="lstm", attention=None):
        ...     pass
        >>> backbone.arguments_for(decoder)
        {'units': 8, 'cell': 'gru'}
        """
        return arguments_for(function, self._arguments, exclude)

    @property
    def output_dim(self) -> int:
        """Width of the output sequence, `units * directions`."""
        return self.units * (2 if self.bidirectional else 1)

    @classmethod
    def from_preset(cls, preset):
        """The backbone of a published or saved task model, with its
        trained weights (see `RecurrentModel.from_preset`).

        Example:

        >>> backbone = RecurrentBackbone.from_preset(
        ...     "sentiment_bilstm.imdb")  # doctest: +SKIP
        >>> tagger = SequenceTagger(num_tags=5,
        ...                         backbone=backbone)  # doctest: +SKIP
        """
        from rnnzoo.zoo.registry import load_task

        model = load_task(preset)
        backbone = getattr(model, "backbone", None)
        if not isinstance(backbone, cls):
            raise ValueError(
                f"The preset {preset!r} holds a {type(model).__name__}, "
                f"which has no {cls.__name__}"
            )
        return backbone


def recurrent_encoder(return_first_layer: bool = False, **arguments):
    """The input and the output sequence of a new `RecurrentBackbone`, for
    a functional model written by hand.

    Args:
        return_first_layer: Whether to also return the first recurrent
            layer's output sequence (see `RecurrentBackbone`).
        **arguments: Arguments of `RecurrentBackbone`.

    Returns:
        `(inputs, sequence)`: the backbone's `keras.Input` and its masked
        output sequence `(batch, steps, units * directions)`; with
        `return_first_layer=True`, `(inputs, sequence, first_sequence)`.

    Example:

    >>> inputs, sequence = recurrent_encoder(cell="gru", units=4,
    ...                                      vocab_size=10)
    >>> sequence.shape
    (None, None, 4)
    """
    backbone = RecurrentBackbone(
        return_first_layer=return_first_layer, **arguments
    )
    if return_first_layer:
        return backbone.input, backbone.output, backbone.first_layer_output
    return backbone.input, backbone.output
