"""What the explanations share: one sequence or a batch of them (raw texts,
token ids or features) turned into the tensors of the model that reads
them, with each sequence's length and tokens, and a stateful model run as
a stateless one."""

import contextlib
import dataclasses

import keras
import numpy as np

from rnnzoo.inspect._model_parts import find_embedding
from rnnzoo.inspect._model_parts import find_masking
from rnnzoo.inspect._model_parts import replaced_attribute
from rnnzoo.inspect._model_parts import walk_layers
from rnnzoo.models.characters import TOKEN_IDS
from rnnzoo.models.raw_inputs import describe
from rnnzoo.models.raw_inputs import is_text
from rnnzoo.models.raw_inputs import text_batch
from rnnzoo.models.text_input import TextModel


@dataclasses.dataclass
class Sequences:
    """A batch of sequences ready for `model`.

    Attributes:
        model: The model that takes `inputs`: the model given, or the
            token model inside a `TextModel`.
        inputs: Its batch: token ids `(batch, T)`, features `(batch, T,
            features)` or a dict of them, padded on the right.
        lengths: int `(batch,)`, the real steps of each row.
        tokens: One list of token strings per row (its real steps), or
            `None` for features.
        separator: What joins tokens into text: `""` for characters,
            `" "` otherwise.
        single: Whether one sequence was given (results drop the batch
            axis).
        padding: How a row is shortened to a prefix: `"ids"` (padding id
            0, masked by the embedding), `"mask_value"` (the `Masking`
            value) or `None` (no padding: prefixes are cut instead).
        mask_value: The `Masking` value, for `padding="mask_value"`.
    """

    model: keras.Model
    inputs: object
    lengths: np.ndarray
    tokens: list | None
    separator: str
    single: bool
    padding: str | None
    mask_value: float | None = None

    @property
    def steps(self) -> int:
        """The padded number of steps `T`."""
        return int(keras.tree.flatten(self.inputs)[0].shape[1])

    def unbatch(self, values):
        """`values[0]` for a single sequence, else `values`."""
        return values[0] if self.single else values

    def prefixes(self, rows, lengths):
        """Rows `rows` of the batch cut to their first `lengths` steps,
        padded to the longest of them."""
        steps = int(max(lengths))
        keep = np.arange(steps)[None, :] < np.asarray(lengths)[:, None]

        def cut(values):
            values = np.asarray(values)[rows, :steps]
            fill = 0 if self.padding == "ids" else self.mask_value
            shape = keep.shape + (1,) * (values.ndim - 2)
            return np.where(keep.reshape(shape), values, fill).astype(
                values.dtype
            )

        return keras.tree.map_structure(cut, self.inputs)


def vocabulary_of(model) -> list[str] | None:
    """The strings of the model's input token ids, where it knows them."""
    if isinstance(model, TextModel):
        get = getattr(model.vectorizer, "get_vocabulary", None)
        return list(get()) if get is not None else None
    preprocessor = getattr(model, "preprocessor", None)
    if preprocessor is not None:
        vocabulary = getattr(preprocessor, "vocabulary", None)
        if vocabulary is not None:
            return list(vocabulary)
        vectorizer = getattr(preprocessor, "vectorizer", None)
        feature = getattr(preprocessor, "feature", None) or getattr(
            preprocessor, "tokens_feature", None
        )
        if vectorizer is not None and feature is not None:
            return list(vectorizer.vocabulary(feature))
    vocabulary = getattr(model, "vocabulary", None)
    if isinstance(vocabulary, (list, tuple)):
        return list(vocabulary)
    return None


def separator_of(model) -> str:
    """`""` for a character model, `" "` otherwise."""
    for owner in (getattr(model, "preprocessor", None), model):
        separator = getattr(owner, "separator", None)
        if isinstance(separator, str):
            return separator
    return " "


def _token_ids(inputs):
    if isinstance(inputs, dict):
        return np.asarray(inputs.get(TOKEN_IDS, next(iter(inputs.values()))))
    return np.asarray(inputs)


def _lengths_of_ids(ids, mask_zero):
    if not mask_zero:
        return np.full(len(ids), ids.shape[1])
    real = ids != 0
    return np.where(
        real.any(axis=1), ids.shape[1] - np.argmax(real[:, ::-1], 1), 0
    )


def prepare_sequences(model, inputs, name: str = "inputs") -> Sequences:
    """Turns `inputs` into a batch for `model`; see `Sequences`.

    One sequence is a string, token ids `(T,)` or features `(T,
    features)`; a batch is a list of strings, ids `(batch, T)`, features
    `(batch, T, features)` or a dict of arrays (token and character ids).
    Strings need a model that takes them: a `TextModel`, or a model with a
    preprocessor (as published models have).
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model, got model={model!r}")
    run_model, single = model, False
    if is_text(inputs):
        single = isinstance(inputs, (str, bytes))
        texts = text_batch(name, inputs)
        if isinstance(model, TextModel):
            run_model = model.model
            inputs = np.asarray(model.vectorizer(np.array(texts, dtype=object)))
        elif getattr(model, "preprocessor", None) is not None:
            inputs = model.preprocessor.model_inputs(texts)
        else:
            raise ValueError(
                f"`{name}` holds text, but {type(model).__name__} "
                f"'{model.name}' has no preprocessor to turn it into token "
                "ids; pass token ids, or a model loaded with "
                "`rnnzoo.create_model(..., pretrained=True)`"
            )
    elif isinstance(model, TextModel):
        run_model = model.model
    if isinstance(inputs, dict):
        inputs = {key: np.asarray(value) for key, value in inputs.items()}
    else:
        inputs = np.asarray(keras.ops.convert_to_numpy(inputs))
    embedding = find_embedding(run_model)
    if embedding is not None:
        return _token_sequences(
            model, run_model, embedding, inputs, single, name
        )
    return _feature_sequences(model, run_model, inputs, single, name)


def _token_sequences(model, run_model, embedding, inputs, single, name):
    ids = _token_ids(inputs)
    if not isinstance(inputs, dict) and ids.ndim == 1:
        single, inputs = True, ids[None]
        ids = inputs
    if ids.ndim != 2 or ids.dtype.kind not in "iu" or ids.shape[1] == 0:
        raise ValueError(
            f"`{name}` must be token ids (T,) or (batch, T) with T >= 1 (or "
            f"texts, for a model with a preprocessor), got {describe(ids)}"
        )
    lengths = _lengths_of_ids(ids, embedding.mask_zero)
    vocabulary = vocabulary_of(model)
    tokens = [
        [
            vocabulary[i] if vocabulary and 0 <= i < len(vocabulary) else str(i)
            for i in row[:length].tolist()
        ]
        for row, length in zip(ids, lengths)
    ]
    return Sequences(
        model=run_model,
        inputs=inputs,
        lengths=lengths,
        tokens=tokens,
        separator=separator_of(model),
        single=single,
        padding="ids" if embedding.mask_zero else None,
    )


def _feature_sequences(model, run_model, features, single, name):
    if isinstance(features, dict) or features.dtype.kind not in "fiu":
        raise ValueError(
            f"`{name}` must be features (T, features) or (batch, T, "
            f"features) for a model without an Embedding, got "
            f"{describe(features)}"
        )
    if features.ndim == 2:
        single, features = True, features[None]
    if features.ndim != 3 or features.shape[1] == 0:
        raise ValueError(
            f"`{name}` must be features (T, features) or (batch, T, "
            f"features) with T >= 1, got {describe(features)}"
        )
    masking = find_masking(run_model)
    if masking is None:
        lengths = np.full(len(features), features.shape[1])
    else:
        real = np.any(features != masking.mask_value, axis=-1)
        lengths = np.where(
            real.any(axis=1),
            features.shape[1] - np.argmax(real[:, ::-1], axis=1),
            0,
        )
    return Sequences(
        model=run_model,
        inputs=features.astype("float32"),
        lengths=lengths,
        tokens=None,
        separator=" ",
        single=single,
        padding=None if masking is None else "mask_value",
        mask_value=None if masking is None else masking.mask_value,
    )


@contextlib.contextmanager
def stateless(model):
    """Runs a stateful model's recurrent layers as stateless ones for the
    length of the block: each call starts from zero states and leaves the
    carried states as they were, for any batch size."""
    with contextlib.ExitStack() as stack:
        for layer in walk_layers(model):
            for part in (
                layer,
                getattr(layer, "forward_layer", None),
                getattr(layer, "backward_layer", None),
            ):
                if isinstance(part, keras.layers.RNN) and part.stateful:
                    stack.enter_context(
                        replaced_attribute(part, "stateful", False)
                    )
        yield
