"""The preprocessor of tree classifiers: sentences (or their bracketed
parses) in, batches of trees out; class ids back to label names."""

import re

import numpy as np
import tensorflow as tf

from rnnzoo.data.tree_batches import INNER_NODE_TOKEN
from rnnzoo.data.tree_batches import NO_CHILD
from rnnzoo.data.tree_batches import pad_trees
from rnnzoo.data.tree_text import FALLBACK_SHAPES
from rnnzoo.data.tree_text import TreeStructure
from rnnzoo.data.tree_text import fallback_tree
from rnnzoo.data.tree_text import parse_bracketed
from rnnzoo.models.raw_inputs import text_batch
from rnnzoo.preprocessors.base import Preprocessor
from rnnzoo.preprocessors.base import check_vectorizer
from rnnzoo.preprocessors.base import dataset_label_names
from rnnzoo.preprocessors.base import register_preprocessor
from rnnzoo.preprocessors.text import split_words
from rnnzoo.validation import check_choice

# The treebank writes brackets in the text as Penn Treebank tokens.
_BRACKET_TOKENS = {"(": "-LRB-", ")": "-RRB-", "[": "-LSB-", "]": "-RSB-"}
# Penn Treebank tokens that a text already split keeps whole.
_TREEBANK_TOKENS = re.compile(r"-[LR][RSC]B-|``|''")
_BINARY_NAMES = ("negative", "positive")


def sentence_tokens(text: str) -> list[str]:
    """The words of a plain sentence, split as the treebank splits them:
    punctuation apart, clitics off (`does n't`, `film 's`), brackets as
    `-LRB-` and `-RRB-`; the treebank's own tokens (`-LRB-`, `` `` ``)
    stay whole, so its sentences split as they were.

    Example:

    >>> sentence_tokens("It doesn't work (at all).")
    ['It', 'does', "n't", 'work', '-LRB-', 'at', 'all', '-RRB-', '.']
    >>> sentence_tokens("-LRB- sic -RRB- `` fun ''")
    ['-LRB-', 'sic', '-RRB-', '``', 'fun', "''"]
    """
    words = []
    for chunk in text.split():
        if _TREEBANK_TOKENS.fullmatch(chunk):
            words.append(chunk)
        else:
            words += [_BRACKET_TOKENS.get(w, w) for w in split_words(chunk)]
    return words


@register_preprocessor("tree_classification")
class TreeClassifierPreprocessor(Preprocessor):
    """Sentences in, trees of token ids out; class ids back to label
    names.

    A tree classifier reads a sentence through its parse tree, and this
    preprocessor parses nothing itself:

    * a text that starts with `(` is a bracketed tree, from a parser
      (`(ROOT (S (NP (DT a) (NN film)) ...))`) or in SST's form (`(3 (2
      a) (3 film))`): its labels are ignored, unary chains folded and
      wider nodes binarized (`rnnzoo.data.tree_text.parse_bracketed`);
    * any other text is split into words as the treebank splits them
      (`sentence_tokens`) and read through a `fallback` binary tree over
      them (`rnnzoo.data.tree_text.fallback_tree`): not the sentence's
      parse, so expect somewhat lower accuracy than with a parser's tree.

    An empty text is one unknown word.

    Args:
        vectorizer: The run's `Vectorizer`.
        feature: The vectorizer's word feature; default its first.
        label_names: Names of the classes (index = class id), or `None`.
        fallback: The tree over a plain sentence's words: `"balanced"`
            (default), `"right_branching"` or `"left_branching"`.

    Example:

    >>> from rnnzoo.data.vectorizers import Vectorizer, token_lookup
    >>> vectorizer = Vectorizer({"tokens": token_lookup()},
    ...                         lowercase=["tokens"]).adapt(
    ...     tf.data.Dataset.from_tensor_slices(
    ...         {"tokens": [["a", "a", "a", "fine", "fine", "film"]]}))
    >>> preprocessor = TreeClassifierPreprocessor(vectorizer)
    >>> batch = preprocessor.model_inputs(["A fine film", "(S (NN film))"])
    >>> batch["token_ids"]
    array([[2, 3, 0, 4, 0],
           [4, 0, 0, 0, 0]], dtype=int32)
    >>> batch["children"][0].tolist()
    [[-1, -1], [-1, -1], [0, 1], [-1, -1], [2, 3]]
    """

    def __init__(
        self,
        vectorizer=None,
        feature=None,
        label_names=None,
        fallback="balanced",
    ):
        super().__init__(vectorizer, label_names)
        check_choice("fallback", fallback, FALLBACK_SHAPES)
        self.fallback = fallback
        self.feature = feature or (
            vectorizer.features[0] if vectorizer is not None else None
        )
        check_vectorizer(self, [self.feature])

    def tree_structures(self, raw) -> list[TreeStructure]:
        """The tree each raw text is read through (see the class
        docstring)."""
        structures = []
        for text in text_batch("x", raw):
            if text.lstrip().startswith("("):
                structures.append(parse_bracketed(text))
            else:
                tokens = sentence_tokens(text) or ["[UNK]"]
                structures.append(fallback_tree(tokens, self.fallback))
        return structures

    def tree_inputs(self, structures) -> dict:
        """The model's batch of trees for `TreeStructure`s: token ids `(B,
        N)`, 0 at inner and padding nodes, and children `(B, N, 2)`, -1
        where there is none."""
        token_rows, children_rows = [], []
        for tree in structures:
            words = [
                INNER_NODE_TOKEN if kids else tree.tokens[start]
                for kids, (start, _) in zip(tree.children, tree.spans())
            ]
            ids = self.vectorizer.vectorize(
                self.feature, tf.constant(words, dtype=tf.string)
            )
            children = np.full((tree.num_nodes, 2), NO_CHILD, "int32")
            for node, kids in enumerate(tree.children):
                children[node, : len(kids)] = kids
            token_rows.append(ids.numpy())
            children_rows.append(children)
        return pad_trees(token_rows, children_rows)

    def model_inputs(self, raw):
        return self.tree_inputs(self.tree_structures(raw))

    def get_config(self):
        return {
            **super().get_config(),
            "feature": self.feature,
            "fallback": self.fallback,
        }

    @classmethod
    def from_model(cls, model, vectorizer, metadata):
        names = dataset_label_names(metadata)
        classes = getattr(model, "num_classes", None)
        if names is not None and len(names) != classes:
            # SST-2 trees (`binary=True`) of a five-class treebank.
            names = _BINARY_NAMES if classes == 2 else None
        return cls(vectorizer, label_names=names)

    def __repr__(self):
        return (
            f"{type(self).__name__}({self.vectorizer!r}, plain text read "
            f"through {self.fallback.replace('_', '-')} binary trees)"
        )
