"""Tree-structured classification: a label at every node of a sentence's
parse tree (the Stanford Sentiment Treebank), scored at the root."""

import numpy as np
import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data import tree_batches
from rnnzoo.data.formatting import feature_size
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import token_lookup
from rnnzoo.tasks.registry import TaskShape
from rnnzoo.tasks.registry import register_task


def root_labels(labels):
    """Each tree's root label, `(batch,)`: its last labelled node's; -1
    for a tree without labels."""
    positions = tf.range(tf.shape(labels)[1])
    last = tf.reduce_max(tf.where(labels >= 0, positions[None, :], -1), axis=1)
    root = tf.gather(labels, tf.maximum(last, 0), axis=1, batch_dims=1)
    return tf.where(last >= 0, root, -1)


def _root_targets(x, labels):
    return root_labels(labels)


class TreeClassification(TaskShape):
    """A class at every node of a tree (a sentence's parse), scored at the
    root.

    Examples hold each tree's arrays (`rnnzoo.data.tree_batches`): its
    nodes' words (`""` at inner nodes), children and labels. The
    vectorizer maps the words to ids (0 at inner nodes); batches are
    bucketed by their number of nodes. Accuracy is the roots'; the best
    epoch is the one of the best validation accuracy.
    """

    name = registry.TREE_CLASSIFICATION
    title = "Text classification over parse trees"
    features = ("tokens", "labels")
    class_labels = True
    early_stopping_monitor = "val_accuracy"

    def new_vectorizer(
        self,
        inputs,
        targets,
        vocabulary_size=None,
        standardize=None,
        lowercase: bool = False,
        **options,
    ):
        """A lookup of the leaves' words (see `TaskShape.new_vectorizer`);
        `standardize="lower"` (SST's, as `sst2`'s) or `lowercase=True`
        lowercases them."""
        self.reject_options(options)
        if standardize not in (None, "lower"):
            raise ValueError(
                "A tree's words are split already: `standardize` must be "
                f"None or 'lower', got standardize={standardize!r}"
            )
        lower = lowercase or standardize == "lower"
        return Vectorizer(
            {inputs: token_lookup(feature_size(vocabulary_size, inputs))},
            lowercase=[inputs] if lower else None,
        )

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        """Trees are never cut: one with more nodes than `max_length` (the
        largest bucket) is an error."""

        def format_tree(example):
            ids = vectorizer.vectorize(inputs, example[inputs])
            if max_length is not None:
                tf.debugging.assert_less_equal(
                    tf.shape(ids)[0],
                    max_length,
                    message=f"A tree has more nodes than the largest bucket "
                    f"({max_length}); trees are not truncated: raise the "
                    "largest of `buckets`",
                )
            children = tf.cast(example["children"], tf.int32)
            x = {tree_batches.TOKEN_IDS: ids, tree_batches.CHILDREN: children}
            return x, tf.cast(example[targets], tf.int32)

        return format_tree, tree_batches.node_count

    def padding_values(self):
        return tree_batches.padding_values()

    def hidden_labels(self, targets):
        """A tree's label is hidden when none of its nodes has one (padding
        nodes never have)."""
        if targets.shape.rank == 1:
            return targets < 0
        return root_labels(targets) < 0

    def data_arguments(self, task_data, config, replicas=1):
        vectorizer = task_data.vectorizer
        return {
            "vocab_size": vectorizer.vocabulary_size(vectorizer.features[0])
        }

    def target_adapter(self, model):
        """A classifier trained at the root (`objective="root"`) gets each
        tree's root label, `(batch,)`."""
        return _root_targets if model.objective == "root" else None

    def synthetic_batch(self, model, batch_size=2, steps=6, seed=0):
        """Random trees of up to `steps` words, every real node labelled
        (`(batch,)` root labels for a classifier trained at the root)."""
        rng = np.random.default_rng(seed)
        x = model.example_inputs(batch_size, steps, seed)
        real = (x[tree_batches.TOKEN_IDS] > 0) | np.any(
            x[tree_batches.CHILDREN] >= 0, axis=-1
        )
        labels = rng.integers(0, model.num_classes, real.shape)
        labels = np.where(real, labels, tree_batches.NO_LABEL).astype("int32")
        if model.objective == "root":
            root = real.sum(axis=1) - 1
            labels = labels[np.arange(len(labels)), root]
        return x, labels


TREE_CLASSIFICATION = register_task(TreeClassification())
