"""Word vectors trained here, on in-domain training text, to initialise a
model's token embedding.

No pretrained vectors can be downloaded on every machine, but the
training splits of the datasets themselves are text enough for skip-gram
vectors (Mikolov et al. 2013, by gensim's `Word2Vec`): a zoo config asks
for them with

    data:
      word_vectors:
        corpus: [imdb/train, imdb/validation, sst_treebank/train]
        dimension: 300
        trainable: false  # optional; true (fine-tuned) by default

and `rnnzoo train` trains them before the model (once per run folder: a
resumed run reads `word_vectors.npy` back) and writes them into the rows
of the token embedding whose words they know; the other rows keep their
random initialisation. Text is split as the text vectorizers split it
(`lower_and_split_punctuation`). A test split is never read: the corpus
names training and validation splits only. Needs `gensim`
(`pip install "rnnzoo[vectors]"`).
"""

import zlib
from pathlib import Path

import keras
import numpy as np

from rnnzoo.validation import check_positive_int

VECTORS_FILE = "word_vectors.npy"
# gensim's defaults where the config says nothing; skip-gram with 10
# negative samples suits a corpus of a few million words.
DEFAULTS = {
    "dimension": 300,
    "window": 5,
    "min_count": 2,
    "negative": 10,
    "epochs": 5,
    "workers": 2,
    "seed": 0,
}
# Whether training goes on to change the vectors. Frozen vectors keep a
# small labelled set (e.g. SST's sentences) from fitting its own
# vocabulary word by word.
TRAINABLE_DEFAULT = True
SETTINGS = ("corpus", "trainable", *DEFAULTS)


def word_vector_settings(settings: dict) -> dict:
    """`settings` checked, with the defaults filled in.

    Raises:
        ValueError: An unknown key, a corpus entry that is not
            `"dataset/split"` or names a test split, or a non-positive
            number; the message names the key.

    Example:

    >>> word_vector_settings({"corpus": ["imdb/train"]})["dimension"]
    300
    """
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ValueError(
            f"Expected word_vectors keys among {list(SETTINGS)}, got {unknown}"
        )
    corpus = settings.get("corpus")
    if not isinstance(corpus, list) or not corpus:
        raise ValueError(
            "Expected word_vectors.corpus to be a list of 'dataset/split', "
            f"got {corpus!r}"
        )
    for entry in corpus:
        parts = str(entry).split("/")
        if len(parts) != 2 or not all(parts):
            raise ValueError(
                "Expected each word_vectors.corpus entry as "
                f"'dataset/split', got {entry!r}"
            )
        if parts[1] == "test":
            raise ValueError(
                "word_vectors.corpus must not read a test split (the "
                f"vectors would have seen the test text), got {entry!r}"
            )
    checked = {**DEFAULTS, "trainable": TRAINABLE_DEFAULT, **settings}
    for key in DEFAULTS:
        if key != "seed":
            check_positive_int(f"word_vectors.{key}", checked[key])
    if not isinstance(checked["trainable"], bool):
        raise ValueError(
            "Expected word_vectors.trainable to be true or false, got "
            f"{checked['trainable']!r}"
        )
    return checked


def corpus_sentences(corpus, data_dir) -> list[list[str]]:
    """The token lists of every example's `text` in the corpus splits."""
    from rnnzoo.data.registry import load
    from rnnzoo.data.vectorizers import lower_and_split_punctuation

    sentences = []
    for entry in corpus:
        name, split = entry.split("/")
        texts = load(name, split, data_dir=data_dir).map(
            lambda example: lower_and_split_punctuation(example["text"])
        )
        for text in texts.batch(512).as_numpy_iterator():
            sentences += [line.decode("utf-8").split() for line in text]
    return sentences


def _stable_hash(word):
    # Python's own string hash changes from process to process.
    return zlib.crc32(str(word).encode("utf-8"))


def train_word_vectors(sentences, settings: dict):
    """Skip-gram vectors of `sentences` (lists of tokens), by gensim.

    Returns:
        gensim `KeyedVectors`.
    """
    try:
        from gensim.models import Word2Vec
    except ImportError as error:
        raise ImportError(
            "data.word_vectors needs gensim: pip install 'rnnzoo[vectors]'"
        ) from error
    model = Word2Vec(
        sentences,
        vector_size=settings["dimension"],
        window=settings["window"],
        min_count=settings["min_count"],
        negative=settings["negative"],
        epochs=settings["epochs"],
        workers=settings["workers"],
        seed=settings["seed"],
        sg=1,
        hashfxn=_stable_hash,
    )
    return model.wv


def vector_rows(vectors, vocabulary, initial) -> tuple[np.ndarray, int]:
    """`initial` with the row of each vocabulary word the vectors know
    replaced by its vector.

    Returns:
        `(matrix, known)`: the new matrix and how many rows were set.
    """
    matrix = np.array(initial, dtype="float32", copy=True)
    known = 0
    for index, word in enumerate(vocabulary):
        if word in vectors:
            matrix[index] = vectors[word]
            known += 1
    return matrix, known


def token_embedding(model, vocabulary_size: int):
    """The model's `Embedding` of `vocabulary_size` rows."""
    for layer in model._flatten_layers():
        if (
            isinstance(layer, keras.layers.Embedding)
            and layer.input_dim == vocabulary_size
        ):
            return layer
    raise ValueError(
        f"Expected the model to have an Embedding of {vocabulary_size} "
        "rows (the vocabulary's size) for data.word_vectors; it has none"
    )


def initialize_embedding(
    model, vocabulary, settings: dict, data_dir, run_dir
) -> int:
    """Writes word vectors into the model's token embedding.

    The vectors are trained on `settings["corpus"]` the first time and
    kept as `run_dir/word_vectors.npy` (the embedding's initial matrix),
    which a resumed run reads back.

    Args:
        model: A built model with an `Embedding` of `len(vocabulary)` rows.
        vocabulary: The token of each row.
        settings: The config's `data.word_vectors`.
        data_dir: The datasets' folder.
        run_dir: The run's folder.

    With `settings["trainable"]` false the embedding is frozen (set
    before the model is compiled).

    Returns:
        The number of rows the vectors set (0 when read back).

    Raises:
        ValueError: The embedding's width is not `settings["dimension"]`.
    """
    settings = word_vector_settings(settings)
    layer = token_embedding(model, len(vocabulary))
    if layer.output_dim != settings["dimension"]:
        raise ValueError(
            f"Expected word_vectors.dimension to equal the embedding's "
            f"width {layer.output_dim}, got {settings['dimension']}"
        )
    layer.trainable = settings["trainable"]
    cached = Path(run_dir) / VECTORS_FILE
    if cached.exists():
        layer.embeddings.assign(np.load(cached))
        return 0
    vectors = train_word_vectors(
        corpus_sentences(settings["corpus"], data_dir), settings
    )
    initial = keras.ops.convert_to_numpy(layer.embeddings)
    matrix, known = vector_rows(vectors, vocabulary, initial)
    layer.embeddings.assign(matrix)
    partial = cached.with_suffix(".partial.npy")
    np.save(partial, matrix)
    partial.replace(cached)  # an interrupted save leaves no cache
    return known
