"""Loading a dataset from TensorFlow Datasets, converted to the features
of its local-file loader so a pipeline cannot tell the two apart."""

import tensorflow as tf

from rnnzoo.data.files import DataNotFoundError


def _text_classification(text_feature):
    def convert(example, info):
        return {"text": example[text_feature], "label": example["label"]}

    return convert


def _tiny_shakespeare(example, info):
    return {"text": example["text"]}


def _universal_dependencies(example, info):
    upos_names = tf.constant(info.features["upos"].feature.names)
    return {
        "tokens": example["tokens"],
        "upos": tf.gather(upos_names, example["upos"]),
        "xpos": example["xpos"],
    }


# How each TFDS dataset's features become ours.
CONVERTERS = {
    "imdb_reviews/plain_text": _text_classification("text"),
    "glue/sst2": _text_classification("sentence"),
    "tiny_shakespeare": _tiny_shakespeare,
    "universal_dependencies/en_ewt": _universal_dependencies,
}


def load_from_tfds(
    tfds_name: str,
    tfds_split: str,
    dataset: str,
    files_hint: str,
    tfds_data_dir=None,
    download: bool = True,
) -> tf.data.Dataset:
    """Loads `tfds_name[tfds_split]` and converts its examples.

    Args:
        tfds_name: The TFDS name, with its config (`"glue/sst2"`).
        tfds_split: A TFDS split string (`"train[80%:]"`).
        dataset: rnnzoo's name of the dataset, for error messages.
        files_hint: The local layout to suggest when TFDS fails.
        tfds_data_dir: TFDS's own data folder (default `~/tensorflow_datasets`).
        download: Whether TFDS may download and prepare the dataset.

    Returns:
        A dataset with the features of rnnzoo's local loader.

    Raises:
        DataNotFoundError: TFDS could not provide the data (e.g. no
            network and nothing prepared in `tfds_data_dir`).
    """
    import tensorflow_datasets as tfds

    try:
        examples, info = tfds.load(
            tfds_name,
            split=tfds_split,
            data_dir=tfds_data_dir,
            download=download,
            with_info=True,
        )
    except Exception as error:  # TFDS raises many kinds when offline.
        raise DataNotFoundError(
            f"{dataset}: TensorFlow Datasets could not provide "
            f"{tfds_name} split {tfds_split!r} ({type(error).__name__}: "
            f"{str(error)[:300]}). Prepare it where TFDS can reach it, or "
            f"pass data_dir= a folder holding {files_hint}."
        ) from error
    convert = CONVERTERS[tfds_name]
    return examples.map(
        lambda example: convert(example, info),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
