"""Example to pattern (Gupta & Schütze 2018): the n-grams at which a
classifier makes up its mind, gathered over many texts into the patterns
it relies on for each class."""

import collections
from typing import NamedTuple

import keras
import numpy as np

from rnnzoo.inspect._sequences import separator_of
from rnnzoo.inspect.accumulation import semantic_accumulation
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import is_integer


class SalientPattern(NamedTuple):
    """A pattern that decided texts of one class.

    Attributes:
        pattern: The n-gram, its tokens joined as the model's text is
            (with spaces, or without for a character model).
        count: The number of texts it decided.
        mean_gain: The mean rise of the class's probability at its last
            token.
    """

    pattern: str
    count: int
    mean_gain: float


def salient_patterns(
    model: keras.Model,
    texts,
    labels=None,
    max_n: int = 3,
    top_k: int = 20,
    *,
    batch_size: int = 128,
) -> dict[str, list[SalientPattern]]:
    """The patterns a classifier relies on, per class (Example2pattern,
    Gupta & Schütze 2018).

    For each text, `semantic_accumulation` gives the probability `p_t` of
    its class after every prefix; the step with the largest gain `p_t -
    p_{t-1}` is where the classifier made up its mind (`p_{-1}`, before the
    first token, is the chance level `1 / classes`). The n-gram of at most
    `max_n` tokens that ends there is the text's salient pattern. Over all
    texts, the patterns of each class are counted and ranked by count (then
    by mean gain).

    A text's class is the class the model predicts for it; with `labels`,
    its true label, and the texts the model gets wrong are left out (their
    patterns did not lead to the right class).

    Args:
        model: A classifier, as for `semantic_accumulation`.
        texts: A batch of texts (for a model with a preprocessor or a
            `TextModel`) or token ids `(batch, T)` padded with 0.
        labels: Optional true labels, class ids or label names, one per
            text.
        max_n: Positive integer, the longest n-gram. Default 3.
        top_k: Positive integer, the patterns kept per class. Default 20.
        batch_size: How many prefixes run at once.

    Returns:
        `{class name: [SalientPattern(pattern, count, mean_gain), ...]}`,
        every class of the model, most frequent pattern first.

    Example:

    >>> model = SequenceClassifier(num_classes=2, vocab_size=10, units=4)
    >>> patterns = salient_patterns(model, np.array([[4, 2, 7], [5, 5, 0]]))
    >>> sorted(patterns), sum(p.count for ps in patterns.values() for p in ps)
    (['0', '1'], 2)
    """
    max_n = check_positive_int("max_n", max_n)
    top_k = check_positive_int("top_k", top_k)
    if isinstance(texts, str):
        raise ValueError(
            "`texts` must be a batch (a list of texts or ids (batch, T)), "
            f"got one text: texts={texts!r}"
        )
    accumulation = semantic_accumulation(model, texts, batch_size=batch_size)
    if accumulation.tokens is None or not accumulation.is_batch:
        raise ValueError(
            "`texts` must be a batch of texts or token ids (batch, T); "
            "patterns need tokens"
        )
    separator = separator_of(model)
    class_names = accumulation.class_names
    targets = _label_ids(labels, class_names, len(accumulation.lengths))
    found = collections.defaultdict(list)
    for index in range(len(accumulation.lengths)):
        probabilities, tokens = accumulation.sequence(index)
        predicted = int(np.argmax(probabilities[-1]))
        target = predicted if targets is None else int(targets[index])
        if target != predicted:
            continue
        curve = probabilities[:, target]
        before = np.concatenate([[1.0 / len(class_names)], curve[:-1]])
        gains = curve - before
        step = int(np.argmax(gains))
        start = max(0, step + 1 - max_n)
        pattern = separator.join(tokens[start : step + 1])
        found[target].append((pattern, float(gains[step])))
    return {
        name: _ranked(found[class_id], top_k)
        for class_id, name in enumerate(class_names)
    }


def _label_ids(labels, class_names, count):
    """Class ids of `labels` (ids or names), or `None`."""
    if labels is None:
        return None
    labels = np.asarray(labels, dtype=object).reshape(-1).tolist()
    if len(labels) != count:
        raise ValueError(
            f"`labels` must hold one label per text ({count}), got "
            f"{len(labels)} labels"
        )
    ids = []
    for label in labels:
        label = label.decode() if isinstance(label, bytes) else label
        if isinstance(label, str) and label in class_names:
            ids.append(class_names.index(label))
        elif is_integer(label) and 0 <= label < len(class_names):
            ids.append(int(label))
        else:
            raise ValueError(
                f"`labels` must be class ids in [0, {len(class_names)}) or "
                f"label names {class_names}, got the label {label!r}"
            )
    return np.asarray(ids)


def _ranked(occurrences, top_k):
    gains = collections.defaultdict(list)
    for pattern, gain in occurrences:
        gains[pattern].append(gain)
    ranked = sorted(
        (
            SalientPattern(pattern, len(values), float(np.mean(values)))
            for pattern, values in gains.items()
        ),
        key=lambda item: (-item.count, -item.mean_gain, item.pattern),
    )
    return ranked[:top_k]
