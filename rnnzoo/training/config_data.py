"""What a zoo config's `data` section means for a run: its task, the
`rnnzoo.data` options it implies, and how the pipeline's batches meet the
model's inputs.

The task-specific parts (pipeline options, the model arguments the data
decides, loss and metrics) are methods of the config's task
(`rnnzoo.tasks`); this module holds what is the same for every task.
"""

import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.tasks import TaskShape
from rnnzoo.tasks import get_task

# Input names a pipeline may use, to the names a model may give the same
# input (`Seq2Seq`: source, target_in; `ImageCaptioner`: image or
# features, caption_in).
INPUT_ALIASES = {
    "encoder_inputs": ("source",),
    "decoder_inputs": ("target_in", "caption_in"),
    "target_in": ("caption_in",),
    "caption_in": ("target_in",),
    "images": ("image", "features"),
    "image": ("features",),
}


def task_of(config: dict) -> TaskShape:
    """The task of a config: its dataset's, when `rnnzoo.data` knows the
    dataset, else the config's own `task`."""
    dataset = config["data"]["dataset"]
    if dataset in registry.DATASETS:
        return get_task(registry.DATASETS[dataset].task)
    return get_task(config["task"])


def load_options(config: dict) -> dict | None:
    """`data.preprocessing.load_options`: options of `rnnzoo.data.load`."""
    preprocessing = config["data"].get("preprocessing") or {}
    return preprocessing.get("load_options")


def max_length(options: dict) -> int | None:
    """The longest sequence a pipeline keeps."""
    if options.get("sequence_length"):
        return options["sequence_length"]
    if options.get("buckets"):
        return max(options["buckets"])
    return None


def _model_input_names(model):
    inputs = model.input
    return list(inputs) if isinstance(inputs, dict) else None


def _input_renames(spec, model) -> dict:
    """Pipeline input name to model input name, for dict inputs."""
    names = _model_input_names(model)
    if not isinstance(spec, dict) or names is None:
        return {}
    renames = {}
    for key in spec:
        if key in names:
            continue
        matches = [n for n in INPUT_ALIASES.get(key, ()) if n in names]
        if len(matches) != 1:
            raise ValueError(
                f"The data's input {key!r} matches none of the model's "
                f"inputs {names}; known aliases: {INPUT_ALIASES}"
            )
        renames[key] = matches[0]
    return renames


def adapt_batches(task, dataset: tf.data.Dataset, model):
    """Maps a pipeline's batches onto the model's inputs and targets:
    inputs renamed where the model names them differently
    (`INPUT_ALIASES`), targets built by the task where the model needs
    more than the pipeline gives (`TaskShape.target_adapter`)."""
    renames = _input_renames(dataset.element_spec[0], model)
    targets = get_task(task).target_adapter(model)
    if not (renames or targets):
        return dataset

    def adapt(x, y, *rest):
        if isinstance(x, dict):
            x = {renames.get(key, key): value for key, value in x.items()}
        if targets:
            y = targets(x, y)
        return (x, y, *rest)

    return dataset.map(adapt, num_parallel_calls=tf.data.AUTOTUNE)
