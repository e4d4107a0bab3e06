"""Trees for raw text: bracketed parses (a parser's or SST's) read as
binary trees, and the fallback trees over plain sentences, checked
against trees written out by hand and against brute-force enumeration."""

import itertools

import pytest

from rnnzoo.data.sst_trees import parse_tree
from rnnzoo.data.tree_text import TreeStructure
from rnnzoo.data.tree_text import fallback_tree
from rnnzoo.data.tree_text import parse_bracketed
from tests.data.test_sst_trees import FILM_IS_DULL
from tests.data.test_sst_trees import THE_GOOD_FILM


def nested(structure, node=None):
    """The structure as nested tuples of words."""
    node = structure.num_nodes - 1 if node is None else node
    kids = structure.children[node]
    if not kids:
        return structure.tokens[structure.spans()[node][0]]
    return tuple(nested(structure, kid) for kid in kids)


def test_sst_trees_keep_their_shape_and_words():
    for line in (FILM_IS_DULL, THE_GOOD_FILM):
        tree = parse_tree(line)
        structure = parse_bracketed(line)
        assert structure == TreeStructure.of(tree)
        assert structure.spans() == tree.spans
        assert structure.with_labels(tree.labels) == tree


def test_parser_output_folds_unary_chains_and_binarizes_to_the_right():
    parse = (
        "(ROOT (S (NP (DT The) (JJ new) (JJ French) (NN film)) "
        "(VP (VBZ is) (ADJP (RB very) (JJ dull))) (. .)))"
    )
    structure = parse_bracketed(parse)
    assert nested(structure) == (
        ("The", ("new", ("French", "film"))),
        (("is", ("very", "dull")), "."),
    )
    assert all(len(kids) in (0, 2) for kids in structure.children)
    # A parser's unlabelled outer bracket, and a one-word sentence.
    assert nested(parse_bracketed("( (S (NP (NN Wow)) (. !)))")) == (
        "Wow",
        "!",
    )
    assert nested(parse_bracketed("(ROOT (NN Wow))")) == "Wow"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(S (NP a) (VP b)", "1 more '\\)'"),
        ("(S (NP a)) (NP b)", "nothing after the root's"),
        ("(S (NP))", "a word or a bracket before"),
        ("a film", "'\\(' to open the tree"),
        ("", "a bracketed tree"),
    ],
)
def test_malformed_brackets_say_what_was_expected(text, expected):
    with pytest.raises(ValueError, match=expected):
        parse_bracketed(text)


def balanced_by_brute_force(words):
    """Among all binary trees over `words`, those where every node's left
    part has `ceil(n / 2)` words (an independent spelling of balanced)."""

    def trees(words):
        if len(words) == 1:
            yield words[0]
            return
        for split in range(1, len(words)):
            for left, right in itertools.product(
                trees(words[:split]), trees(words[split:])
            ):
                yield (left, right)

    def balanced(tree):
        if isinstance(tree, str):
            return True
        left, right = tree
        size = len(leaves(left)) + len(leaves(right))
        return len(leaves(left)) == (size + 1) // 2 and all(map(balanced, tree))

    def leaves(tree):
        return [tree] if isinstance(tree, str) else sum(map(leaves, tree), [])

    return [tree for tree in trees(words) if balanced(tree)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_fallback_trees_are_the_shapes_they_name(size):
    words = [f"w{i}" for i in range(size)]
    (expected,) = balanced_by_brute_force(words)
    assert nested(fallback_tree(words)) == expected
    right, left = words[-1], words[0]
    for word in reversed(words[:-1]):
        right = (word, right)
    for word in words[1:]:
        left = (left, word)
    assert nested(fallback_tree(words, "right_branching")) == right
    assert nested(fallback_tree(words, "left_branching")) == left
    for shape in ("balanced", "right_branching", "left_branching"):
        tree = fallback_tree(words, shape)
        assert tree.num_nodes == 2 * size - 1
        assert tree.spans()[-1] == (0, size)


def test_fallback_tree_needs_words_and_a_known_shape():
    with pytest.raises(ValueError, match="at least one word"):
        fallback_tree([])
    with pytest.raises(ValueError, match="`shape` must be one of"):
        fallback_tree(["a"], "random")


def test_with_labels_needs_one_label_per_node():
    with pytest.raises(ValueError, match="One label per node is needed \\(3"):
        fallback_tree(["a", "b"]).with_labels([1, 2])
