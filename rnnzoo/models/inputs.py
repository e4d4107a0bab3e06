"""A model's sequence input: token ids through an embedding, or
real-valued features, with the mask that marks padded steps."""

import keras

from rnnzoo.validation import check_bool
from rnnzoo.validation import check_number
from rnnzoo.validation import check_positive_int


def check_sequence_input_arguments(
    vocab_size=None,
    embedding_dim=None,
    mask_zero=True,
    input_dim=None,
    mask_value=None,
    sequence_length=None,
) -> None:
    """Raises unless the arguments describe exactly one kind of input:
    token ids (`vocab_size`) or real-valued features (`input_dim`)."""
    if (vocab_size is None) == (input_dim is None):
        raise ValueError(
            "Pass exactly one of `vocab_size` (token id inputs) and "
            "`input_dim` (real-valued feature inputs), got "
            f"vocab_size={vocab_size!r} and input_dim={input_dim!r}"
        )
    if vocab_size is not None:
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("embedding_dim", embedding_dim, allow_none=True)
        check_bool("mask_zero", mask_zero)
        if mask_value is not None:
            raise ValueError(
                "`mask_value` applies to feature inputs (`input_dim`); token "
                "inputs are masked with `mask_zero=True`, got "
                f"mask_value={mask_value!r}"
            )
    else:
        check_positive_int("input_dim", input_dim)
        if embedding_dim is not None:
            raise ValueError(
                "`embedding_dim` applies to token inputs (`vocab_size`); "
                "feature inputs go to the recurrent layers as they are, got "
                f"embedding_dim={embedding_dim!r}"
            )
        check_number("mask_value", mask_value, allow_none=True)
    check_positive_int("sequence_length", sequence_length, allow_none=True)


def sequence_input(
    vocab_size: int | None = None,
    embedding_dim: int | None = None,
    mask_zero: bool = True,
    input_dim: int | None = None,
    mask_value: float | None = None,
    sequence_length: int | None = None,
    name: str | None = None,
    batch_size: int | None = None,
):
    """Creates a model's sequence input and the features it feeds forward.

    Token inputs are int32 ids `(batch, sequence_length)` looked up in a
    `keras.layers.Embedding`; with `mask_zero=True` id 0 is padding and its
    steps are masked. Feature inputs are float `(batch, sequence_length,
    input_dim)`; with `mask_value` set, a `keras.layers.Masking` masks the
    steps whose features all equal it. The mask travels with the features,
    so recurrent layers skip padded steps and pooling ignores them.

    Args:
        vocab_size: Number of token ids, padding included. Pass this or
            `input_dim`.
        embedding_dim: Width of the token embedding. Required with
            `vocab_size`.
        mask_zero: Whether token id 0 is padding. Default `True`.
        input_dim: Number of features per step. Pass this or `vocab_size`.
        mask_value: Feature value that marks a padded step, or `None` for
            no masking of feature inputs.
        sequence_length: Fixed number of steps, or `None` for any.
        name: Name of the `keras.Input`; default `"token_ids"` or
            `"features"`.
        batch_size: Fixed batch size, or `None` for any (a stateful
            model needs one).

    Returns:
        `(inputs, features)`: the `keras.Input` and the `(batch, steps,
        width)` tensor for the first recurrent layer.

    Example:

    >>> inputs, features = sequence_input(vocab_size=100, embedding_dim=8)
    >>> features.shape
    (None, None, 8)
    """
    check_sequence_input_arguments(
        vocab_size=vocab_size,
        embedding_dim=embedding_dim,
        mask_zero=mask_zero,
        input_dim=input_dim,
        mask_value=mask_value,
        sequence_length=sequence_length,
    )
    if vocab_size is not None:
        if embedding_dim is None:
            raise ValueError(
                "`embedding_dim` is required with token inputs, got "
                "embedding_dim=None"
            )
        inputs = keras.Input(
            shape=(sequence_length,),
            batch_size=batch_size,
            dtype="int32",
            name=name or "token_ids",
        )
        features = keras.layers.Embedding(
            vocab_size,
            embedding_dim,
            mask_zero=mask_zero,
            name="token_embedding",
        )(inputs)
        return inputs, features
    inputs = keras.Input(
        shape=(sequence_length, input_dim),
        batch_size=batch_size,
        name=name or "features",
    )
    features = inputs
    if mask_value is not None:
        features = keras.layers.Masking(mask_value, name="masking")(inputs)
    return inputs, features
