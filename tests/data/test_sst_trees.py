"""The Stanford Sentiment Treebank's bracketed trees: parsing, phrases,
SST-2 labels, and the `sst_trees` and `sst2_phrases` datasets, on small
trees written here; the real copy in `../shared/data` only in the slow
test."""

from pathlib import Path

import pytest

import rnnzoo.data as data
from rnnzoo.data.sst_trees import binary_label
from rnnzoo.data.sst_trees import distinct_phrases
from rnnzoo.data.sst_trees import parse_tree
from rnnzoo.data.sst_trees import parse_trees
from tests.data import fixture_files as files
from tests.data.test_local_files import as_python

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

IT_IS_GOOD = "(3 (2 It) (4 (2 's) (3 good)))"
FILM_IS_DULL = "(1 (2 (2 The) (2 film)) (1 (2 is) (0 dull)))"
THE_GOOD_FILM = "(3 (3 (2 the) (3 good)) (2 (2 -LRB-) (2 (2 film) (2 -RRB-))))"
IT_IS_FINE = "(2 (2 It) (2 (2 's) (2 fine)))"
TREES = {
    "train": [IT_IS_GOOD, FILM_IS_DULL, THE_GOOD_FILM, IT_IS_FINE],
    "dev": [IT_IS_GOOD, IT_IS_FINE, FILM_IS_DULL],
    "test": [FILM_IS_DULL, THE_GOOD_FILM],
}


def write_trees(root, compress=True, folder="sst_trees"):
    for split, lines in TREES.items():
        name = f"{split}.txt.gz" if compress else f"{split}.txt"
        files.write_text(
            Path(root) / folder / name, "\n".join(lines) + "\n", compress
        )


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch):
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)


def test_tree_nodes_come_in_post_order_with_children_and_spans():
    tree = parse_tree(FILM_IS_DULL)
    assert tree.tokens == ("The", "film", "is", "dull")
    # The, film, The film, is, dull, is dull, the sentence.
    assert tree.labels == (2, 2, 2, 2, 0, 1, 1)
    assert tree.children == ((), (), (0, 1), (), (), (3, 4), (2, 5))
    assert tree.spans == (
        (0, 1),
        (1, 2),
        (0, 2),
        (2, 3),
        (3, 4),
        (2, 4),
        (0, 4),
    )
    assert tree.token_indices == (0, 1, -1, 2, 3, -1, -1)
    assert tree.root_label == 1 and tree.num_nodes == 7
    for node, kids in enumerate(tree.children):
        assert all(kid < node for kid in kids)
    assert tree.bracketed() == FILM_IS_DULL


def test_tokens_stay_as_in_the_file():
    tree = parse_tree("(2 (2 -LRB-) (2 (2 8\xa01\\/2) (2 ``)))")
    assert tree.tokens == ("-LRB-", "8\xa01\\/2", "``")
    assert tree.sentence == "-LRB- 8\xa01\\/2 ``"


def test_phrases_are_the_words_under_each_node():
    assert parse_tree(IT_IS_GOOD).phrases() == [
        ("It", 2),
        ("'s", 2),
        ("good", 3),
        ("'s good", 4),
        ("It 's good", 3),
    ]


def test_parse_trees_skips_blank_lines():
    trees = parse_trees(f"{IT_IS_GOOD}\n\n  \n{IT_IS_FINE}\n")
    assert [tree.root_label for tree in trees] == [3, 2]


def test_binary_labels_drop_neutral():
    assert [binary_label(label) for label in range(5)] == [0, 0, None, 1, 1]
    with pytest.raises(ValueError, match="0-4, got 5"):
        binary_label(5)


def test_distinct_phrases_count_each_phrase_once_with_its_usual_label():
    trees = parse_trees(
        "(3 (2 a) (3 Gem))\n(1 (2 a) (1 gem))\n(1 (2 the) (1 gem))"
    )
    assert distinct_phrases(trees) == {
        "text": ["a", "Gem", "a Gem", "gem", "a gem", "the", "the gem"],
        "label": [2, 3, 3, 1, 1, 2, 1],
    }
    # Normalized, "Gem" (positive once) and "gem" (negative twice) are one
    # phrase, negative; "a Gem" and "a gem" tie, and the first seen wins.
    assert distinct_phrases(trees, binary=True, normalize=True) == {
        "text": ["gem", "a gem", "the gem"],
        "label": [0, 1, 0],
    }


@pytest.mark.parametrize(
    "line, expected",
    [
        ("(3 (2 It) (4 (2 's) (3 good))", "1 '\\(' never closed"),
        ("(3 (2 It)) (3 good))", "column 12: expected nothing after"),
        ("(3 (2 It) (7 good))", "label 0-4 after '\\(', got '7'"),
        ("(3 (2 It 's))", 'one word or child nodes, got also "\'s"'),
        ("(3 ())", "a word or child nodes, got '\\(\\)'"),
        ("It 's good", "'\\(' to open the tree"),
    ],
)
def test_malformed_trees_say_where_and_what_was_expected(line, expected):
    with pytest.raises(data.DataFormatError, match=expected) as error:
        parse_tree(line, "trees.txt", 4)
    assert "trees.txt, line 4, column" in str(error.value)


def test_sst_trees_sentences_with_root_labels(tmp_path):
    write_trees(tmp_path)
    validation = as_python(data.load("sst_trees", "validation", tmp_path))
    assert validation == [
        {"text": "It 's good", "label": 3},
        {"text": "It 's fine", "label": 2},
        {"text": "The film is dull", "label": 1},
    ]
    phrases = as_python(data.load("sst_trees", "dev", tmp_path, phrases=True))
    # 5 + 3 + 7 distinct: "It" and "'s" of the second tree are seen.
    assert len(phrases) == 15
    assert phrases[:5] == [
        {"text": "It", "label": 2},
        {"text": "'s", "label": 2},
        {"text": "good", "label": 3},
        {"text": "'s good", "label": 4},
        {"text": "It 's good", "label": 3},
    ]


def test_sst2_phrases_trains_on_phrases_and_tests_on_sentences(tmp_path):
    # The release's plain trees/*.txt, with data_dir that folder.
    write_trees(tmp_path, compress=False, folder="trees")
    train = as_python(data.load("sst2_phrases", "train", tmp_path / "trees"))
    assert [(e["text"], e["label"]) for e in train] == [
        ("good", 1),
        ("'s good", 1),
        ("it 's good", 1),
        ("dull", 0),
        ("is dull", 0),
        ("the film is dull", 0),
        ("the good", 1),
        ("the good -lrb- film -rrb-", 1),
    ]
    validation = as_python(data.load("sst2_phrases", "dev", tmp_path / "trees"))
    assert validation == [
        {"text": "it 's good", "label": 1},
        {"text": "the film is dull", "label": 0},
    ]


def test_sst2_phrases_vocabulary_keeps_treebank_tokens_whole(tmp_path):
    write_trees(tmp_path)
    vectorizer = data.build_vectorizer("sst2_phrases", data_dir=tmp_path)
    vocabulary = vectorizer.vocabulary("text")
    assert {"-lrb-", "-rrb-", "'s", "good"} <= set(vocabulary)
    batches = data.make_pipeline(
        "sst2_phrases",
        "test",
        2,
        vectorizer=vectorizer,
        sequence_length=8,
        data_dir=tmp_path,
    )
    ids, labels = next(iter(batches))
    assert ids.shape == (2, 8) and labels.numpy().tolist() == [0, 1]


def test_unbalanced_bracket_in_a_file_names_file_and_line(tmp_path):
    write_trees(tmp_path)
    files.write_text(
        tmp_path / "sst_trees" / "test.txt.gz",
        f"{IT_IS_GOOD}\n{IT_IS_GOOD[:-1]}\n",
        True,
    )
    for name in ("sst_trees", "sst2_phrases"):
        with pytest.raises(
            data.DataFormatError,
            match=r"test.txt.gz, line 2, column \d+: .*never",
        ):
            data.load(name, "test", tmp_path)


def test_missing_trees_name_expected_path_and_source(tmp_path):
    with pytest.raises(data.DataNotFoundError) as error:
        data.load("sst2_phrases", "train", tmp_path)
    message = str(error.value)
    assert str(tmp_path / "sst_trees" / "train.txt.gz") in message
    assert "nlp.stanford.edu/sentiment" in message


@pytest.mark.slow
def test_real_sst2_phrases_evaluate_on_the_sentences_of_sst2():
    if not (SHARED_DATA / "sst_trees").is_dir():
        pytest.skip(f"{SHARED_DATA / 'sst_trees'} is absent")
    for split, size in (("validation", 872), ("test", 1_821)):
        phrases = as_python(data.load("sst2_phrases", split, SHARED_DATA))
        sentences = as_python(data.load("sst2", split, SHARED_DATA))
        assert len(phrases) == size
        # Kim's files list the same sentences in another order.
        key = lambda e: (e["text"], e["label"])  # noqa: E731
        assert sorted(map(key, phrases)) == sorted(map(key, sentences))
    train = as_python(data.load("sst2_phrases", "train", SHARED_DATA))
    texts = [e["text"] for e in train]
    assert len(texts) == len(set(texts)) == 77_195
    # Every training sentence of sst2 is among the phrases.
    sentences = as_python(data.load("sst2", "train", SHARED_DATA))
    assert {key(e) for e in sentences} <= {key(e) for e in train}
