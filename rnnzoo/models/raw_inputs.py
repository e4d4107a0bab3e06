"""Telling raw inputs (texts, images) from model tensors, and the errors a
model gives when it meets the wrong kind.

A task's text-level calls (`translate(["..."])`, `generate(["..."])`,
`tag(["..."])`, `caption(images)`, `predict(["..."])`) hand raw inputs to
the task's `preprocessor` (see `rnnzoo.preprocessors`); the token-level
calls take ids as before. These helpers decide which is which.
"""

import numpy as np


def is_text(inputs) -> bool:
    """Whether `inputs` is a string or a batch of strings.

    A `str`, a non-empty list or tuple of `str`, or a NumPy array of
    strings (unicode, bytes or object dtype holding `str`/`bytes`).
    """
    if isinstance(inputs, (str, bytes)):
        return True
    if isinstance(inputs, (list, tuple)):
        return bool(inputs) and all(isinstance(x, (str, bytes)) for x in inputs)
    if isinstance(inputs, np.ndarray):
        if inputs.dtype.kind in "US":
            return True
        if inputs.dtype.kind == "O" and inputs.size:
            return all(isinstance(x, (str, bytes)) for x in inputs.flat)
    return False


def is_token_lists(inputs) -> bool:
    """Whether `inputs` is a batch of texts already split into tokens: a
    non-empty list of lists (or tuples) of `str`."""
    return (
        isinstance(inputs, (list, tuple))
        and bool(inputs)
        and all(
            isinstance(row, (list, tuple))
            and all(isinstance(token, str) for token in row)
            for row in inputs
        )
    )


def text_batch(name: str, inputs) -> list[str]:
    """`inputs` as a list of Python strings; raises if they are not text.

    Args:
        name: The argument's name, for the error message.
        inputs: A string or a batch of strings.
    """
    if not is_text(inputs):
        raise ValueError(
            f"`{name}` must be a string or a list of strings, got "
            f"{describe(inputs)}. For token ids, call the token-level "
            "method (e.g. `predict`, or `generate`/`translate` with an int "
            "array) instead."
        )
    if isinstance(inputs, (str, bytes)):
        inputs = [inputs]
    return [
        x.decode("utf-8") if isinstance(x, bytes) else str(x)
        for x in np.asarray(inputs, dtype=object).reshape(-1).tolist()
    ]


def describe(inputs) -> str:
    """A short description of a value, for error messages."""
    if isinstance(inputs, np.ndarray):
        return f"an array of dtype {inputs.dtype} and shape {inputs.shape}"
    if hasattr(inputs, "shape") and hasattr(inputs, "dtype"):
        return (
            f"a tensor of dtype {inputs.dtype} and shape {tuple(inputs.shape)}"
        )
    if isinstance(inputs, (list, tuple)) and inputs:
        return f"a {type(inputs).__name__} of {type(inputs[0]).__name__}"
    return f"{type(inputs).__name__} {inputs!r:.60}"


def require_preprocessor(model, call: str):
    """The model's preprocessor, or a clear error saying how to get one."""
    preprocessor = getattr(model, "preprocessor", None)
    if preprocessor is None:
        name = type(model).__name__
        raise ValueError(
            f"{name}.{call}() was given raw inputs (text or images), but "
            f"this {name} has no preprocessor to turn them into tensors. "
            "Load a published model with rnnzoo.create_model('NAME.TAG', "
            f"pretrained=True) or {name}.from_preset(path), which attach "
            "one; attach one yourself with `model.preprocessor = ...` (see "
            "rnnzoo.preprocessors); or pass the model's tensors (token ids) "
            "instead."
        )
    return preprocessor


def generate_texts(
    model, call: str, argument: str, inputs, generate, join=None, texts_of=None
) -> list[str]:
    """Runs a token-level generating call on raw texts and returns strings.

    Empty texts give empty strings without reaching the model; the others
    go through the model's preprocessor, `generate(ids)` (a
    `GenerationResult`) and back through `preprocessor.detokenize`.

    Args:
        model: The generating model.
        call: The name of the text-level call, for error messages.
        argument: The name of its text argument, for error messages.
        inputs: A string or a batch of strings.
        generate: The token-level call, `ids -> GenerationResult`.
        join: Optional `join(text, output)`, e.g. to put the prompt
            before a language model's continuation.
        texts_of: Optional `texts_of(result, texts)`, the strings of a
            `GenerationResult` for its input `texts`; default
            `preprocessor.detokenize(result.tokens)`.
    """
    preprocessor = require_preprocessor(model, call)
    texts = text_batch(argument, inputs)
    outputs = [""] * len(texts)
    present = [i for i, text in enumerate(texts) if text.strip()]
    if present:
        given = [texts[i] for i in present]
        result = generate(preprocessor.model_inputs(given))
        if texts_of is None:
            generated = preprocessor.detokenize(result.tokens)
        else:
            generated = texts_of(result, given)
        for i, text in zip(present, generated):
            outputs[i] = join(texts[i], text) if join else text
    return outputs
