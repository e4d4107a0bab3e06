"""Per-task glue between a zoo config's data and its model.

For each task shape this module knows

* which `rnnzoo.data` pipeline options a config implies (`pipeline_options`);
* which model arguments come from the data rather than the config
  (`data_arguments`): the vocabulary sizes of the adapted vectorizer, the
  `[start]`/`[end]` ids, the feature width, the fixed batch of a stateful
  language model;
* how a pipeline's batches become the model's inputs (`adapt_batches`):
  dict inputs are renamed where the pipeline's names differ from the
  model's (`INPUT_ALIASES`), and a tagger with language-modelling heads
  gets their targets;
* which loss and metrics to compile and report (`compile_arguments`,
  `generation_metrics`, `derived_metrics`), in the literature's units;
* a random batch of the right structure for any zoo model
  (`synthetic_batch`), to check that its train step compiles.
"""

import math

import numpy as np
import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data import tasks as data_tasks
from rnnzoo.data.vectorizers import END_TOKEN
from rnnzoo.data.vectorizers import START_TOKEN
from rnnzoo.training.metrics import MaskedAccuracy
from rnnzoo.training.metrics import MaskedPerplexity
from rnnzoo.training.metrics import NegativeLogLikelihoodPerStep
from rnnzoo.training.metrics import corpus_bleu
from rnnzoo.training.metrics import exact_match

TEXT_CLASSIFICATION = registry.TEXT_CLASSIFICATION
TIME_SERIES_CLASSIFICATION = registry.TIME_SERIES_CLASSIFICATION
TAGGING = registry.TAGGING
TRANSLATION = registry.TRANSLATION
LANGUAGE_MODELLING = registry.LANGUAGE_MODELLING
MUSIC_MODELLING = registry.MUSIC_MODELLING
CAPTIONING = registry.CAPTIONING
FORECASTING = registry.FORECASTING
GENERATION_TASKS = (TRANSLATION, CAPTIONING)
TOKEN_TASKS = (TRANSLATION, CAPTIONING, LANGUAGE_MODELLING)

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
DEFAULT_BPTT = 35
DEFAULT_GENERATION_LENGTH = 50
# Characters per word of a tagger with character features that does not
# fix `max_word_length` (99.9% of UD English EWT words are shorter).
DEFAULT_MAX_WORD_LENGTH = 20


def task_of(config: dict) -> str:
    """The task shape of a config: its dataset's, when `rnnzoo.data` knows
    the dataset, else the config's own `task`."""
    dataset = config["data"]["dataset"]
    if dataset in registry.DATASETS:
        return registry.DATASETS[dataset].task
    return config["task"]


def pipeline_options(
    task: str, config: dict, seed: int | None = None, static: bool = False
) -> dict:
    """`make_pipelines` options (besides the batch size) for a config.

    `data.preprocessing` entries pass through as `make_pipeline` options
    (`inputs`, `targets`, `bptt`, `level`, `cache`, ...). Language models
    read `bptt` from there or from `data.sequence_length` and drop the
    last, shorter window; `static=True` (TPUs) drops partial batches too.
    A tagger with character features (`character_vocab_size`) gets
    character ids of its `max_word_length` (default
    `DEFAULT_MAX_WORD_LENGTH`).
    """
    data = config["data"]
    options = dict(data.get("preprocessing") or {})
    options.pop("load_options", None)
    arguments = config["architecture"]["arguments"]
    if task == TAGGING and arguments.get("character_vocab_size"):
        options.setdefault(
            "max_word_length",
            arguments.get("max_word_length") or DEFAULT_MAX_WORD_LENGTH,
        )
    if task == LANGUAGE_MODELLING:
        options.setdefault("bptt", data.get("sequence_length") or DEFAULT_BPTT)
        options["drop_remainder"] = True
        return options
    if data.get("buckets"):
        options.setdefault("buckets", list(data["buckets"]))
    if data.get("sequence_length"):
        options.setdefault("sequence_length", data["sequence_length"])
    if seed is not None:
        options.setdefault("seed", seed)
    if static:
        options["drop_remainder"] = True
    return options


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


def level_of(config: dict) -> str | None:
    """`"word"` or `"character"` for language modelling data."""
    preprocessing = config["data"].get("preprocessing") or {}
    info = registry.DATASETS.get(config["data"]["dataset"])
    return preprocessing.get("level") or (info.level if info else None)


def _features(vectorizer):
    return vectorizer.features if vectorizer is not None else []


def data_arguments(
    task: str, task_data, config: dict, replicas: int = 1
) -> dict:
    """The model arguments a config's data decides.

    Args:
        task: The task shape.
        task_data: The `rnnzoo.data.TaskData` of the run.
        config: The zoo config.
        replicas: Replicas in sync: a stateful model's fixed batch is the
            per-replica share of the global batch.
    """
    vectorizer = task_data.vectorizer
    features = _features(vectorizer)
    arguments = config["architecture"]["arguments"]
    if task == TEXT_CLASSIFICATION:
        return {"vocab_size": vectorizer.vocabulary_size(features[0])}
    if task == TAGGING:
        inputs, targets = features[:2]
        found = {
            "vocab_size": vectorizer.vocabulary_size(inputs),
            "num_tags": vectorizer.vocabulary_size(targets),
        }
        if data_tasks.CHARACTERS_FEATURE in features:
            found["character_vocab_size"] = vectorizer.vocabulary_size(
                data_tasks.CHARACTERS_FEATURE
            )
        return found
    if task in GENERATION_TASKS:
        targets = features[-1]
        found = {
            "start_token": vectorizer.token_id(targets, START_TOKEN),
            "end_token": vectorizer.token_id(targets, END_TOKEN),
            "vocabulary": vectorizer.vocabulary(targets),
        }
        if task == TRANSLATION:
            found["vocab_size"] = vectorizer.vocabulary_size(features[0])
            found["target_vocab_size"] = vectorizer.vocabulary_size(targets)
        else:
            found["vocab_size"] = vectorizer.vocabulary_size(targets)
            if arguments.get("feature_input_shape") is None:
                images = _image_spec(task_data["train"].element_spec[0])
                found["image_shape"] = list(images.shape[1:])
        return found
    if task == LANGUAGE_MODELLING:
        feature = features[0]
        character = level_of(config) == "character"
        found = {
            "vocab_size": vectorizer.vocabulary_size(feature),
            "vocabulary": vectorizer.vocabulary(feature),
            "separator": "" if character else " ",
        }
        if arguments.get("stateful", True):
            batch_size = config["training"]["batch_size"]
            if batch_size % replicas:
                raise ValueError(
                    f"A stateful language model splits the batch over "
                    f"{replicas} replicas: batch_size must be a multiple "
                    f"of {replicas}, got batch_size={batch_size}"
                )
            found.update(stateful=True, batch_size=batch_size // replicas)
        return found
    if task == MUSIC_MODELLING:
        spec = task_data["train"].element_spec[0]
        return {"input_dim": int(spec.shape[-1]), "multi_hot": True}
    if task in (TIME_SERIES_CLASSIFICATION, FORECASTING):
        spec = task_data["train"].element_spec[0]
        return {"input_dim": int(spec.shape[-1])}
    return {}


def _image_spec(inputs: dict):
    """The spec of the `(batch, height, width, channels)` input."""
    for spec in inputs.values():
        if spec.shape.rank == 4 and spec.dtype.is_floating:
            return spec
    raise ValueError(f"No image input among the data's inputs {inputs}")


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


def adapt_batches(task: str, dataset: tf.data.Dataset, model):
    """Maps a pipeline's batches onto the model's inputs and targets."""
    element = dataset.element_spec
    renames = _input_renames(element[0], model)
    heads = task == TAGGING and getattr(model, "language_model_heads", False)
    if not (renames or heads):
        return dataset

    def adapt(x, y, *rest):
        if isinstance(x, dict):
            x = {renames.get(key, key): value for key, value in x.items()}
        if heads:
            y = model.training_targets(x, y)
        return (x, y, *rest)

    return dataset.map(adapt, num_parallel_calls=tf.data.AUTOTUNE)


def compile_arguments(task: str, model) -> dict:
    """`loss`, `metrics` (and `loss_weights`) for `model.compile`."""
    import keras

    from_logits = getattr(model, "activation", "auto") is None
    if task in (TEXT_CLASSIFICATION, TIME_SERIES_CLASSIFICATION):
        return {
            "loss": model.default_loss(),
            "metrics": model.default_metrics(),
        }
    if task == FORECASTING:
        return {
            "loss": keras.losses.MeanSquaredError(),
            "metrics": [
                keras.metrics.MeanAbsoluteError(name="mean_absolute_error"),
                keras.metrics.RootMeanSquaredError(
                    name="root_mean_squared_error"
                ),
            ],
        }
    if task == TAGGING:
        if getattr(model, "language_model_heads", False):
            return {
                "loss": model.default_loss(),
                "metrics": {"tags": [MaskedAccuracy()]},
                "loss_weights": model.default_loss_weights(),
            }
        return {"loss": model.default_loss(), "metrics": [MaskedAccuracy()]}
    if task in TOKEN_TASKS:
        return {
            "loss": model.default_loss(),
            "metrics": [
                MaskedAccuracy(),
                MaskedPerplexity(from_logits=from_logits),
            ],
        }
    if task == MUSIC_MODELLING:
        # Keras hands sample weights (0 on padded frames) to
        # `weighted_metrics` only: under `metrics` the NLL would average
        # the padded frames too.
        return {
            "loss": model.default_loss(),
            "metrics": [],
            "weighted_metrics": [
                NegativeLogLikelihoodPerStep(from_logits=from_logits)
            ],
        }
    raise ValueError(
        f"No training recipe for task {task!r}; known tasks: "
        f"{list(registry.TASKS)}"
    )


def derived_metrics(task: str, metrics: dict, config: dict) -> dict:
    """Adds metrics that follow from the measured ones: bits per character
    for character-level language models."""
    metrics = dict(metrics)
    if (
        task == LANGUAGE_MODELLING
        and level_of(config) == "character"
        and "perplexity" in metrics
    ):
        metrics["bits_per_character"] = math.log2(metrics["perplexity"])
    return metrics


def _hypotheses(tokens, vocabulary, end_token):
    texts = []
    for row in np.asarray(tokens).tolist():
        words = []
        for token in row:
            if token == end_token:
                break
            if token != 0:
                words.append(vocabulary[token])
        texts.append(" ".join(words))
    return texts


def generation_metrics(
    task: str,
    model,
    vectorizer,
    examples: tf.data.Dataset,
    length: int | None,
    batch_size: int = 64,
    features: tuple[str | None, str | None] = (None, None),
    decoding: dict | None = None,
) -> dict:
    """Corpus BLEU of generation against the raw references.

    Args:
        task: `"translation"` or `"captioning"` (others return `{}`).
        model: A `Seq2Seq` or `ImageCaptioner`.
        vectorizer: The run's vectorizer.
        examples: The raw examples of the split, in order (as
            `rnnzoo.data.load` gives them): references are their original
            target strings, not the vectorized (`[UNK]`-ed) ids.
        length: The pipeline's longest sequence: sources are cut to it
            and at most that many tokens are generated.
        batch_size: Examples generated at once.
        features: The `(inputs, targets)` features, default by task.
        decoding: The config's `decoding` options (strategy, beam width,
            ...); default greedy.
    """
    if task not in GENERATION_TASKS:
        return {}
    inputs, targets = data_tasks.resolve_features(
        task, examples.element_spec, *features
    )
    vocabulary = vectorizer.vocabulary(targets)
    end_token = vectorizer.token_id(targets, END_TOKEN)
    length = length or DEFAULT_GENERATION_LENGTH
    hypotheses, references = [], []
    for batch in examples.batch(batch_size):
        if task == TRANSLATION:
            source = vectorizer.vectorize(inputs, batch[inputs])[:, :length]
            result = model.translate(
                source.numpy(), max_length=length, **(decoding or {})
            )
        else:
            # Pixels as loaded, in [0, 255]: the backbone rescales them.
            images = tf.cast(batch[inputs], tf.float32)
            result = model.caption(
                images.numpy(), max_length=length, **(decoding or {})
            )
        hypotheses += _hypotheses(result.tokens, vocabulary, end_token)
        references += [text.decode("utf-8") for text in batch[targets].numpy()]
    metrics = {"bleu": corpus_bleu(hypotheses, references)}
    if task == CAPTIONING:
        # Captions are short enough to be wholly right or wrong.
        metrics["exact_match"] = exact_match(hypotheses, references)
    return metrics


def synthetic_batch(
    task: str, model, batch_size: int = 2, steps: int = 6, seed: int = 0
) -> tuple:
    """A random `(x, y[, sample_weight])` batch that `model` trains on for
    `task`, with the structure its data pipeline gives (for checks such as
    "the train step compiles with XLA")."""
    rng = np.random.default_rng(seed)
    x = model.example_inputs(batch_size, steps, seed)
    first = next(iter(x.values())) if isinstance(x, dict) else x
    batch = first.shape[0]
    if task in (TEXT_CLASSIFICATION, TIME_SERIES_CLASSIFICATION):
        units = model.output_units
        if units == 1:
            return x, rng.integers(0, 2, (batch,)).astype("float32")
        if model.output_activation == "sigmoid":
            return x, rng.integers(0, 2, (batch, units)).astype("float32")
        return x, rng.integers(0, model.num_classes, (batch,)).astype("int32")
    if task == FORECASTING:
        return x, rng.normal(size=(batch, model.output_dim)).astype("float32")
    if task == TAGGING:
        tags = rng.integers(1, model.num_tags, (batch, first.shape[1]))
        return x, model.training_targets(x, tags.astype("int32"))
    if task in GENERATION_TASKS:
        names = INPUT_ALIASES["decoder_inputs"]
        decoder_inputs = next(x[n] for n in names if n in x)
        vocab = getattr(model, "target_vocab_size", None) or model.vocab_size
        targets = rng.integers(3, vocab, decoder_inputs.shape)
        return x, targets.astype("int32")
    if task == LANGUAGE_MODELLING:
        return x, rng.integers(1, model.vocab_size, x.shape).astype("int32")
    if task == MUSIC_MODELLING:
        frames = (rng.random(x.shape) < 0.1).astype("float32")
        return x, frames, np.ones(x.shape[:2], "float32")
    raise ValueError(f"No synthetic batch for task {task!r}")
