"""Sentiment trees as the tensors a tree-structured model reads, and the
`sst_treebank` dataset.

A tree of N nodes, numbered in post-order (children before their parent,
the root last), becomes three arrays:

* `tokens` `(N,)`: each leaf's word, `INNER_NODE_TOKEN` (`""`) at a node
  with children, which the vocabulary maps to id 0 (no input);
* `children` `(N, arity)` int32: each node's children, left to right, as
  node indices of the same tree, `NO_CHILD` (-1) where there is none;
* `labels` `(N,)`: each node's class, `NO_LABEL` (-1) for a node without
  one.

Batches pad every tree to a bucket's number of nodes with padding nodes:
token id 0, no children and label -1, so that a model masks them and the
loss and metrics skip them (`PADDING_VALUES`).
"""

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import reject_options
from rnnzoo.data.sst_trees import NEUTRAL
from rnnzoo.data.sst_trees import SentimentTree
from rnnzoo.data.sst_trees import binary_label
from rnnzoo.data.sst_trees import read_split

INNER_NODE_TOKEN = ""
NO_CHILD = -1
NO_LABEL = -1
#: The children per node of SST's binarized trees.
BINARY = 2
#: The model inputs of a batch of trees.
TOKEN_IDS = "token_ids"
CHILDREN = "children"
TREE_DTYPES = {
    "tokens": tf.string,
    "children": tf.int32,
    "labels": tf.int64,
    "text": tf.string,
}


def tree_arrays(tree: SentimentTree, arity: int = BINARY) -> dict:
    """The arrays of one tree (see the module docstring).

    Args:
        tree: A `SentimentTree`.
        arity: The most children a node may have: the width of
            `children`.

    Returns:
        `{"tokens": (N,) str, "children": (N, arity) int32, "labels":
        (N,) int64}`.

    Raises:
        ValueError: a node has more than `arity` children.

    Example:

    >>> from rnnzoo.data.sst_trees import parse_tree
    >>> arrays = tree_arrays(parse_tree("(3 (2 It) (4 (2 's) (3 good)))"))
    >>> arrays["tokens"].tolist()
    ['It', "'s", 'good', '', '']
    >>> arrays["children"].tolist()
    [[-1, -1], [-1, -1], [-1, -1], [1, 2], [0, 3]]
    >>> arrays["labels"].tolist()
    [2, 2, 3, 4, 3]
    """
    children = np.full((tree.num_nodes, arity), NO_CHILD, dtype="int32")
    for node, kids in enumerate(tree.children):
        if len(kids) > arity:
            raise ValueError(
                f"A node with at most {arity} children was expected (the "
                f"`arity`), got node {node} with {len(kids)}: "
                f"{tree.phrase(node)!r}"
            )
        children[node, : len(kids)] = kids
    tokens = [
        INNER_NODE_TOKEN if index < 0 else tree.tokens[index]
        for index in tree.token_indices
    ]
    return {
        "tokens": np.array(tokens, dtype=object),
        "children": children,
        "labels": np.array(tree.labels, dtype="int64"),
    }


def load_sst_treebank(
    split: str, data_dir, binary: bool = False, **options
) -> tf.data.Dataset:
    """Loads the Stanford Sentiment Treebank as trees with a label on every
    node.

    Reads `data_dir/sst_trees/{train,dev,test}.txt.gz` (or the release's
    plain `trees/*.txt`): 8,544 / 1,101 / 2,210 binarized parse trees,
    every node labelled 0 (very negative) to 4 (very positive).

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the trees' folder.
        binary: SST-2: the trees whose root is not neutral (6,920 / 872 /
            1,821), labels 0 for 0-1 and 1 for 3-4, and -1 (no label, left
            out of the loss) on the neutral phrases inside them.
        **options: No others are accepted.

    Returns:
        A dataset of `{"tokens": string (N,), "children": int32 (N, 2),
        "labels": int64 (N,), "text": string ()}`: each tree's arrays (see
        `tree_arrays`) and its sentence, the words as in the file.
    """
    reject_options("sst_treebank", options)
    trees = read_split(split, data_dir, "sst_treebank")
    if binary:
        trees = [tree for tree in trees if tree.root_label != NEUTRAL]
    columns = {"tokens": [], "children": [], "labels": [], "text": []}
    for tree in trees:
        arrays = tree_arrays(tree)
        if binary:
            arrays["labels"] = np.array(
                [
                    NO_LABEL if label == NEUTRAL else binary_label(label)
                    for label in tree.labels
                ],
                dtype="int64",
            )
        for key, value in arrays.items():
            columns[key].append(value)
        columns["text"].append(tree.sentence)
    if not trees:
        raise DataFormatError(
            f"sst_treebank: the {split} split holds no tree whose root is "
            "not neutral."
        )
    return examples_dataset(columns, TREE_DTYPES)


def node_count(x, *rest):
    """The number of nodes of a formatted tree `({TOKEN_IDS, CHILDREN},
    labels)`: its length, for bucketing."""
    return tf.shape(x[TOKEN_IDS])[0]


def padding_values() -> tuple:
    """The padding of a formatted tree's tensors: token id 0, no child,
    no label."""
    return (
        {
            TOKEN_IDS: tf.constant(0, tf.int32),
            CHILDREN: tf.constant(NO_CHILD, tf.int32),
        },
        tf.constant(NO_LABEL, tf.int32),
    )


def pad_trees(
    token_ids: Sequence, children: Sequence, num_nodes: int | None = None
) -> dict:
    """Pads trees of different sizes into one batch of NumPy arrays.

    Args:
        token_ids: One `(N_i,)` array of token ids per tree.
        children: One `(N_i, arity)` array of children per tree.
        num_nodes: The padded number of nodes; default the largest tree's.

    Returns:
        `{TOKEN_IDS: (B, N) int32, CHILDREN: (B, N, arity) int32}`, padding
        nodes with token id 0 and no children.

    Example:

    >>> batch = pad_trees([[4, 5, 0], [6]], [[[-1, -1], [-1, -1], [0, 1]],
    ...                                      [[-1, -1]]])
    >>> batch["token_ids"].tolist()
    [[4, 5, 0], [6, 0, 0]]
    >>> batch["children"][1].tolist()
    [[-1, -1], [-1, -1], [-1, -1]]
    """
    if len(token_ids) != len(children):
        raise ValueError(
            "One children array per tree is needed, got "
            f"{len(token_ids)} token arrays and {len(children)} children "
            "arrays"
        )
    children = [np.asarray(kids, dtype="int32") for kids in children]
    arity = max(kids.shape[-1] for kids in children)
    longest = max(len(ids) for ids in token_ids)
    num_nodes = longest if num_nodes is None else num_nodes
    if num_nodes < longest:
        raise ValueError(
            f"`num_nodes` must hold the largest tree ({longest} nodes), got "
            f"num_nodes={num_nodes}"
        )
    batch_ids = np.zeros((len(token_ids), num_nodes), dtype="int32")
    batch_children = np.full(
        (len(token_ids), num_nodes, arity), NO_CHILD, dtype="int32"
    )
    for row, (ids, kids) in enumerate(zip(token_ids, children)):
        batch_ids[row, : len(ids)] = ids
        batch_children[row, : len(kids), : kids.shape[-1]] = kids
    return {TOKEN_IDS: batch_ids, CHILDREN: batch_children}
