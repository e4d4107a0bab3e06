"""`TreeClassifier` against a NumPy Tree-LSTM written from Tai et al.'s
equations, its loss against the mean negative log-likelihood of the
labelled nodes, padding that changes nothing, the root objective, saving,
raw text through a preprocessor, and learning a small compositional
task."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.data.sst_trees import parse_tree
from rnnzoo.data.tree_batches import pad_trees
from rnnzoo.data.tree_batches import tree_arrays
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import token_lookup
from rnnzoo.models import TreeClassifier
from rnnzoo.preprocessors import TreeClassifierPreprocessor

TREES = [
    "(3 (2 It) (4 (2 's) (3 good)))",
    "(1 (2 (2 The) (2 film)) (1 (2 is) (0 dull)))",
    "(2 fine)",
]
VOCABULARY = ["it", "'s", "good", "the", "film", "is", "dull", "fine"]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_outputs(model, token_ids, children):
    """Class probabilities at every node of one tree (no padding), from
    Tai et al. (2015)'s binary N-ary Tree-LSTM, eqs. 9-14: gates from the
    node's input and its children's concatenated states, a forget gate per
    child, missing children as zero states."""
    embedding = model.get_layer("embedding").embeddings.numpy()
    cell = model.get_layer("tree_lstm").cell
    kernel, recurrent = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    bias = cell.bias.numpy()
    head = model.get_layer("predictions")
    dense_kernel, dense_bias = (w.numpy() for w in head.weights)
    units = model.units
    h = np.zeros((len(token_ids), units))
    c = np.zeros((len(token_ids), units))
    for node, (word, kids) in enumerate(zip(token_ids, children)):
        x = embedding[word] if word > 0 else np.zeros(embedding.shape[1])
        child_h = [h[k] if k >= 0 else np.zeros(units) for k in kids]
        child_c = [c[k] if k >= 0 else np.zeros(units) for k in kids]
        z = x @ kernel + np.concatenate(child_h) @ recurrent + bias
        i, o = sigmoid(z[:units]), sigmoid(z[units : 2 * units])
        u = np.tanh(z[2 * units : 3 * units])
        forgets = [
            sigmoid(z[(3 + k) * units : (4 + k) * units])
            for k in range(len(kids))
        ]
        c[node] = i * u + sum(f * cc for f, cc in zip(forgets, child_c))
        h[node] = o * np.tanh(c[node])
    logits = h @ dense_kernel + dense_bias
    return np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)


def tree_batch(lines, num_nodes=None):
    """`(inputs, labels)` of bracketed trees, word ids 2.. from
    VOCABULARY (lowercased), padding labels -1."""
    arrays = [tree_arrays(parse_tree(line)) for line in lines]
    ids = [
        [VOCABULARY.index(t.lower()) + 2 if t else 0 for t in a["tokens"]]
        for a in arrays
    ]
    inputs = pad_trees(ids, [a["children"] for a in arrays], num_nodes)
    labels = np.full(inputs["token_ids"].shape, -1, "int32")
    for row, a in enumerate(arrays):
        labels[row, : len(a["labels"])] = a["labels"]
    return inputs, labels


def model(**arguments):
    keras.utils.set_random_seed(0)
    return TreeClassifier(
        num_classes=5,
        vocab_size=len(VOCABULARY) + 2,
        units=6,
        embedding_dim=4,
        **arguments,
    )


def randomized(classifier):
    """Larger random weights than the initializers', so that every gate
    and every child matters."""
    rng = np.random.default_rng(1)
    for weight in classifier.weights:
        weight.assign(rng.normal(scale=0.5, size=weight.shape))
    return classifier


def test_every_node_matches_the_tree_lstm_equations():
    classifier = randomized(model())
    inputs, _ = tree_batch(TREES)
    outputs = classifier.predict(inputs, verbose=0)
    for row, line in enumerate(TREES):
        arrays = tree_arrays(parse_tree(line))
        nodes = len(arrays["tokens"])
        expected = reference_outputs(
            classifier, inputs["token_ids"][row, :nodes], arrays["children"]
        )
        np.testing.assert_allclose(outputs[row, :nodes], expected, atol=1e-5)


def test_padding_nodes_change_nothing():
    classifier = randomized(model())
    inputs, _ = tree_batch(TREES)
    padded, _ = tree_batch(TREES, num_nodes=12)
    np.testing.assert_allclose(
        classifier.predict(padded, verbose=0)[:, :7],
        classifier.predict(inputs, verbose=0),
        atol=1e-6,
    )
    alone, _ = tree_batch(TREES[2:])
    np.testing.assert_allclose(
        classifier.predict(alone, verbose=0)[0, 0],
        classifier.predict(inputs, verbose=0)[2, 0],
        atol=1e-6,
    )


def test_loss_is_the_mean_nll_of_the_labelled_nodes():
    classifier = randomized(model())
    classifier.compile()
    inputs, labels = tree_batch(TREES, num_nodes=9)
    probabilities = classifier.predict(inputs, verbose=0)
    real = labels >= 0
    nll = -np.log(probabilities[real, labels[real]])
    logs = classifier.evaluate(inputs, labels, return_dict=True, verbose=0)
    assert logs["loss"] == pytest.approx(nll.mean(), rel=1e-5)
    roots = [4, 6, 0]
    root_probabilities = probabilities[np.arange(3), roots]
    root_labels = labels[np.arange(3), roots]
    assert logs["accuracy"] == pytest.approx(
        np.mean(root_probabilities.argmax(-1) == root_labels)
    )
    assert logs["node_accuracy"] == pytest.approx(
        np.mean(probabilities.argmax(-1)[real] == labels[real])
    )


def test_root_objective_predicts_the_root_of_the_same_network():
    nodes, root = randomized(model()), model(objective="root")
    root.set_weights(nodes.get_weights())
    inputs, labels = tree_batch(TREES, num_nodes=8)
    np.testing.assert_allclose(
        root.predict(inputs, verbose=0),
        nodes.predict(inputs, verbose=0)[np.arange(3), [4, 6, 0]],
        atol=1e-6,
    )
    root.compile()
    logs = root.evaluate(inputs, labels[np.arange(3), [4, 6, 0]], verbose=0)
    assert np.isfinite(logs[0])


def test_l2_penalizes_the_cell_and_the_head_not_the_embedding():
    classifier = model(l2=1e-3)
    penalized = {
        w.path.split("/")[0]
        for w in classifier.trainable_weights
        if w.regularizer is not None
    } | {
        layer.name
        for layer in classifier.layers
        if getattr(layer, "kernel_regularizer", None) is not None
    }
    assert "embedding" not in penalized
    cell = classifier.get_layer("tree_lstm").cell
    assert cell.kernel_regularizer is not None
    assert cell.recurrent_regularizer is not None
    assert classifier.get_layer("predictions").kernel_regularizer is not None
    assert len(classifier.losses) == 3


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"num_classes": 1}, "`num_classes` must be"),
        ({"objective": "leaves"}, "`objective` must be one of"),
        ({"dropout": 1.0}, "`dropout` must be"),
        ({"l2": -1.0}, "`l2` must be a number >= 0"),
        ({"binary_loss_weight": -1}, "`binary_loss_weight` must be"),
        ({"cell": "lstm"}, "tree"),
    ],
)
def test_bad_arguments_name_themselves(arguments, message):
    with pytest.raises(ValueError, match=message):
        TreeClassifier(**{"num_classes": 5, "vocab_size": 10, **arguments})


def test_config_and_keras_file_round_trip(tmp_path):
    classifier = randomized(model(dropout=0.2, cell="child_sum_tree_lstm"))
    inputs, _ = tree_batch(TREES)
    expected = classifier.predict(inputs, verbose=0)
    rebuilt = TreeClassifier.from_config(classifier.get_config())
    rebuilt.set_weights(classifier.get_weights())
    np.testing.assert_allclose(
        rebuilt.predict(inputs, verbose=0), expected, atol=1e-6
    )
    classifier.save(tmp_path / "tree.keras")
    loaded = keras.saving.load_model(tmp_path / "tree.keras")
    assert isinstance(loaded, TreeClassifier)
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0), expected, atol=1e-6
    )


def preprocessor():
    vectorizer = Vectorizer({"tokens": token_lookup()}, lowercase=["tokens"])
    vectorizer.lookups["tokens"].set_vocabulary(["", "[UNK]", *VOCABULARY])
    names = [
        "very negative",
        "negative",
        "neutral",
        "positive",
        "very positive",
    ]
    return TreeClassifierPreprocessor(vectorizer, label_names=names)


def test_raw_text_and_parses_go_through_the_preprocessor():
    classifier = randomized(model())
    classifier.preprocessor = preprocessor()
    inputs, _ = tree_batch(TREES)
    expected = classifier.predict(inputs, verbose=0)
    # The same trees as bracketed text (labels ignored), and "fine" plain.
    texts = [TREES[0], "(S (NP (DT The) (NN film)) (VP (VBZ is) (JJ dull)))"]
    texts.append("fine")
    outputs = classifier.predict(texts, verbose=0)
    np.testing.assert_allclose(outputs, expected, atol=1e-6)
    trees = classifier.predict_trees(texts)
    assert [tree.sentence for tree in trees] == [
        "It 's good",
        "The film is dull",
        "fine",
    ]
    for row, tree in enumerate(trees):
        nodes = tree.num_nodes
        assert list(tree.labels) == expected[row, :nodes].argmax(-1).tolist()
    names = classifier.preprocessor.label_names
    roots = expected[np.arange(3), [4, 6, 0]].argmax(-1)
    assert classifier.predict_labels(texts) == [names[i] for i in roots]
    # A plain sentence is read through the balanced tree over its words.
    balanced, _ = tree_batch(["(2 (2 (2 It) (2 's)) (2 good))"])
    np.testing.assert_allclose(
        classifier.predict(["It's good"], verbose=0),
        classifier.predict(balanced, verbose=0),
        atol=1e-6,
    )


def test_raw_text_needs_a_preprocessor():
    with pytest.raises(ValueError, match="has no preprocessor"):
        model().predict_labels(["a fine film"])


def negation_trees(rng, count):
    """Trees over "good"/"dull" phrases, some under "not": the label of a
    phrase flips under negation, which only the tree's shape tells."""
    lines = []
    for _ in range(count):
        polarity = int(rng.integers(0, 2))
        word = "good" if polarity else "dull"
        phrase = f"({4 if polarity else 0} {word})"
        negated = rng.random() < 0.5
        if negated:
            polarity = 1 - polarity
            phrase = f"({4 if polarity else 0} (2 not) {phrase})"
        lines.append(f"({4 if polarity else 0} (2 the) {phrase})")
    return lines


@pytest.mark.slow
def test_learns_negation_from_the_tree():
    global VOCABULARY
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    saved, VOCABULARY = VOCABULARY, ["the", "not", "good", "dull"]
    try:
        inputs, labels = tree_batch(negation_trees(rng, 128), num_nodes=7)
        classifier = TreeClassifier(
            num_classes=5, vocab_size=6, units=16, embedding_dim=8
        )
        classifier.compile(optimizer=keras.optimizers.Adam(0.02))
        classifier.fit(inputs, labels, epochs=40, batch_size=32, verbose=0)
        logs = classifier.evaluate(inputs, labels, return_dict=True, verbose=0)
    finally:
        VOCABULARY = saved
    assert logs["accuracy"] == 1.0 and logs["binary_accuracy"] == 1.0


def test_trains_with_xla_on_padded_batches_of_unknown_shape():
    classifier = model()
    classifier.compile(jit_compile=True)
    inputs, labels = tree_batch(TREES, num_nodes=9)
    dataset = tf.data.Dataset.from_tensors((inputs, labels)).map(
        lambda x, y: (
            {
                k: tf.ensure_shape(v, [None] * v.shape.rank)
                for k, v in x.items()
            },
            y,
        )
    )
    before = [w.numpy().copy() for w in classifier.trainable_weights]
    history = classifier.fit(dataset, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    after = [w.numpy() for w in classifier.trainable_weights]
    assert all(not np.allclose(b, a) for b, a in zip(before, after))
