"""`TaskShape`, the one object that says everything rnnzoo does by task
shape, and the registry that finds a task by its name.

A task shape (text classification, tagging, translation, ...) decides how
a dataset's examples become batches, which vectorizer they need, which
model arguments the data fixes, which loss and metrics a model compiles
with, how its generated outputs are scored, what a random batch for it
looks like, and the title of its results table. Data pipelines, training,
the zoo's config schema and its results tables all look the task up here
instead of branching on names, so a new task is one subclass and one
`register_task` call.
"""

import importlib

import numpy as np

_TASKS = {}
# The modules whose import registers the built-in tasks.
_BUILT_IN_MODULES = (
    "rnnzoo.tasks.classification",
    "rnnzoo.tasks.tagging",
    "rnnzoo.tasks.generation",
    "rnnzoo.tasks.sequence_modelling",
    "rnnzoo.tasks.trees",
)


class TaskShape:
    """What rnnzoo knows of one task shape; subclasses fill it in.

    The class attributes describe the task; the methods are hooks with
    defaults that suit a task whose examples are `(inputs, targets)`
    without strings (time series). Every method takes the task's own
    arguments only, so callers never test the task's name.

    Attributes:
        name: The name configs (`task:`) and datasets use.
        title: The heading of the task's zoo results table.
        features: The default `(inputs, targets)` feature names of its
            examples (`targets` `None` when the model predicts its input).
        class_labels: Whether targets are class ids, which a split with
            hidden labels marks -1 (so evaluation refuses such a split).
        generates: Whether its models generate token sequences that are
            scored against raw references (`generation_metrics`).
        streamed: Whether its batches are windows of one contiguous
            stream (stateful truncated BPTT) rather than shuffled examples.
        text_input: Whether its exported model takes raw strings.
        takes_characters: Whether its pipelines can add each token's
            character ids (`max_word_length`).
        early_stopping_monitor: The logged metric early stopping watches
            and the best epoch is chosen by: the validation loss, or a
            validation metric (`"val_accuracy"`), lowest best for a loss
            and highest best otherwise.
    """

    name: str = ""
    title: str = ""
    features: tuple = (None, None)
    class_labels: bool = False
    generates: bool = False
    streamed: bool = False
    text_input: bool = False
    takes_characters: bool = False
    early_stopping_monitor: str = "val_loss"

    def __repr__(self):
        return f"<task {self.name}>"

    # Data: features, vectorizer, per-example format.

    def resolve_features(self, element_spec, inputs=None, targets=None):
        """The `(inputs, targets)` feature names, defaults filled in and
        checked against the examples' `element_spec`."""
        default_inputs, default_targets = self.default_features(element_spec)
        inputs = inputs or default_inputs
        targets = targets or default_targets
        for feature in (inputs, targets):
            if feature is not None and feature not in element_spec:
                raise ValueError(
                    f"The examples have no feature {feature!r}; they have "
                    f"{sorted(element_spec)}"
                )
        return inputs, targets

    def default_features(self, element_spec):
        """`features`, or a choice among features the examples have."""
        return self.features

    def new_vectorizer(
        self,
        inputs,
        targets,
        vocabulary_size=None,
        standardize=None,
        **options,
    ):
        """An unadapted `rnnzoo.data.Vectorizer`, or `None` when the
        task's examples hold no strings.

        Args:
            inputs: The input feature.
            targets: The target feature.
            vocabulary_size: An int for every feature, or feature to int;
                `None` keeps every token of the training split.
            standardize: The text standardization (default
                `lower_and_split_punctuation`).
            **options: Task-specific options (tagging: `characters`,
                `lowercase`).
        """
        self.reject_options(options)
        return None

    @property
    def needs_vectorizer(self) -> bool:
        """Whether the task's examples hold strings a vectorizer maps to
        ids: whether the task builds one (overrides `new_vectorizer`)."""
        return type(self).new_vectorizer is not TaskShape.new_vectorizer

    def reject_options(self, options):
        """Raises, naming them, on vectorizer options the task ignores."""
        for option, value in options.items():
            if value:
                raise ValueError(
                    f"`{option}` does not apply to a {self.name} task, got "
                    f"{option}={value!r}"
                )

    def adaptation_examples(self, examples, level=None, inputs=None):
        """The examples the vectorizer adapts on."""
        return examples

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        """`(format_fn, length_fn)`: `format_fn(example)` gives the model's
        `(inputs, targets[, sample_weights])`, `length_fn(*element)` its
        length in steps, for bucketing."""
        raise NotImplementedError(
            f"The {self.name} task has no per-example format"
        )

    def check_examples(self, examples, inputs):
        """Raises when the examples cannot be batched for this task."""

    def hidden_labels(self, targets):
        """Which labels of a batch's targets are hidden (-1, as benchmarks
        that keep their test labels secret ship them): bool, one per
        label the task scores."""
        return targets < 0

    def padding_values(self):
        """The values padded entries of a batch take, in the structure of
        `formatter`'s examples (`rnnzoo.data.pad_and_batch`), or `None`
        for zeros everywhere."""
        return None

    # Zoo configs: pipeline options and the model arguments data decides.

    def pipeline_options(
        self, config: dict, seed: int | None = None, static: bool = False
    ) -> dict:
        """`rnnzoo.data.make_pipelines` options (besides the batch size)
        a zoo config implies.

        `data.preprocessing` entries pass through (`inputs`, `targets`,
        `cache`, ...); `data.buckets` and `data.sequence_length` bound
        the lengths; `static=True` (TPUs) drops partial batches.
        """
        data = config["data"]
        options = self.preprocessing_options(config)
        if data.get("buckets"):
            options.setdefault("buckets", list(data["buckets"]))
        if data.get("sequence_length"):
            options.setdefault("sequence_length", data["sequence_length"])
        if seed is not None:
            options.setdefault("seed", seed)
        if static:
            options["drop_remainder"] = True
        return options

    @staticmethod
    def preprocessing_options(config: dict) -> dict:
        """A copy of `data.preprocessing`, less `load_options` (which are
        `rnnzoo.data.load`'s, not the pipeline's)."""
        options = dict(config["data"].get("preprocessing") or {})
        options.pop("load_options", None)
        return options

    def data_arguments(self, task_data, config: dict, replicas: int = 1):
        """The model arguments the data decides: the feature width here;
        vocabulary sizes and marker ids for tasks with a vectorizer.

        Args:
            task_data: The run's `rnnzoo.data.TaskData`.
            config: The zoo config.
            replicas: Replicas in sync (a stateful model's batch is the
                per-replica share).
        """
        spec = task_data["train"].element_spec[0]
        return {"input_dim": int(spec.shape[-1])}

    # Training and measuring.

    def compile_arguments(self, model) -> dict:
        """`loss`, `metrics` (and `loss_weights`, `weighted_metrics`) for
        `model.compile`; a config's `training.loss` / `training.metrics`
        override them."""
        return {
            "loss": model.default_loss(),
            "metrics": model.default_metrics(),
        }

    def target_adapter(self, model):
        """`None`, or `fn(x, y)` giving the targets `model` trains on
        from a pipeline's batch."""
        return None

    def derived_metrics(self, metrics: dict, config: dict) -> dict:
        """The measured metrics plus those that follow from them."""
        return dict(metrics)

    def generation_metrics(self, model, vectorizer, examples, **options):
        """Scores of generated outputs against raw references; `{}` for
        tasks that do not generate."""
        return {}

    def synthetic_batch(
        self, model, batch_size: int = 2, steps: int = 6, seed: int = 0
    ) -> tuple:
        """A random `(x, y[, sample_weight])` batch that `model` trains on,
        with the structure the task's pipeline gives (for checks such as
        "the train step compiles with XLA")."""
        rng = np.random.default_rng(seed)
        x = model.example_inputs(batch_size, steps, seed)
        first = next(iter(x.values())) if isinstance(x, dict) else x
        return (x, *self.synthetic_targets(model, x, first.shape, rng))

    def synthetic_targets(self, model, x, shape, rng) -> tuple:
        """`(y[, sample_weight])` for `synthetic_batch`'s inputs `x`, whose
        first input has `shape`."""
        raise NotImplementedError(
            f"The {self.name} task has no synthetic batch"
        )


def register_task(task: TaskShape) -> TaskShape:
    """Makes `task` known by its `name` to data, training and the zoo.

    Args:
        task: A `TaskShape` instance with a `name` and a `title`.

    Returns:
        `task`, so a module can write `TAGGING = register_task(Tagging())`.

    Example:

    >>> class Counting(TaskShape):
    ...     name, title = "counting", "Counting"
    >>> counting = register_task(Counting())
    >>> get_task("counting") is counting
    True
    >>> unregister_task("counting")
    """
    if not isinstance(task, TaskShape):
        raise TypeError(
            f"`task` must be a TaskShape instance, got {type(task).__name__}"
        )
    if not task.name or not task.title:
        raise ValueError(
            f"A task needs a `name` and a `title`, got name={task.name!r}, "
            f"title={task.title!r}"
        )
    _TASKS[task.name] = task
    return task


def unregister_task(name: str) -> None:
    """Forgets a task registered with `register_task` (for tests)."""
    _TASKS.pop(name, None)


def _load_built_in_tasks():
    # Imported here, not at the top: the task modules import
    # `rnnzoo.data`, whose pipelines look tasks up through this module.
    for module in _BUILT_IN_MODULES:
        importlib.import_module(module)


def task_names() -> tuple:
    """The names of every registered task, built-in ones first."""
    _load_built_in_tasks()
    return tuple(_TASKS)


def get_task(task) -> TaskShape:
    """The registered task of a name (a `TaskShape` passes through).

    Raises:
        ValueError: the name is no registered task; the message lists the
            known names.
    """
    if isinstance(task, TaskShape):
        return task
    _load_built_in_tasks()
    if task not in _TASKS:
        raise ValueError(
            f"Unknown task {task!r}: expected one of {list(_TASKS)}"
        )
    return _TASKS[task]
