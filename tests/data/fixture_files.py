"""Small dataset files in each dataset's upstream layout, written by the
tests themselves (rnnzoo never needs the real data folder)."""

import gzip
import json
import pickle
import tarfile
from pathlib import Path

import numpy as np

CONLLU_TRAIN = """\
# newdoc id = weblog-1
# sent_id = weblog-1-0001
# text = I don't know.
1\tI\tI\tPRON\tPRP\tCase=Nom\t4\tnsubj\t4:nsubj\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\tMood=Ind\t4\taux\t4:aux\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_
4\tknow\tknow\tVERB\tVB\tVerbForm=Inf\t0\troot\t0:root\tSpaceAfter=No
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_

# sent_id = weblog-1-0002
# text = Cats sleep
1\tCats\tcat\tNOUN\tNNS\tNumber=Plur\t2\tnsubj\t2:nsubj\t_
1.1\tsleep\tsleep\tVERB\tVBP\t_\t_\t_\t0:root\tCopyOf=2
2\tsleep\tsleep\tVERB\tVBP\t_\t0\troot\t0:root\t_
"""
CONLLU_DEV = """\
# sent_id = dev-1
1\tDogs\tdog\tNOUN\tNNS\t_\t2\tnsubj\t_\t_
2\tbark\tbark\tVERB\tVBP\t_\t0\troot\t_\t_

"""

PTB_LINES = {
    "train": [
        " the cat sat on the mat ",
        " a dog ran N miles ",
        " the <unk> sat ",
    ],
    "valid": [" the dog sat "],
    "test": [" a cat ran "],
}

SST2_LINES = {
    "train": ["1 a stirring , funny film", "0 a dull , tired mess ."],
    "dev": ["1 funny and warm ."],
    "test": ["0 tired ."],
}

MULTI30K = {
    "train": (
        ["A dog runs.", "Two men sit on a bench.", "A girl smiles."],
        [
            "Ein Hund läuft.",
            "Zwei Männer sitzen auf einer Bank.",
            "Ein Mädchen lächelt.",
        ],
    ),
    "val": (["A man runs."], ["Ein Mann läuft."]),
    "test_2016_flickr": (["A dog sits."], ["Ein Hund sitzt."]),
}

IMDB_REVIEWS = {
    "train": {
        "pos": [
            "A great film.<br />Loved it!",
            "Wonderful acting.",
            "Moving story.",
            "Brilliant cast.",
            "A joy.",
        ],
        "neg": [
            "Dull plot.",
            "Terrible, boring film.",
            "Weak script.",
            "Flat acting.",
            "A mess.",
        ],
    },
    "val": {"pos": ["Great fun."], "neg": ["Boring."]},
    "test": {"pos": ["Loved the film."], "neg": ["Bad acting.", "Awful."]},
}

# Two chorales per split: steps of MIDI pitches, [] for a rest.
JSB_CHORALES = {
    "train": [
        [[60, 64, 67], [62, 65, 69], [], [60, 64, 67, 72]],
        [[55, 59, 62], [57, 60, 64], [59, 62, 67]],
    ],
    "valid": [[[21, 108], [48]]],
    "test": [[[60], [62], [64], [65], [67]]],
}

TINY_TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 3
)


def write_text(path, text, compress=False):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as file:
            file.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_ud(root):
    folder = Path(root) / "ud_en_ewt"
    write_text(folder / "en_ewt-ud-train.conllu.gz", CONLLU_TRAIN, True)
    write_text(folder / "en_ewt-ud-dev.conllu.gz", CONLLU_DEV, True)
    write_text(folder / "en_ewt-ud-test.conllu.gz", CONLLU_DEV, True)
    return folder


def write_ptb(root):
    for split, lines in PTB_LINES.items():
        write_text(
            Path(root) / "ptb" / f"ptb.{split}.txt.gz",
            "\n".join(lines) + "\n",
            True,
        )


def write_sst2(root):
    for split, lines in SST2_LINES.items():
        write_text(
            Path(root) / "sst2" / f"stsa.binary.{split}", "\n".join(lines)
        )


def write_multi30k(root):
    for stem, (english, german) in MULTI30K.items():
        for language, lines in (("en", english), ("de", german)):
            write_text(
                Path(root) / "multi30k" / f"{stem}.{language}.gz",
                "\n".join(lines) + "\n",
                True,
            )


def write_imdb_folder(root, folders=("train", "val", "test")):
    base = Path(root) / "aclImdb"
    for folder in folders:
        for sentiment, reviews in IMDB_REVIEWS[folder].items():
            for index, review in enumerate(reviews):
                rating = 8 if sentiment == "pos" else 2
                write_text(
                    base / folder / sentiment / f"{index}_{rating}.txt", review
                )
    return base


def write_imdb_archive(root, scratch):
    """`root/imdb/aclImdb.tar.gz`, built from a folder in `scratch`."""
    base = write_imdb_folder(scratch)
    archive = Path(root) / "imdb" / "aclImdb.tar.gz"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(base, arcname="aclImdb")
    return archive


def write_jsb(root, as_pickle=False):
    folder = Path(root) / "jsb_chorales"
    folder.mkdir(parents=True, exist_ok=True)
    if as_pickle:
        # The upstream pickle holds tuples of NumPy int64 pitches.
        data = {
            split: [
                [tuple(np.int64(p) for p in step) for step in chorale]
                for chorale in chorales
            ]
            for split, chorales in JSB_CHORALES.items()
        }
        path = folder / "jsb-chorales-quarter.pkl"
        path.write_bytes(pickle.dumps(data, protocol=2))
    else:
        path = folder / "jsb-chorales-quarter.json"
        path.write_text(json.dumps(JSB_CHORALES))
    return path


def write_tiny_shakespeare(root):
    return write_text(Path(root) / "tinyshakespeare" / "input.txt", TINY_TEXT)


def japanese_vowels_ts(series, labels):
    """A `.ts` file (UCR/UEA format) of 12-dimensional series."""
    header = (
        "#A tiny copy in the upstream format\n"
        "@problemName JapaneseVowels\n@timeStamps false\n@missing false\n"
        "@univariate false\n@dimensions 12\n@equalLength false\n"
        "@classLabel true 1 2 3 4 5 6 7 8 9\n@data\n"
    )
    rows = []
    for frames, label in zip(series, labels):
        dims = [
            ",".join(f"{value:.4f}" for value in frames[:, d])
            for d in range(12)
        ]
        rows.append(":".join(dims) + f":{label}")
    return header + "\n".join(rows) + "\n"
