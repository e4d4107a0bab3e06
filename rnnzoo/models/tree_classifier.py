"""Tree-structured classification: a class at every node of a sentence's
parse tree (Tai et al. 2015, "Improved semantic representations from
tree-structured long short-term memory networks")."""

import keras
import numpy as np
from keras import ops

from rnnzoo.layers import TreeLSTM
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.raw_inputs import is_text
from rnnzoo.models.raw_inputs import require_preprocessor
from rnnzoo.models.raw_inputs import text_batch
from rnnzoo.models.tree_metrics import NodeAccuracy
from rnnzoo.models.tree_metrics import NodeLoss
from rnnzoo.models.tree_metrics import RootAccuracy
from rnnzoo.models.tree_metrics import RootBinaryAccuracy
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_int
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_rate

TOKEN_IDS = "token_ids"
CHILDREN = "children"
OBJECTIVES = ("nodes", "root")
NO_CHILD = -1


def random_trees(rng, batch_size: int, max_words: int, vocab_size: int):
    """Random binary trees of 1 to `max_words` words, padded: `{TOKEN_IDS:
    (batch, nodes), CHILDREN: (batch, nodes, 2)}`, token ids in `2 ..
    vocab_size - 1` at the leaves (1, unknown, where the vocabulary is too
    small)."""
    token_rows, children_rows = [], []
    for _ in range(batch_size):
        open_nodes, ids, children = [], [], []
        for _ in range(int(rng.integers(1, max_words + 1))):
            ids.append(int(rng.integers(min(2, vocab_size - 1), vocab_size)))
            children.append([NO_CHILD, NO_CHILD])
            open_nodes.append(len(ids) - 1)
            # Join the last two open nodes at random, all at the end.
            while len(open_nodes) > 1 and rng.random() < 0.5:
                right, left = open_nodes.pop(), open_nodes.pop()
                ids.append(0)
                children.append([left, right])
                open_nodes.append(len(ids) - 1)
        while len(open_nodes) > 1:
            right, left = open_nodes.pop(), open_nodes.pop()
            ids.append(0)
            children.append([left, right])
            open_nodes.append(len(ids) - 1)
        token_rows.append(ids)
        children_rows.append(children)
    nodes = max(len(ids) for ids in token_rows)
    token_ids = np.zeros((batch_size, nodes), "int32")
    children = np.full((batch_size, nodes, 2), NO_CHILD, "int32")
    for row, (ids, kids) in enumerate(zip(token_rows, children_rows)):
        token_ids[row, : len(ids)] = ids
        children[row, : len(kids)] = kids
    return {TOKEN_IDS: token_ids, CHILDREN: children}


@keras.saving.register_keras_serializable(package="rnnzoo")
class TreeClassifier(RecurrentModel):
    """A tree-structured classifier: a class at every node of a tree, as
    Tai et al. (2015) classify the sentiment of every phrase of a
    sentence's parse.

    ```
    token_ids -> Embedding (zero at inner nodes) -> dropout
              -> TreeLSTM (any tree cell), over `children`
              -> dropout -> Dense(num_classes) at every node (or the root)
    ```

    Inputs are a dict of two tensors, nodes in post-order (children
    before their parent, the root last):

    * `"token_ids"` int `(batch, nodes)`: each leaf's word id; 0 at an
      inner node (no word) and at a padding node; 1 for an unknown word;
    * `"children"` int `(batch, nodes, arity)`: the indices of each node's
      children within its tree, -1 where there is none.

    A node with neither a word nor a child is padding (masked).
    `rnnzoo.data.make_pipeline("sst_treebank", ...)` gives such batches,
    and a preprocessor (`rnnzoo.preprocessors.TreeClassifierPreprocessor`,
    which a published model carries) builds them from sentences.

    With `objective="nodes"` (default) the model predicts every node,
    `(batch, nodes, num_classes)`, and trains on every labelled node (a
    label of -1, as padding nodes have, is left out): Tai et al.'s loss
    over all the phrases of the treebank. With `objective="root"` it
    predicts the root alone, `(batch, num_classes)`, and trains on the
    sentence's label. The loss is the mean cross-entropy of the labelled
    nodes (`NodeLoss`). Either way `compile()` defaults to the root's
    accuracy (`"accuracy"`) and, for positive against negative with the
    neutral middle class left out, its binary accuracy
    (`"binary_accuracy"`; see `rnnzoo.models.tree_metrics`); with
    `objective="nodes"` also the accuracy over all labelled nodes
    (`"node_accuracy"`).

    Args:
        num_classes: Integer >= 2, the number of classes (SST: 5).
        vocab_size: Number of token ids, padding (0) and unknown (1)
            included.
        cell: A registered tree cell (`rnnzoo.layers.tree_cell_names()`):
            `"nary_tree_lstm"` (default; Tai et al.'s constituency
            Tree-LSTM, a forget gate per child position),
            `"child_sum_tree_lstm"` or `"tree_rnn"`.
        units: Positive integer, the width of the tree cell. Default 150.
        embedding_dim: Width of the word embeddings; default `units`.
        dropout: Float in `[0, 1)`, dropout on the nodes' states before
            the softmax.
        embedding_dropout: Float in `[0, 1)`, dropout on the word
            embeddings.
        l2: L2 penalty on the cell's and the head's weights (not the
            embeddings, whose rows are updated sparsely). Default 0.
        objective: `"nodes"` or `"root"`, see above.
        binary_loss_weight: Float >= 0: the loss also counts, with this
            weight, each labelled non-neutral node's binary cross-entropy
            of positive against negative, from the same softmax (see
            `rnnzoo.models.tree_metrics.NodeLoss`). Default 0.
        activation: `"softmax"` (default) or `None` for logits.
        cell_kwargs: Dict of further arguments of the cell, e.g.
            `{"arity": 3}` (then `children` has 3 slots).
        **kwargs: Arguments of `keras.Model` (`name`, `trainable`).

    Example:

    >>> model = TreeClassifier(num_classes=5, vocab_size=20, units=8)
    >>> model.compile()
    >>> trees = {  # ((w4 w5) w6), and (w7 w8) padded by two nodes
    ...     "token_ids": np.array([[4, 5, 0, 6, 0], [7, 8, 0, 0, 0]]),
    ...     "children": np.array([
    ...         [[-1, -1], [-1, -1], [0, 1], [-1, -1], [2, 3]],
    ...         [[-1, -1], [-1, -1], [0, 1], [-1, -1], [-1, -1]]]),
    ... }
    >>> model.predict(trees, verbose=0).shape
    (2, 5, 5)
    >>> len(model.predict_labels(trees))
    2
    """

    def __init__(
        self,
        num_classes: int,
        vocab_size: int,
        cell: str = "nary_tree_lstm",
        units: int = 150,
        embedding_dim: int | None = None,
        dropout: float = 0.0,
        embedding_dropout: float = 0.0,
        l2: float = 0.0,
        objective: str = "nodes",
        binary_loss_weight: float = 0.0,
        activation: str | None = "softmax",
        cell_kwargs: dict | None = None,
        **kwargs,
    ):
        check_int("num_classes", num_classes, low=2)
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("units", units)
        check_positive_int("embedding_dim", embedding_dim, allow_none=True)
        check_rate("dropout", dropout)
        check_rate("embedding_dropout", embedding_dropout)
        for name, value in (
            ("l2", l2),
            ("binary_loss_weight", binary_loss_weight),
        ):
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f"`{name}` must be a number >= 0, got {name}={value!r}"
                )
        check_choice("objective", objective, OBJECTIVES)
        check_choice("activation", activation, ("softmax", None))
        arguments = dict(cell_kwargs or {})
        regularizer = keras.regularizers.L2(l2) if l2 else None
        if regularizer is not None:
            for key in ("kernel_regularizer", "recurrent_regularizer"):
                arguments.setdefault(key, regularizer)
        arity = arguments.get("arity", 2)

        # === Functional model ===
        token_ids = keras.Input((None,), dtype="int32", name=TOKEN_IDS)
        children = keras.Input((None, arity), dtype="int32", name=CHILDREN)
        has_word = ops.greater(token_ids, 0)
        node_mask = ops.logical_or(
            has_word, ops.any(ops.greater_equal(children, 0), axis=-1)
        )
        embedded = keras.layers.Embedding(
            vocab_size, embedding_dim or units, name="embedding"
        )(token_ids)
        # An inner node has no input: zeros, as the tree layer expects.
        node_inputs = embedded * ops.expand_dims(
            ops.cast(has_word, embedded.dtype), -1
        )
        if embedding_dropout:
            node_inputs = keras.layers.Dropout(
                embedding_dropout, name="embedding_dropout"
            )(node_inputs)
        states = TreeLSTM(
            units,
            cell=cell,
            return_sequences=objective == "nodes",
            name="tree_lstm",
            **arguments,
        )(node_inputs, children, node_mask)
        if dropout:
            states = keras.layers.Dropout(dropout, name="head_dropout")(states)
        outputs = keras.layers.Dense(
            num_classes,
            activation=activation,
            kernel_regularizer=regularizer,
            dtype="float32",
            name="predictions",
        )(states)
        super().__init__(
            inputs={TOKEN_IDS: token_ids, CHILDREN: children},
            outputs=outputs,
            **kwargs,
        )

        # === Config ===
        self.remember_arguments(
            num_classes=num_classes,
            vocab_size=vocab_size,
            cell=cell,
            units=units,
            embedding_dim=embedding_dim,
            dropout=dropout,
            embedding_dropout=embedding_dropout,
            l2=l2,
            objective=objective,
            binary_loss_weight=binary_loss_weight,
            activation=activation,
            cell_kwargs=None if cell_kwargs is None else dict(cell_kwargs),
        )
        self.arity = arity

    def example_inputs(
        self, batch_size: int = 2, sequence_length: int = 6, seed: int = 0
    ):
        """Random binary trees of up to `sequence_length` words (see
        `random_trees`)."""
        rng = np.random.default_rng(seed)
        return random_trees(rng, batch_size, sequence_length, self.vocab_size)

    def root_outputs(self, x, batch_size=None) -> np.ndarray:
        """The outputs at each tree's root, `(batch, num_classes)`, for
        raw texts or trees (as `predict` takes them)."""
        inputs = self.model_inputs(x, "predict")
        outputs = np.asarray(
            super().predict(inputs, batch_size=batch_size, verbose=0)
        )
        if self.objective == "root":
            return outputs
        root = _last_real_node(inputs)
        return outputs[np.arange(len(outputs)), root]

    def predict_labels(self, x, batch_size=None) -> list:
        """The predicted label of each input's root (the sentence).

        Args:
            x: Raw texts (sentences, or bracketed parses; with a
                preprocessor) or the model's batch of trees.
            batch_size: Inputs per batch; default Keras's.

        Returns:
            One label per input: its name where the preprocessor has label
            names, else its class id.
        """
        outputs = self.root_outputs(x, batch_size)
        name = (
            self.preprocessor.label_name
            if self.preprocessor is not None
            else int
        )
        return [name(int(i)) for i in outputs.argmax(axis=-1)]

    def predict_trees(self, texts, batch_size=None) -> list:
        """Each sentence's tree with the predicted class of every node.

        Needs a `preprocessor` (a published model has one) and a model
        that predicts every node (`objective="nodes"`).

        Args:
            texts: A sentence or bracketed parse, or a list of them (see
                `TreeClassifierPreprocessor` for the tree a plain sentence
                is read through).
            batch_size: Sentences per batch; default Keras's.

        Returns:
            One `rnnzoo.data.SentimentTree` per text, its labels the
            predicted class ids; `tree.bracketed()` writes it in SST's
            form, `tree.phrases()` lists every phrase with its class.

        Example:

        >>> model = rnnzoo.create_model(
        ...     "sst_treelstm.sst", pretrained=True)  # doctest: +SKIP
        >>> model.predict_trees("a gorgeous , witty film")[0].bracketed()
        ... # doctest: +SKIP
        '(4 (3 (2 a) (4 gorgeous)) (3 (2 ,) (3 (3 witty) (2 film))))'
        """
        if self.objective != "nodes":
            raise ValueError(
                "predict_trees() needs a prediction at every node: a "
                'TreeClassifier with objective="nodes", got '
                f"objective={self.objective!r}; use predict_labels()"
            )
        preprocessor = require_preprocessor(self, "predict_trees")
        structures = preprocessor.tree_structures(text_batch("texts", texts))
        inputs = preprocessor.tree_inputs(structures)
        outputs = np.asarray(
            super().predict(inputs, batch_size=batch_size, verbose=0)
        )
        return [
            tree.with_labels(outputs[row, : tree.num_nodes].argmax(axis=-1))
            for row, tree in enumerate(structures)
        ]

    def model_inputs(self, x, call: str = "predict"):
        if is_text(x):
            return require_preprocessor(self, call).model_inputs(x)
        return x

    def default_loss(self):
        return NodeLoss(
            binary_weight=self.binary_loss_weight,
            from_logits=self.activation is None,
        )

    def default_metrics(self):
        metrics = [
            RootAccuracy(),
            RootBinaryAccuracy(from_logits=self.activation is None),
        ]
        if self.objective == "nodes":
            metrics.append(NodeAccuracy())
        return metrics


def _last_real_node(inputs) -> np.ndarray:
    """Each tree's root: its last node with a word or children."""
    token_ids = np.asarray(inputs[TOKEN_IDS])
    children = np.asarray(inputs[CHILDREN])
    real = (token_ids > 0) | np.any(children >= 0, axis=-1)
    positions = np.arange(real.shape[1])
    return np.max(np.where(real, positions, -1), axis=1).clip(min=0)
