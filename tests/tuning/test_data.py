"""The data of a search: the config's training split and a validation
split, held out of the training split where the dataset has none."""

import numpy as np

import rnnzoo
from rnnzoo.tuning.data import search_data
from tests.tuning.conftest import TINY_SENTIMENT
from tests.tuning.conftest import write_sst2


def count(dataset):
    return sum(int(batch[1].shape[0]) for batch in dataset)


def test_a_validation_split_is_used_as_it_is(tmp_path):
    data_dir = write_sst2(tmp_path, sizes=(24, 8, 8))
    task_data = search_data(TINY_SENTIMENT, data_dir)
    assert sorted(task_data.datasets) == ["train", "validation"]
    assert (count(task_data["train"]), count(task_data["validation"])) == (
        24,
        8,
    )
    assert task_data.vectorizer is not None


def test_without_a_validation_split_part_of_train_is_held_out():
    config = rnnzoo.model_info("vowels_mgu")
    train_size = rnnzoo.data.dataset_info("japanese_vowels").splits["train"]
    task_data = search_data(config, validation_fraction=0.25, seed=1)
    validation = list(task_data["validation"])
    held_out = count(validation)
    assert held_out == round(train_size * 0.25)
    assert count(task_data["train"]) == train_size - held_out
    # The split is fixed: the same examples are held out each epoch.
    again = list(task_data["validation"])
    for first, second in zip(validation, again):
        np.testing.assert_array_equal(first[0].numpy(), second[0].numpy())
    # The held-out examples are training examples (padding adds zeros,
    # which leave a series' sum as it is).
    train_sums = {
        round(float(example["series"].numpy().sum()), 3)
        for example in rnnzoo.data.load("japanese_vowels", "train")
    }
    for series, _ in validation:
        for example in series.numpy():
            assert round(float(example.sum()), 3) in train_sums
