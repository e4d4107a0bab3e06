"""Layer-wise semantic accumulation, LISA (Gupta & Schütze 2018, "LISA:
Explaining recurrent neural network judgments via layer-wise semantic
accumulation and example to pattern transformation"): how a classifier's
judgment builds up as it reads a sequence, one prefix at a time."""

import dataclasses

import keras
import numpy as np

from rnnzoo.inspect._model_parts import output_layer
from rnnzoo.inspect._model_parts import replaced_attribute
from rnnzoo.inspect._sequences import prepare_sequences
from rnnzoo.inspect._sequences import stateless
from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.validation import check_positive_int


@dataclasses.dataclass
class SemanticAccumulation:
    """What `semantic_accumulation` found.

    Step `t` (counted from 0) is the prediction after reading the prefix
    `x_0..x_t`, i.e. `t + 1` tokens.

    Attributes:
        probabilities: The class probabilities after every prefix: `(T,
            classes)` for one sequence, `(batch, T, classes)` for a batch,
            NaN at the padded steps after a sequence's end.
        lengths: The real steps of the sequence (an int), or of each
            sequence `(batch,)`.
        tokens: The tokens read at each step (a list of strings, or one
            list per sequence), or `None` for feature inputs.
        class_names: The name of each class: the model's label names where
            its preprocessor has them, else `"0"`, `"1"`, ...
    """

    probabilities: np.ndarray
    lengths: np.ndarray | int
    tokens: list | None
    class_names: list[str]

    @property
    def is_batch(self) -> bool:
        """Whether the results hold a batch (else one sequence)."""
        return self.probabilities.ndim == 3

    def sequence(self, index: int = 0) -> tuple:
        """`(probabilities, tokens)` of one sequence over its real steps:
        `(length, classes)` and a list of strings (or `None`); `index` is
        the sequence's row in a batch."""
        if not self.is_batch:
            return self.probabilities[: self.lengths], self.tokens
        count = len(self.probabilities)
        if isinstance(index, bool) or not isinstance(index, int):
            index = None
        if index is None or not -count <= index < count:
            raise ValueError(
                f"`index` must be a row of the batch, in [0, {count}), "
                f"got index={index!r}"
            )
        length = int(self.lengths[index])
        tokens = None if self.tokens is None else self.tokens[index]
        return self.probabilities[index, :length], tokens


def semantic_accumulation(
    model: keras.Model, inputs, *, batch_size: int = 128
) -> SemanticAccumulation:
    """The class probabilities of a classifier after every prefix of its
    input (LISA, Gupta & Schütze 2018).

    For every step `t`, the probabilities the classifier gives the prefix
    `x_0..x_t`: the judgment as it accumulates, word by word. A
    unidirectional rnnzoo classifier (a `RecurrentBackbone` without
    `bidirectional`) reads a prefix exactly as the start of the whole
    sequence, so its states are computed once and only the pooling and the
    output layer run per prefix. Any other model, a bidirectional one
    (whose backward direction must not see past the prefix) included,
    runs on every prefix. Either way the result is the model's prediction
    on each prefix; the model runs in inference mode, a stateful one from
    zero states (its carried states are left as they were).

    Probabilities: a softmax output as it is; a one-unit sigmoid output
    as two classes `[1 - p, p]`; several sigmoid units (multi-label) as
    their independent probabilities; logits through a softmax (or a
    sigmoid for one unit).

    Args:
        model: A classifier whose first output is `(batch, classes)`, e.g.
            a `SequenceClassifier`, a published one (which takes raw
            text), or a `TextModel`.
        inputs: One sequence (a string, token ids `(T,)` or features `(T,
            features)`) or a batch (a list of strings, ids `(batch, T)`
            padded on the right with 0, features `(batch, T, features)`).
            Strings need a model with a preprocessor or a `TextModel`.
        batch_size: How many prefixes run at once.

    Returns:
        A `SemanticAccumulation`, whose `probabilities` are `(T, classes)`
        for one sequence and `(batch, T, classes)` for a batch.

    Example:

    >>> model = SequenceClassifier(num_classes=3, vocab_size=10, units=4)
    >>> result = semantic_accumulation(model, np.array([4, 2, 7]))
    >>> result.probabilities.shape
    (3, 3)
    >>> final = model(np.array([[4, 2, 7]]))
    >>> np.allclose(result.probabilities[-1], final[0], atol=1e-6)
    True
    """
    batch_size = check_positive_int("batch_size", batch_size)
    sequences = prepare_sequences(model, inputs)
    if np.any(sequences.lengths == 0):
        empty = np.flatnonzero(sequences.lengths == 0).tolist()
        raise ValueError(
            "`inputs` must hold at least one real (unpadded) step in every "
            f"sequence, got empty sequences at rows {empty}"
        )
    rows = np.repeat(np.arange(len(sequences.lengths)), sequences.lengths)
    prefix_lengths = np.concatenate(
        [np.arange(1, length + 1) for length in sequences.lengths]
    )
    with stateless(sequences.model):
        stack = _causal_stack(sequences)
        if sequences.padding is None:
            outputs = _outputs_of_cut_prefixes(sequences, batch_size)
        else:
            outputs = _outputs_of_padded_prefixes(
                sequences, rows, prefix_lengths, batch_size, stack
            )
    probabilities = _as_probabilities(outputs, sequences.model)
    grid = np.full(
        (len(sequences.lengths), sequences.steps, probabilities.shape[-1]),
        np.nan,
    )
    grid[rows, prefix_lengths - 1] = probabilities
    lengths = sequences.lengths.astype(int)
    return SemanticAccumulation(
        probabilities=sequences.unbatch(grid),
        lengths=int(lengths[0]) if sequences.single else lengths,
        tokens=None
        if sequences.tokens is None
        else sequences.unbatch(sequences.tokens),
        class_names=_class_names(model, probabilities.shape[-1]),
    )


def _first_output(outputs):
    outputs = keras.tree.flatten(outputs)[0]
    if len(outputs.shape) != 2:
        raise ValueError(
            "`semantic_accumulation` needs a classifier, one output "
            "(batch, classes) per sequence, got an output of shape "
            f"{tuple(outputs.shape)}"
        )
    return np.asarray(keras.ops.convert_to_numpy(outputs), dtype="float64")


def _causal_stack(sequences):
    """The layer that makes a unidirectional backbone's output sequence,
    or `None` where a prefix must be run from its start."""
    backbone = getattr(sequences.model, "backbone", None)
    if (
        not isinstance(backbone, RecurrentBackbone)
        or backbone.bidirectional
        or sequences.padding is None
    ):
        return None
    return output_layer(backbone)


def _outputs_of_padded_prefixes(sequences, rows, lengths, batch_size, stack):
    """The model's outputs for every prefix, `(prefixes, units)`.

    Prefixes run in chunks of similar length (sorted), each padded to its
    longest. With a causal `stack`, the backbone runs once per sequence,
    and `stack` hands each prefix the start of that output sequence: the
    mask of the padded prefix then limits the pooling to it.
    """
    model = sequences.model
    states = None
    if stack is not None:
        states = np.concatenate(
            [
                keras.ops.convert_to_numpy(
                    model.backbone(
                        keras.tree.map_structure(
                            lambda values, start=start: values[
                                start : start + batch_size
                            ],
                            sequences.inputs,
                        ),
                        training=False,
                    )
                )
                for start in range(0, len(sequences.lengths), batch_size)
            ]
        )
    order = np.argsort(lengths, kind="stable")
    outputs = np.empty((len(order), 0))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        inputs = sequences.prefixes(rows[chunk], lengths[chunk])
        if states is None:
            chunk_outputs = model(inputs, training=False)
        else:
            prefix_states = keras.ops.convert_to_tensor(
                states[rows[chunk], : lengths[chunk].max()]
            )
            with replaced_attribute(
                stack, "call", lambda *args, s=prefix_states, **kwargs: s
            ):
                chunk_outputs = model(inputs, training=False)
        chunk_outputs = _first_output(chunk_outputs)
        if outputs.shape[1] == 0:
            outputs = np.empty((len(order), chunk_outputs.shape[1]))
        outputs[chunk] = chunk_outputs
    return outputs


def _outputs_of_cut_prefixes(sequences, batch_size):
    """The outputs for every prefix of sequences that cannot be padded
    (all of length `T`), in the order `(sequence, step)`."""
    count, steps = len(sequences.lengths), sequences.steps
    outputs = None
    for step in range(1, steps + 1):
        for start in range(0, count, batch_size):
            inputs = keras.tree.map_structure(
                lambda values, start=start, step=step: values[
                    start : start + batch_size, :step
                ],
                sequences.inputs,
            )
            values = _first_output(sequences.model(inputs, training=False))
            if outputs is None:
                outputs = np.empty((count, steps, values.shape[1]))
            outputs[start : start + batch_size, step - 1] = values
    return outputs.reshape(count * steps, -1)


def _sigmoid(values):
    return 0.5 * (1.0 + np.tanh(0.5 * values))


def _as_probabilities(outputs, model):
    """`(prefixes, classes)` probabilities from the model's outputs."""
    activation = getattr(output_layer(model), "activation", None)
    name = getattr(activation, "__name__", "linear")
    if outputs.shape[1] == 1:
        positive = (
            outputs[:, 0] if name == "sigmoid" else _sigmoid(outputs[:, 0])
        )
        return np.stack([1.0 - positive, positive], axis=1)
    if name in ("softmax", "sigmoid"):
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _class_names(model, num_classes):
    names = getattr(getattr(model, "preprocessor", None), "label_names", None)
    if names and len(names) == num_classes:
        return [str(name) for name in names]
    return [str(i) for i in range(num_classes)]
