"""Sentiment trees as tensors: each tree's arrays, the `sst_treebank`
dataset on small tree files written here, and its bucketed batches, whose
padding nodes a model and its loss can tell from real ones."""

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo.data as data
from rnnzoo.data.sst_trees import parse_tree
from rnnzoo.data.tree_batches import pad_trees
from rnnzoo.data.tree_batches import tree_arrays
from tests.data.test_local_files import as_python
from tests.data.test_sst_trees import FILM_IS_DULL
from tests.data.test_sst_trees import IT_IS_FINE
from tests.data.test_sst_trees import IT_IS_GOOD
from tests.data.test_sst_trees import THE_GOOD_FILM
from tests.data.test_sst_trees import TREES
from tests.data.test_sst_trees import write_trees


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch):
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)


def nested_of(arrays, node=None):
    """The tree the arrays describe, rebuilt as nested tuples of words
    (an independent reading of `tokens` and `children`)."""
    node = len(arrays["tokens"]) - 1 if node is None else node
    kids = [int(k) for k in arrays["children"][node] if k >= 0]
    if not kids:
        return arrays["tokens"][node]
    return tuple(nested_of(arrays, kid) for kid in kids)


def test_tree_arrays_follow_the_bracketed_tree():
    arrays = tree_arrays(parse_tree(FILM_IS_DULL))
    assert nested_of(arrays) == (("The", "film"), ("is", "dull"))
    assert arrays["tokens"].tolist() == [
        "The",
        "film",
        "",
        "is",
        "dull",
        "",
        "",
    ]
    assert arrays["labels"].tolist() == [2, 2, 2, 2, 0, 1, 1]
    assert arrays["children"].dtype == np.int32
    # Post-order: every child before its parent.
    for node, kids in enumerate(arrays["children"]):
        assert all(kid < node for kid in kids)


def test_tree_arrays_refuse_nodes_wider_than_the_arity():
    tree = parse_tree("(2 (2 a) (2 b) (2 c))")
    assert tree_arrays(tree, arity=3)["children"][-1].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="at most 2 children.*got node 3"):
        tree_arrays(tree)


def test_sst_treebank_loads_every_tree_with_its_node_labels(tmp_path):
    write_trees(tmp_path)
    examples = as_python(data.load("sst_treebank", "validation", tmp_path))
    assert [e["text"] for e in examples] == [
        "It 's good",
        "It 's fine",
        "The film is dull",
    ]
    expected = [tree_arrays(parse_tree(line)) for line in TREES["dev"]]
    for example, arrays in zip(examples, expected):
        assert example["tokens"] == arrays["tokens"].tolist()
        assert example["children"] == arrays["children"].tolist()
        assert example["labels"] == arrays["labels"].tolist()
    assert data.dataset_info("sst_treebank").task == "tree_classification"


def test_binary_treebank_drops_neutral_roots_and_neutral_labels(tmp_path):
    write_trees(tmp_path)
    examples = as_python(
        data.load("sst_treebank", "validation", tmp_path, binary=True)
    )
    # "It 's fine" (root 2) is gone; neutral phrases inside are -1.
    assert [e["text"] for e in examples] == ["It 's good", "The film is dull"]
    assert examples[0]["labels"] == [-1, -1, 1, 1, 1]
    assert examples[1]["labels"] == [-1, -1, -1, -1, 0, 0, 0]


def test_treebank_options_are_checked(tmp_path):
    write_trees(tmp_path)
    with pytest.raises(TypeError, match="phrases"):
        data.load("sst_treebank", "train", tmp_path, phrases=True)


def pipeline(tmp_path, split, **options):
    vectorizer = data.build_vectorizer("sst_treebank", data_dir=tmp_path)
    return vectorizer, data.make_pipeline(
        "sst_treebank",
        split,
        2,
        vectorizer=vectorizer,
        data_dir=tmp_path,
        **options,
    )


def test_batches_pad_with_nodes_that_have_no_word_child_or_label(tmp_path):
    write_trees(tmp_path)
    vectorizer, batches = pipeline(tmp_path, "test")
    (x, labels), *rest = list(batches)
    assert not rest
    # FILM_IS_DULL has 7 nodes, THE_GOOD_FILM 9: padded to 9.
    assert x["token_ids"].shape == (2, 9)
    assert x["children"].shape == (2, 9, 2)
    padding = slice(7, 9)
    assert np.all(x["token_ids"].numpy()[0, padding] == 0)
    assert np.all(x["children"].numpy()[0, padding] == -1)
    assert np.all(labels.numpy()[0, padding] == -1)
    # The words, lowercased as the treebank's sst2, at the leaves only.
    words = vectorizer.vocabulary("tokens")
    leaves = [words[i] for i in x["token_ids"].numpy()[1] if i > 0]
    assert leaves == ["the", "good", "-lrb-", "film", "-rrb-"]
    arrays = tree_arrays(parse_tree(THE_GOOD_FILM))
    assert x["children"].numpy()[1].tolist() == arrays["children"].tolist()
    assert labels.numpy()[1].tolist() == arrays["labels"].tolist()


def test_batches_are_bucketed_by_node_count(tmp_path):
    write_trees(tmp_path)
    _, batches = pipeline(tmp_path, "train", buckets=[6, 12], shuffle=False)
    shapes = sorted(x["token_ids"].shape[1] for x, _ in batches)
    # Two trees of 5 nodes, one of 7 and one of 9.
    assert shapes == [6, 12]
    for x, labels in batches:
        real = (x["token_ids"].numpy() > 0) | np.any(
            x["children"].numpy() >= 0, axis=-1
        )
        assert np.array_equal(real, labels.numpy() >= 0)


def test_a_tree_larger_than_the_largest_bucket_is_an_error(tmp_path):
    write_trees(tmp_path)
    _, batches = pipeline(tmp_path, "train", buckets=[4, 8])
    with pytest.raises(tf.errors.InvalidArgumentError, match="largest bucket"):
        list(batches)


def test_pad_trees_pads_with_missing_nodes():
    arrays = [tree_arrays(parse_tree(t)) for t in (IT_IS_GOOD, IT_IS_FINE)]
    ids = [np.arange(1, len(a["tokens"]) + 1) for a in arrays]
    batch = pad_trees(ids, [a["children"] for a in arrays], num_nodes=6)
    assert batch["token_ids"].tolist() == [[1, 2, 3, 4, 5, 0]] * 2
    assert batch["children"][:, 5].tolist() == [[-1, -1], [-1, -1]]
    assert batch["children"][0, :5].tolist() == arrays[0]["children"].tolist()
    with pytest.raises(ValueError, match="largest tree \\(5 nodes\\)"):
        pad_trees(ids, [a["children"] for a in arrays], num_nodes=4)
