"""The token side of generation, shared by the generating architectures
and their preprocessors: teacher-forcing targets, the special tokens and
the padding of generated ids, numeric inputs, and ids as text through a
vocabulary."""

import numpy as np
from keras import ops

from rnnzoo.validation import fail
from rnnzoo.validation import is_integer


def suppress_padding(logits):
    """Sets the logit of id 0 (padding) to `-inf`: a generated sequence
    never holds padding before its end, and scores are log-probabilities
    over the real tokens."""
    is_padding = ops.equal(ops.arange(ops.shape(logits)[-1]), 0)
    return ops.where(is_padding, float("-inf"), logits)


def shift_targets(target_ids, start_token: int, end_token: int):
    """The teacher-forcing pair of right-padded target ids.

    Args:
        target_ids: int `(batch, steps)` ids padded on the right with 0,
            without start or end tokens.
        start_token: Id that starts every decoder input.
        end_token: Id that ends every decoder target.

    Returns:
        `(target_in, target_out)`, int32 `(batch, steps + 1)`:
        `[start, t_1, ..., t_n, 0...]` and `[t_1, ..., t_n, end, 0...]`.

    Example:

    >>> target_in, target_out = shift_targets(np.array([[5, 6, 0]]), 1, 2)
    >>> ops.convert_to_numpy(target_in), ops.convert_to_numpy(target_out)
    (array([[1, 5, 6, 0]], dtype=int32), array([[5, 6, 2, 0]], dtype=int32))
    """
    ids = ops.convert_to_tensor(target_ids, dtype="int32")
    lengths = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=-1)
    padded = ops.pad(ids, ((0, 0), (0, 1)))
    positions = ops.arange(ops.shape(padded)[1], dtype="int32")
    at_end = ops.equal(positions[None, :], lengths[:, None])
    target_out = ops.where(at_end, end_token, padded)
    start = ops.full_like(ids[:, :1], start_token)
    return ops.concatenate([start, ids], axis=1), target_out


def before_end_mask(tokens, end_token):
    """Boolean `(batch, steps)`: `True` up to and including the first
    `end_token` of each row (everywhere when `end_token` is `None`)."""
    if end_token is None:
        return ops.ones_like(tokens, dtype="bool")
    ended = ops.cumsum(ops.cast(ops.equal(tokens, end_token), "int32"), 1)
    return ops.equal(ended - ops.cast(ops.equal(tokens, end_token), "int32"), 0)


def check_token_id(name: str, value, vocab_size: int) -> int:
    """Returns `value`, or raises unless it is an id in `1..vocab_size-1`
    (id 0 is padding): a start or end token.

    >>> check_token_id("end_token", 0, vocab_size=30)
    Traceback (most recent call last):
    ...
    ValueError: `end_token` must be a token id in 1..29 (0 is padding), got \
end_token=0
    """
    if not is_integer(value) or not 1 <= value < vocab_size:
        fail(name, f"a token id in 1..{vocab_size - 1} (0 is padding)", value)
    return int(value)


def check_special_tokens(start_token, end_token, vocab_size) -> None:
    """Raises unless `start_token` and `end_token` are distinct ids in
    `1..vocab_size-1` (id 0 is padding)."""
    check_token_id("start_token", start_token, vocab_size)
    check_token_id("end_token", end_token, vocab_size)
    if start_token == end_token:
        raise ValueError(
            "`start_token` and `end_token` must differ, got "
            f"start_token={start_token!r} and end_token={end_token!r}"
        )


def numeric_inputs(name: str, inputs) -> np.ndarray:
    """`inputs` as a NumPy array, or a clear error for text.

    The generating models read token ids (or frames, or images); a preset
    written by `rnnzoo.train` carries the vectorizer that turns text into
    ids. Strings would otherwise fail deep in a conversion to int.

    Raises:
        ValueError: `inputs` holds strings.
    """
    array = np.asarray(inputs)
    holds_text = array.dtype.kind in ("U", "S") or (
        array.dtype.kind == "O"
        and any(isinstance(item, (str, bytes)) for item in array.flat)
    )
    if holds_text:
        preview = array.flat[0] if array.size else ""
        raise ValueError(
            f"`{name}` must be numbers (token ids padded with 0 for text "
            f"models) or, for a model with a preprocessor, a string or a "
            f"list of strings; got strings nested as {type(inputs).__name__} "
            f"such as {str(preview)[:40]!r}"
        )
    return array


def to_vocabulary(vocabulary) -> list[str] | None:
    """A vocabulary as a list of strings (index = token id).

    Accepts a list or tuple of strings, or a layer with `get_vocabulary()`
    (`keras.layers.StringLookup`, `TextVectorization`), or `None`.
    """
    if vocabulary is None:
        return None
    if hasattr(vocabulary, "get_vocabulary"):
        vocabulary = vocabulary.get_vocabulary()
    if not isinstance(vocabulary, (list, tuple)) or not all(
        isinstance(token, str) for token in vocabulary
    ):
        raise ValueError(
            "`vocabulary` must be a list of strings (index = token id) or a "
            "layer with `get_vocabulary()` such as StringLookup, got "
            f"{type(vocabulary).__name__}"
        )
    return list(vocabulary)


def detokenize(
    tokens,
    vocabulary,
    separator=" ",
    end_token=None,
    skip=(0,),
    replacements=None,
):
    """Turns rows of token ids into strings.

    Each row stops before its first `end_token`; ids in `skip` (padding)
    are left out; the others are looked up in `vocabulary` and joined by
    `separator`.

    Args:
        tokens: int `(batch, steps)` ids.
        vocabulary: The tokens, index = id.
        separator: String between tokens.
        end_token: Optional id that ends a row.
        skip: Ids left out.
        replacements: Optional, per row, `{step: token}` written instead
            of the vocabulary's token at that step (see
            `unknown_word_replacements`).

    Example:

    >>> vocabulary = ["", "[start]", "[end]", "a", "b"]
    >>> detokenize([[3, 4, 2, 3], [4, 0, 0, 0]], vocabulary, end_token=2)
    ['a b', 'b']
    >>> detokenize([[3, 4, 2, 3]], vocabulary, end_token=2,
    ...            replacements=[{1: "dog"}])
    ['a dog']
    """
    texts = []
    for row_index, row in enumerate(np.asarray(tokens).tolist()):
        replaced = replacements[row_index] if replacements else {}
        words = []
        for step, token in enumerate(row):
            if end_token is not None and token == end_token:
                break
            if token in skip:
                continue
            words.append(replaced.get(step, vocabulary[token]))
        texts.append(separator.join(words))
    return texts


def unknown_word_replacements(tokens, alignments, source_words, unknown_id):
    """The source word each generated unknown token attends to most.

    A word-level translator writes `[UNK]` for a word outside its target
    vocabulary, often a name, a number or a rare noun; copying the source
    word that the attention weighted most at that step (Luong et al. 2015,
    "Addressing the Rare Word Problem in Neural Machine Translation") puts
    a readable word there instead.

    Args:
        tokens: int `(batch, steps)` generated ids.
        alignments: float `(batch, steps, source_steps)` attention weights
            of those steps (a `GenerationResult`'s `alignments`).
        source_words: Per row, the words of its source, one per source id.
        unknown_id: The id of `[UNK]` in the target vocabulary.

    Returns:
        Per row, `{step: source word}` for every step that holds
        `unknown_id` (and a source to copy from); `detokenize`'s
        `replacements`.

    Example:

    >>> alignments = np.array([[[0.2, 0.8], [0.9, 0.1]]])
    >>> unknown_word_replacements([[5, 1]], alignments, [["ein", "zebra"]], 1)
    [{1: 'ein'}]
    """
    tokens = np.asarray(tokens)
    alignments = np.asarray(alignments)
    if len(source_words) != len(tokens):
        raise ValueError(
            f"`source_words` must hold one list of words per generated row "
            f"({len(tokens)}), got {len(source_words)}"
        )
    replacements = []
    for row, words in enumerate(source_words):
        steps = np.flatnonzero(tokens[row] == unknown_id)
        width = min(len(words), alignments.shape[-1])
        if width == 0:
            replacements.append({})
            continue
        sources = np.argmax(alignments[row, steps, :width], axis=-1)
        replacements.append(
            {int(step): words[int(j)] for step, j in zip(steps, sources)}
        )
    return replacements
