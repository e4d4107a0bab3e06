"""Aligned tagging from CoNLL-U treebanks: Universal Dependencies EWT.

Examples are `{"tokens": string (steps,), "upos": string (steps,),
"xpos": string (steps,)}`, one per sentence, over syntactic words.
"""

from collections.abc import Iterator

import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import find_file
from rnnzoo.data.files import iter_lines
from rnnzoo.data.files import read_text
from rnnzoo.data.files import reject_options

UD_EWT_SOURCE = "https://github.com/UniversalDependencies/UD_English-EWT"
TAGGING_DTYPES = {"tokens": tf.string, "upos": tf.string, "xpos": tf.string}

# The 17 universal part-of-speech tags of UD v2, in the order of
# https://universaldependencies.org/u/pos/ (alphabetical).
UPOS_TAGS = (
    "ADJ",
    "ADP",
    "ADV",
    "AUX",
    "CCONJ",
    "DET",
    "INTJ",
    "NOUN",
    "NUM",
    "PART",
    "PRON",
    "PROPN",
    "PUNCT",
    "SCONJ",
    "SYM",
    "VERB",
    "X",
)

_FIELDS = 10


def parse_conllu(text: str, path="<text>") -> Iterator[dict]:
    """Parses CoNLL-U sentences into words and their tags.

    Follows https://universaldependencies.org/format.html: comment lines
    (`# sent_id = ...`, `# text = ...`) are read for `sent_id` and `text`;
    multiword-token lines (ID `3-4`, e.g. "don't" over "do" + "n't") and
    empty nodes (ID `5.1`) are skipped, so the tokens are the syntactic
    words that carry the UPOS and XPOS tags; a blank line ends a sentence.

    Args:
        text: The file's content.
        path: The file's name, for error messages.

    Yields:
        `{"tokens", "upos", "xpos", "sent_id", "text"}` per sentence; the
        first three are lists of strings of equal length.

    Raises:
        DataFormatError: a word line does not have 10 tab-separated fields
            or its ID is not an integer, range or decimal.

    Example:

    >>> sentence = next(parse_conllu(
    ...     "# text = Hi\\n1\\tHi\\thi\\tINTJ\\tUH\\t_\\t0\\troot\\t_\\t_\\n"))
    >>> sentence["tokens"], sentence["upos"]
    (['Hi'], ['INTJ'])
    """
    sentence = _empty_sentence()
    for number, line in iter_lines(text):
        if not line.strip():
            if sentence["tokens"]:
                yield sentence
            sentence = _empty_sentence()
            continue
        if line.startswith("#"):
            key, separator, value = line[1:].partition("=")
            if separator and key.strip() in ("sent_id", "text"):
                sentence[key.strip()] = value.strip()
            continue
        fields = line.split("\t")
        if len(fields) != _FIELDS:
            raise DataFormatError(
                f"{path}, line {number}: expected {_FIELDS} tab-separated "
                f"CoNLL-U fields, got {len(fields)}: {line[:60]!r}."
            )
        word_id = fields[0]
        if "-" in word_id or "." in word_id:
            if not word_id.replace("-", "").replace(".", "").isdigit():
                raise DataFormatError(
                    f"{path}, line {number}: malformed ID {word_id!r}."
                )
            continue
        if not word_id.isdigit():
            raise DataFormatError(
                f"{path}, line {number}: expected an integer word ID, got "
                f"{word_id!r}."
            )
        sentence["tokens"].append(fields[1])
        sentence["upos"].append(fields[3])
        sentence["xpos"].append(fields[4])
    if sentence["tokens"]:
        yield sentence


def _empty_sentence():
    return {"tokens": [], "upos": [], "xpos": [], "sent_id": "", "text": ""}


def read_conllu(path) -> tf.data.Dataset:
    """Reads a (possibly gzipped) CoNLL-U file into tagging examples.

    Returns:
        A dataset of `{"tokens", "upos", "xpos"}` string sequences.
    """
    sentences = list(parse_conllu(read_text(path), path))
    if not sentences:
        raise DataFormatError(f"{path} holds no CoNLL-U sentences.")
    return examples_dataset(
        {key: [s[key] for s in sentences] for key in TAGGING_DTYPES},
        TAGGING_DTYPES,
    )


def load_ud_en_ewt(split: str, data_dir, **options) -> tf.data.Dataset:
    """Loads the Universal Dependencies English Web Treebank.

    Reads `data_dir/ud_en_ewt/en_ewt-ud-{train,dev,test}.conllu.gz` (or the
    uncompressed `.conllu` of the UD release); `dev` is the validation
    split. The copy in `../shared/data` has 12,544 / 2,001 / 2,077
    sentences.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the treebank's folder.
        **options: None are accepted.

    Returns:
        A dataset of `{"tokens", "upos", "xpos"}` string sequences.
    """
    reject_options("ud_en_ewt", options)
    suffix = {"train": "train", "validation": "dev", "test": "test"}[split]
    name = f"en_ewt-ud-{suffix}.conllu"
    path = find_file(
        data_dir, "ud_en_ewt", [name + ".gz", name], "ud_en_ewt", UD_EWT_SOURCE
    )
    return read_conllu(path)
