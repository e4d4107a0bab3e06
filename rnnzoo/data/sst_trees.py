"""The Stanford Sentiment Treebank's constituency trees, and SST-2 trained
on every labelled phrase.

Socher et al. (2013) label every node of every sentence's binarized parse
tree with a sentiment from 0 (very negative) to 4 (very positive). The
release's PTB-style files hold one tree per line:

    (3 (2 It) (4 (2 's) (3 good)))

`parse_tree` turns a line into a `SentimentTree`: the sentence's tokens,
exactly as in the file, and its nodes in post-order (children before their
parent, the root last), each with its label, its children and its span of
tokens, which is what a tree-structured model walks. Two datasets read the
files:

* `sst_trees`: one example per sentence, `{"text", "label"}` with the
  root's 0-4 label (or, with `phrases=True`, one per distinct phrase);
* `sst2_phrases`: SST-2 the standard way. Train on every distinct labelled
  phrase of the training trees (0-1 negative, 3-4 positive, neutral 2
  dropped); validate and test on the root sentences of the dev and test
  trees that are not neutral, the same 872 and 1,821 sentences as `sst2`.
  Texts are lowercased as in Kim (2014)'s `sst2` files, so both datasets
  share one vocabulary.
"""

import collections
import dataclasses
import re
from collections.abc import Iterable

import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import find_file
from rnnzoo.data.files import iter_lines
from rnnzoo.data.files import read_text
from rnnzoo.data.files import reject_options
from rnnzoo.data.text import TEXT_DTYPES

SST_TREES_SOURCE = (
    "https://nlp.stanford.edu/sentiment/ (trainDevTestTrees_PTB.zip: "
    "trees/{train,dev,test}.txt; Socher et al. 2013)"
)
SENTIMENT_LABELS = (0, 1, 2, 3, 4)
NEUTRAL = 2

_LABEL_TEXTS = {str(label) for label in SENTIMENT_LABELS}
_SPLIT_FILES = {"train": "train", "validation": "dev", "test": "test"}
# Brackets, and words between ASCII whitespace only: a word may hold a
# no-break space (the release has "8\xa01\/2").
_PIECES = re.compile(r"[()]|[^()\s]+", re.ASCII)


@dataclasses.dataclass(frozen=True)
class SentimentTree:
    """One sentence's sentiment-labelled constituency tree.

    Nodes are numbered in post-order: every child comes before its parent
    and the root is the last node, so a tree-structured model can compute
    the nodes in order.

    Attributes:
        tokens: The sentence's words, left to right, as in the file.
        labels: Each node's sentiment label, 0 (very negative) to 4 (very
            positive).
        children: Each node's children (node indices, left to right);
            empty for a leaf.
        spans: Each node's `(start, end)` slice of `tokens`: a leaf spans
            its one word.

    Example:

    >>> tree = parse_tree("(3 (2 It) (4 (2 's) (3 good)))")
    >>> tree.tokens
    ('It', "'s", 'good')
    >>> tree.labels, tree.children
    ((2, 2, 3, 4, 3), ((), (), (), (1, 2), (0, 3)))
    >>> tree.sentence, tree.root_label
    ("It 's good", 3)
    >>> tree.phrase(3)
    "'s good"
    """

    tokens: tuple[str, ...]
    labels: tuple[int, ...]
    children: tuple[tuple[int, ...], ...]
    spans: tuple[tuple[int, int], ...]

    @property
    def num_nodes(self) -> int:
        return len(self.labels)

    @property
    def root_label(self) -> int:
        return self.labels[-1]

    @property
    def sentence(self) -> str:
        """The words joined by spaces."""
        return " ".join(self.tokens)

    @property
    def token_indices(self) -> tuple[int, ...]:
        """Each node's word (an index into `tokens`), or -1 for a node
        with children."""
        return tuple(
            -1 if kids else start
            for kids, (start, _) in zip(self.children, self.spans)
        )

    def phrase(self, node: int) -> str:
        """The words under `node`, joined by spaces."""
        start, end = self.spans[node]
        return " ".join(self.tokens[start:end])

    def phrases(self) -> list[tuple[str, int]]:
        """`(phrase, label)` of every node, in post-order (the sentence
        last).

        Example:

        >>> parse_tree("(1 (2 not) (3 good))").phrases()
        [('not', 2), ('good', 3), ('not good', 1)]
        """
        return [(self.phrase(n), self.labels[n]) for n in range(self.num_nodes)]

    def bracketed(self) -> str:
        """The tree in the files' bracketed form.

        Example:

        >>> parse_tree("(1 (2 not)  (3 good))").bracketed()
        '(1 (2 not) (3 good))'
        """
        texts = []
        for node, kids in enumerate(self.children):
            inside = (
                " ".join(texts[kid] for kid in kids)
                if kids
                else self.tokens[self.spans[node][0]]
            )
            texts.append(f"({self.labels[node]} {inside})")
        return texts[-1]


@dataclasses.dataclass
class _OpenNode:
    start: int
    label: int | None = None
    has_token: bool = False
    children: list = dataclasses.field(default_factory=list)


def parse_tree(line: str, path="<text>", line_number: int = 1) -> SentimentTree:
    """Parses one bracketed tree: `(label word)` for a leaf, `(label
    child child ...)` for a phrase.

    Args:
        line: The tree's text.
        path: The file's name, for error messages.
        line_number: The line's number, for error messages.

    Returns:
        A `SentimentTree`.

    Raises:
        DataFormatError: the brackets do not balance, a label is not 0-4,
            a node holds nothing, two words or a word beside children, or
            anything follows the root; the message names the file, the line
            and the column.

    Example:

    >>> parse_tree("(4 (2 very) (4 good))").labels
    (2, 4, 4)
    """

    def error(expected, column):
        return DataFormatError(
            f"{path}, line {line_number}, column {column}: expected "
            f"{expected}, in {line.strip()[:80]!r}."
        )

    tokens, labels, children, spans = [], [], [], []
    open_nodes = []
    closed_root = False
    for match in _PIECES.finditer(line):
        piece, column = match.group(), match.start() + 1
        if closed_root:
            raise error(f"nothing after the root's ')', got {piece!r}", column)
        node = open_nodes[-1] if open_nodes else None
        if piece == "(":
            if node is not None and node.label is None:
                raise error("a label 0-4 after '(', got '('", column)
            if node is not None and node.has_token:
                raise error("one word or child nodes, got both", column)
            open_nodes.append(_OpenNode(start=len(tokens)))
        elif piece == ")":
            if node is None:
                raise error("balanced brackets, got a ')' with no '('", column)
            if not (node.has_token or node.children):
                got = "'()'" if node.label is None else f"'({node.label})'"
                raise error(f"a word or child nodes, got {got}", column)
            open_nodes.pop()
            labels.append(node.label)
            children.append(tuple(node.children))
            spans.append((node.start, len(tokens)))
            if open_nodes:
                open_nodes[-1].children.append(len(labels) - 1)
            else:
                closed_root = True
        elif node is None:
            raise error(f"'(' to open the tree, got {piece!r}", column)
        elif node.label is None:
            if piece not in _LABEL_TEXTS:
                raise error(f"a label 0-4 after '(', got {piece!r}", column)
            node.label = int(piece)
        elif node.has_token or node.children:
            raise error(f"one word or child nodes, got also {piece!r}", column)
        else:
            tokens.append(piece)
            node.has_token = True
    if open_nodes:
        raise error(
            f"balanced brackets, got {len(open_nodes)} '(' never closed",
            len(line.rstrip()) + 1,
        )
    if not closed_root:
        raise error("a bracketed tree, got none", 1)
    return SentimentTree(
        tuple(tokens), tuple(labels), tuple(children), tuple(spans)
    )


def parse_trees(text: str, path="<text>") -> list[SentimentTree]:
    """Parses one tree per non-blank line (see `parse_tree`).

    Example:

    >>> trees = parse_trees("(3 (2 a) (3 gem))\\n\\n(0 dull)\\n")
    >>> [tree.sentence for tree in trees]
    ['a gem', 'dull']
    """
    return [
        parse_tree(line, path, number)
        for number, line in iter_lines(text)
        if line.strip()
    ]


def read_trees(path) -> list[SentimentTree]:
    """Reads a (possibly gzipped) file of one bracketed tree per line.

    Raises:
        DataFormatError: a line is not a well-formed tree (see
            `parse_tree`), or the file holds none.
    """
    trees = parse_trees(read_text(path), path)
    if not trees:
        raise DataFormatError(f"{path} holds no trees.")
    return trees


def binary_label(label: int) -> int | None:
    """The SST-2 label of a 0-4 sentiment: 0 for 0-1, 1 for 3-4, `None`
    for neutral 2.

    Example:

    >>> [binary_label(label) for label in range(5)]
    [0, 0, None, 1, 1]
    """
    if label not in SENTIMENT_LABELS:
        raise ValueError(f"Expected a sentiment label 0-4, got {label!r}")
    return None if label == NEUTRAL else int(label > NEUTRAL)


def normalize_text(text: str) -> str:
    """Normalizes a tree's words as Kim (2014)'s SST-2 files do: lowercase
    (`-LRB-` becomes `-lrb-`; the tokens stay as they are).

    Example:

    >>> normalize_text("-LRB- Fun -RRB- .")
    '-lrb- fun -rrb- .'
    """
    return text.lower()


def distinct_phrases(
    trees: Iterable[SentimentTree],
    binary: bool = False,
    normalize: bool = False,
) -> dict:
    """Every distinct phrase of the trees, once, with its label.

    A phrase seen more than once keeps its most frequent label (the first
    seen, on a tie); with `normalize`, phrases that differ only in case are
    one phrase.

    Args:
        trees: `SentimentTree`s.
        binary: Use `binary_label`s and drop neutral phrases.
        normalize: Apply `normalize_text` before comparing phrases.

    Returns:
        `{"text": [...], "label": [...]}`, in order of first appearance.

    Example:

    >>> trees = parse_trees("(3 (2 A) (3 gem))\\n(1 (2 a) (1 bore))")
    >>> distinct_phrases(trees, binary=True, normalize=True)
    {'text': ['gem', 'a gem', 'bore', 'a bore'], 'label': [1, 1, 0, 0]}
    """
    seen = collections.defaultdict(collections.Counter)
    for tree in trees:
        for text, label in tree.phrases():
            if binary:
                label = binary_label(label)
                if label is None:
                    continue
            seen[normalize_text(text) if normalize else text][label] += 1
    return {
        "text": list(seen),
        "label": [counts.most_common(1)[0][0] for counts in seen.values()],
    }


def read_split(split: str, data_dir, dataset: str) -> list[SentimentTree]:
    """The trees of one split: `data_dir/sst_trees/{train,dev,test}.txt.gz`
    (or the release's plain `trees/*.txt`); `dataset` names the dataset
    in the message of a missing file."""
    suffix = _SPLIT_FILES[split]
    path = find_file(
        data_dir,
        "sst_trees",
        [f"{suffix}.txt.gz", f"{suffix}.txt"],
        dataset,
        SST_TREES_SOURCE,
    )
    return read_trees(path)


def load_sst_trees(
    split: str, data_dir, phrases: bool = False, **options
) -> tf.data.Dataset:
    """Loads the Stanford Sentiment Treebank's sentences or phrases with
    their 0-4 labels.

    Reads `data_dir/sst_trees/{train,dev,test}.txt.gz` (or the release's
    plain `trees/*.txt`, with `data_dir` that folder): 8,544 / 1,101 /
    2,210 trees; `dev` is the validation split. Texts keep the files'
    tokens and case.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the trees' folder.
        phrases: One example per distinct phrase of the split's trees
            (every node, the sentences included), not per sentence.
        **options: No others are accepted.

    Returns:
        A dataset of `{"text": string, "label": int64}`, label 0-4.
    """
    reject_options("sst_trees", options)
    trees = read_split(split, data_dir, "sst_trees")
    if phrases:
        columns = distinct_phrases(trees)
    else:
        columns = {
            "text": [tree.sentence for tree in trees],
            "label": [tree.root_label for tree in trees],
        }
    return examples_dataset(columns, TEXT_DTYPES)


def load_sst2_phrases(split: str, data_dir, **options) -> tf.data.Dataset:
    """Loads SST-2 with phrase-level training, from the treebank's trees.

    The training split is every distinct phrase of the training trees
    whose label is not neutral (77,195 in the release), labelled 0 for 0-1
    and 1 for 3-4; the validation and test splits are the root sentences
    of the dev and test trees that are not neutral (872 and 1,821), the
    sentences of `sst2`. Texts are lowercased as `sst2`'s are.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the trees' folder.
        **options: None are accepted.

    Returns:
        A dataset of `{"text": string, "label": int64}`, label 0 or 1.
    """
    reject_options("sst2_phrases", options)
    trees = read_split(split, data_dir, "sst2_phrases")
    if split == "train":
        columns = distinct_phrases(trees, binary=True, normalize=True)
    else:
        sentences = [
            (normalize_text(tree.sentence), binary_label(tree.root_label))
            for tree in trees
            if tree.root_label != NEUTRAL
        ]
        columns = {
            "text": [text for text, _ in sentences],
            "label": [label for _, label in sentences],
        }
    if not columns["text"]:
        raise DataFormatError(
            f"sst2_phrases: the {split} trees hold no sentence or phrase "
            "that is not neutral."
        )
    return examples_dataset(columns, TEXT_DTYPES)
