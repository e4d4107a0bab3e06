"""Trees for raw text: bracketed parses read leniently, and binary trees
built over plain sentences when no parse is at hand.

A tree-structured model reads a sentence through its parse tree. A parser's
output (Penn Treebank style, `(S (NP (DT a) (NN film)) ...)`) or an SST
tree (`(3 (2 a) (3 film))`) gives one: `parse_bracketed` reads either,
ignoring the labels, folding unary chains (a part-of-speech node over its
word, `(S (VP ...))`) and binarizing nodes of more than two children
(right-branching, as the treebank's own binarization leans). A plain
sentence has no parse: `fallback_tree` puts a balanced (or right- or
left-branching) binary tree over its words instead.
"""

import dataclasses
import re

from rnnzoo.data.sst_trees import SentimentTree
from rnnzoo.validation import check_choice

#: The shapes `fallback_tree` builds.
FALLBACK_SHAPES = ("balanced", "right_branching", "left_branching")
_PIECES = re.compile(r"[()]|[^()\s]+")


@dataclasses.dataclass(frozen=True)
class TreeStructure:
    """A tree's words and its nodes' children, without labels.

    Nodes are in post-order (children first, the root last), as in
    `SentimentTree`.

    Attributes:
        tokens: The words, left to right.
        children: Each node's children (node indices); empty for a leaf.

    Example:

    >>> tree = fallback_tree(["a", "fine", "film"])
    >>> tree.children
    ((), (), (0, 1), (), (2, 3))
    >>> tree.with_labels([2, 3, 3, 2, 3]).bracketed()
    '(3 (3 (2 a) (3 fine)) (2 film))'
    """

    tokens: tuple[str, ...]
    children: tuple[tuple[int, ...], ...]

    @property
    def num_nodes(self) -> int:
        return len(self.children)

    def spans(self) -> tuple[tuple[int, int], ...]:
        """Each node's `(start, end)` slice of `tokens`."""
        spans, word = [], 0
        for kids in self.children:
            if kids:
                spans.append((spans[kids[0]][0], spans[kids[-1]][1]))
            else:
                spans.append((word, word + 1))
                word += 1
        return tuple(spans)

    def with_labels(self, labels) -> SentimentTree:
        """The `SentimentTree` of this structure with a label per node."""
        labels = tuple(int(label) for label in labels)
        if len(labels) != self.num_nodes:
            raise ValueError(
                f"One label per node is needed ({self.num_nodes}), got "
                f"{len(labels)}"
            )
        return SentimentTree(self.tokens, labels, self.children, self.spans())

    @classmethod
    def of(cls, tree: SentimentTree) -> "TreeStructure":
        """The structure of a `SentimentTree` (its labels dropped)."""
        return cls(tree.tokens, tree.children)


def _post_order(nested) -> TreeStructure:
    """The structure of a nested tree: a word (`str`) or a list of two
    nested trees."""
    tokens, children = [], []

    def emit(node):
        if isinstance(node, str):
            tokens.append(node)
            children.append(())
        else:
            kids = tuple(emit(child) for child in node)
            children.append(kids)
        return len(children) - 1

    emit(nested)
    return TreeStructure(tuple(tokens), tuple(children))


def _right_binarized(items):
    """One node of `items`: itself if alone, else right-branching pairs."""
    if len(items) == 1:
        return items[0]
    return [items[0], _right_binarized(items[1:])]


def parse_bracketed(text: str) -> TreeStructure:
    """Reads a bracketed tree, labels ignored, as a binary tree.

    Each bracket opens with its label (a sentiment, a constituent such as
    `NP`, or nothing before a nested bracket, as a parser's outer `( (S
    ...))`); the rest are its words and brackets. A node with one child
    is that child (so `(DT a)` is the word `a`, and unary chains fold);
    a node of three or more is binarized to the right.

    Args:
        text: The tree, e.g. `"(S (NP (DT a) (JJ fine) (NN film)))"`.

    Returns:
        A `TreeStructure` whose nodes have one or two children.

    Raises:
        ValueError: the brackets do not balance, a bracket holds nothing
            but its label, or anything follows the root; the message says
            where.

    Example:

    >>> tree = parse_bracketed("(ROOT (S (NP (DT a) (JJ fine) (NN film)) "
    ...                        "(. .)))")
    >>> tree.tokens, tree.children
    (('a', 'fine', 'film', '.'), ((), (), (), (1, 2), (0, 3), (), (4, 5)))
    >>> parse_bracketed("(3 (2 It) (4 (2 's) (3 good)))").children
    ((), (), (), (1, 2), (0, 3))
    """

    def error(expected, column):
        return ValueError(
            f"Column {column} of the bracketed tree {text.strip()[:80]!r}: "
            f"expected {expected}"
        )

    stack, root = [], None
    for match in _PIECES.finditer(text):
        piece, column = match.group(), match.start() + 1
        if root is not None:
            raise error(f"nothing after the root's ')', got {piece!r}", column)
        if piece == "(":
            if stack:
                stack[-1]["labelled"] = True
            stack.append({"labelled": False, "items": []})
        elif not stack:
            raise error(f"'(' to open the tree, got {piece!r}", column)
        elif piece == ")":
            node = stack.pop()
            if not node["items"]:
                raise error("a word or a bracket before ')'", column)
            subtree = _right_binarized(node["items"])
            if stack:
                stack[-1]["items"].append(subtree)
            else:
                root = subtree
        elif not stack[-1]["labelled"]:
            stack[-1]["labelled"] = True  # The label: ignored.
        else:
            stack[-1]["items"].append(piece)
    if stack:
        raise error(f"{len(stack)} more ')'", len(text.rstrip()) + 1)
    if root is None:
        raise error("a bracketed tree", 1)
    return _post_order(root)


def fallback_tree(tokens, shape: str = "balanced") -> TreeStructure:
    """A binary tree over words that have no parse.

    Args:
        tokens: The words (at least one).
        shape: `"balanced"` (each node splits its words in halves, the
            left half the larger), `"right_branching"` (`(a (b (c d)))`)
            or `"left_branching"` (`(((a b) c) d)`).

    Returns:
        A `TreeStructure` of `2 * len(tokens) - 1` nodes.

    Example:

    >>> fallback_tree(["a", "b", "c", "d"], "right_branching").children
    ((), (), (), (), (2, 3), (1, 4), (0, 5))
    """
    check_choice("shape", shape, FALLBACK_SHAPES)
    tokens = [str(token) for token in tokens]
    if not tokens:
        raise ValueError("A tree needs at least one word, got none")

    def balanced(words):
        if len(words) == 1:
            return words[0]
        middle = (len(words) + 1) // 2
        return [balanced(words[:middle]), balanced(words[middle:])]

    if shape == "balanced":
        nested = balanced(tokens)
    elif shape == "right_branching":
        nested = _right_binarized(tokens)
    else:
        nested = tokens[0]
        for word in tokens[1:]:
            nested = [nested, word]
    return _post_order(nested)
