"""The TensorFlow Datasets path, without network: `tfds.testing.mock_data`
stands in for the prepared data."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import rnnzoo.data as data


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch):
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)


def spec_of(dataset):
    return {
        name: (spec.dtype, spec.shape.as_list())
        for name, spec in dataset.element_spec.items()
    }


@pytest.mark.parametrize(
    "name, expected",
    [
        ("imdb", {"text": (tf.string, []), "label": (tf.int64, [])}),
        ("sst2", {"text": (tf.string, []), "label": (tf.int64, [])}),
        ("tiny_shakespeare", {"text": (tf.string, [])}),
        (
            "ud_en_ewt",
            {
                "tokens": (tf.string, [None]),
                "upos": (tf.string, [None]),
                "xpos": (tf.string, [None]),
            },
        ),
    ],
)
def test_tfds_examples_have_the_local_loaders_features(name, expected):
    with tfds.testing.mock_data(num_examples=4):
        examples = data.load(name, "train")
        assert spec_of(examples) == expected
        assert len(list(examples)) >= 1


def test_tfds_split_mapping_and_upos_names():
    requested = []
    upos_ids = [[7, 15, 12], [11, 15]]  # NOUN VERB PUNCT / PROPN VERB

    def as_dataset(self, split, *args, **kwargs):
        requested.append(str(split))
        tokens = [["Dogs", "bark", "."], ["Rex", "barks"]]
        return tf.data.Dataset.from_generator(
            lambda: (
                {
                    "tokens": t,
                    "upos": u,
                    "xpos": ["X"] * len(t),
                    "lemmas": t,
                    "text": " ".join(t),
                    "idx": "0",
                    "deprel": ["_"] * len(t),
                    "deps": ["_"] * len(t),
                    "feats": ["_"] * len(t),
                    "head": ["0"] * len(t),
                    "misc": ["_"] * len(t),
                }
                for t, u in zip(tokens, upos_ids)
            ),
            output_signature=self.info.features.get_tensor_spec(),
        )

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        examples = list(data.load("ud_en_ewt", "validation"))
    assert "dev" in requested[0]
    upos = [[t.decode() for t in e["upos"].numpy()] for e in examples]
    assert upos == [["NOUN", "VERB", "PUNCT"], ["PROPN", "VERB"]]
    assert all(tag in data.UPOS_TAGS for tags in upos for tag in tags)


def test_imdb_validation_is_the_last_fifth_of_tfds_train():
    requested = {}

    def as_dataset(self, split, *args, **kwargs):
        requested[len(requested)] = str(split)
        return tf.data.Dataset.from_tensor_slices(
            {"text": ["good", "bad"], "label": [1, 0]}
        )

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        for split in ("train", "validation", "test"):
            assert len(list(data.load("imdb", split))) == 2
    # TFDS has train and test only: validation is train's last 20%.
    assert "train[:80%]" in requested[0]
    assert "train[80%:]" in requested[1]
    assert "test" in requested[2]


def test_pipeline_from_tfds_matches_local_shape_contract():
    with tfds.testing.mock_data(num_examples=12):
        vectorizer = data.build_vectorizer("sst2", vocabulary_size=50)
        batches = list(
            data.make_pipeline(
                "sst2",
                "validation",
                4,
                vectorizer=vectorizer,
                sequence_length=8,
                drop_remainder=True,
            )
        )
    assert len(batches) == 3
    for token_ids, labels in batches:
        assert token_ids.shape == (4, 8) and token_ids.dtype == tf.int32
        assert labels.shape == (4,)
        assert np.all(token_ids.numpy() < vectorizer.vocabulary_size("text"))


def test_tfds_failure_names_the_local_alternative(tmp_path):
    with pytest.raises(data.DataNotFoundError) as error:
        data.load(
            "tiny_shakespeare",
            "train",
            tfds_data_dir=str(tmp_path),
            download=False,
        )
    message = str(error.value)
    assert "TensorFlow Datasets could not provide tiny_shakespeare" in message
    assert "tinyshakespeare/input.txt" in message


def test_tfds_has_test_split_where_local_files_do_not():
    with tfds.testing.mock_data(num_examples=2):
        assert len(list(data.load("tiny_shakespeare", "test"))) == 2
