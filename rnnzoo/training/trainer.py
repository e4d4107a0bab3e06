"""`rnnzoo.train`: a zoo config in, a trained preset with its measured
metrics out, on one CPU, several GPUs, a TPU or a cluster, with the same
call.

`train` takes the steps of a `Run` in order: its folder, its data, its
model, the fit, the measurement and the export. What the folder holds and
how a run resumes is `rnnzoo.training.run_folder`'s.
"""

import dataclasses
import json
import time
from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo import data as rnnzoo_data
from rnnzoo.data.word_vectors import initialize_embedding
from rnnzoo.training import config_data
from rnnzoo.training import export
from rnnzoo.training import run_folder
from rnnzoo.training import strategies
from rnnzoo.training.callbacks import read_csv_log
from rnnzoo.training.evaluation import check_labels_visible
from rnnzoo.training.evaluation import generation
from rnnzoo.training.evaluation import measure
from rnnzoo.training.loop import CustomLoop
from rnnzoo.training.precision import precision_policy
from rnnzoo.training.precision import resolve_precision
from rnnzoo.training.recipe import apply_overrides
from rnnzoo.training.recipe import compile_model
from rnnzoo.training.recipe import count_batches
from rnnzoo.training.recipe import learning_rate_schedule
from rnnzoo.training.recipe import make_optimizer
from rnnzoo.training.recipe import resolve_config
from rnnzoo.zoo import registry


@dataclasses.dataclass
class TrainingResult:
    """What `train` returns.

    Attributes:
        name: The zoo model's name.
        output_dir: The run's folder.
        metrics: The metrics measured on `split` after training.
        split: The split measured (`"test"`, else `"validation"`).
        epochs: Epochs complete (this run and the runs it resumed).
        history: Per-epoch logs, `{name: [value per epoch]}`.
        preset_dir: The exported preset (`None` on non-chief workers).
        archive: The packed preset, and `sha256` its digest.
        strategy: The strategy, e.g. `"MirroredStrategy x2"`.
        precision: The Keras dtype policy.
        jit_compile: Whether the train step was XLA-compiled.
        model: The trained model (its variables under the run's strategy).
    """

    name: str
    output_dir: Path
    metrics: dict
    split: str
    epochs: int
    history: dict
    preset_dir: Path | None
    archive: Path | None
    sha256: str | None
    strategy: str
    precision: str
    jit_compile: bool
    model: keras.Model | None = None


class Run:
    """One training run of a resolved config, step by step.

    Args:
        config: The zoo config, overrides applied.
        architecture_overrides: Architecture arguments that override the
            config's and the data's.
        strategy: A resolved `tf.distribute.Strategy`.
        output_dir: The run's folder.
        data_dir, precision, jit_compile, schedule, seed, verbose,
            callbacks: As `train`'s.
    """

    def __init__(
        self,
        config,
        architecture_overrides,
        strategy,
        output_dir,
        data_dir,
        precision,
        jit_compile,
        schedule,
        seed,
        verbose,
        callbacks,
    ):
        self.config = config
        self.name = config["name"]
        self.training = config["training"]
        self.architecture_overrides = architecture_overrides
        self.strategy = strategy
        self.data_dir = data_dir
        self.task = config_data.task_of(config)
        self.chief = strategies.is_chief(strategy)
        self.multi_worker = strategies.is_multi_worker(strategy)
        self.output_dir = Path(output_dir or Path("runs") / self.name)
        self.run_dir = self.output_dir
        if not self.chief:
            self.run_dir = run_folder.worker_folder(
                self.output_dir, strategies.worker_index(strategy)
            )
        self.policy = resolve_precision(precision, strategy)
        if jit_compile is None:
            jit_compile = self.training.get("jit_compile")
        if jit_compile is None:
            jit_compile = strategies.default_jit_compile(strategy)
        self.jit_compile = bool(jit_compile)
        if schedule is None:
            schedule = self.training.get("schedule")
        self.schedule = schedule
        self.seed = seed
        self.verbose = verbose
        self.extra_callbacks = list(callbacks)
        self.started = time.time()

    def prepare_folder(self) -> None:
        """Creates the folder and says what is about to run."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.verbose:
            print(
                f"rnnzoo: training {self.name} ({self.task.name}) on "
                f"{strategies.describe(self.strategy)}, precision "
                f"{self.policy}, jit_compile={self.jit_compile}, output "
                f"{self.output_dir}"
            )

    def load_data(self) -> None:
        """The task's pipelines for every split, vectorizer adapted."""
        data = self.config["data"]
        self.options = self.task.pipeline_options(
            self.config,
            seed=self.seed,
            static=strategies.is_tpu(self.strategy),
        )
        self.task_data = rnnzoo_data.make_pipelines(
            data["dataset"],
            self.training["batch_size"],
            vocabulary_size=data.get("vocabulary_size"),
            data_dir=self.data_dir,
            load_options=config_data.load_options(self.config),
            validation_fraction=data.get("validation_fraction"),
            **self.options,
        )

    def build_model(self) -> None:
        """The config's model with the arguments the data decides, and
        the splits mapped onto its inputs."""
        arguments = {
            **self.task.data_arguments(
                self.task_data,
                self.config,
                self.strategy.num_replicas_in_sync,
            ),
            **self.architecture_overrides,
        }
        with self.strategy.scope():
            self.model = registry.build_model(self.config, **arguments)
        splits = {
            split: config_data.adapt_batches(self.task, dataset, self.model)
            for split, dataset in self.task_data.datasets.items()
        }
        if self.multi_worker:
            splits = {k: _shard_by_data(v) for k, v in splits.items()}
        self.splits = splits
        self.split = "test" if "test" in splits else "validation"
        vectors = self.config["data"].get("word_vectors")
        if vectors:
            vectorizer = self.task_data.vectorizer
            known = initialize_embedding(
                self.model,
                vectorizer.vocabulary(vectorizer.features[0]),
                vectors,
                self.data_dir,
                self.run_dir,
            )
            if self.verbose and known:
                print(f"rnnzoo: word vectors for {known} tokens")
        # Hidden test labels would make the final measurement meaningless:
        # fail before training, not after.
        check_labels_visible(
            self.task, self.config, splits[self.split], self.split
        )

    def fit(self) -> None:
        """Compiles and fits, resuming from the folder's checkpoint, and
        keeps the best weights of an early-stopped run."""
        train_data = self.splits["train"]
        validation = self.splits.get("validation")
        training = self.training
        with self.strategy.scope():
            learning_rate = learning_rate_schedule(
                self.schedule,
                training["learning_rate"],
                lambda: training["epochs"] * count_batches(train_data),
            )
            compile_model(
                self.model,
                self.task,
                training,
                make_optimizer(training, learning_rate),
                self.jit_compile,
            )
        patience = training.get("early_stopping_patience")
        items = run_folder.folder_callbacks(
            self.run_dir,
            self.output_dir,
            self.chief,
            self.model,
            patience,
            validation,
            monitor=self.task.early_stopping_monitor,
        )
        items += self.extra_callbacks
        epochs = run_folder.epochs_to_run(
            training["epochs"], self.run_dir, self.output_dir, self.chief
        )
        self.loop = (
            CustomLoop(self.model, self.strategy, self.jit_compile)
            if self.multi_worker
            else None
        )
        with self.strategy.scope():
            if self.loop is not None:
                history = self.loop.fit(
                    train_data, epochs, validation, items, self.verbose
                )
            else:
                history = self.model.fit(
                    train_data,
                    validation_data=validation,
                    epochs=epochs,
                    callbacks=items,
                    verbose=self.verbose,
                    shuffle=False,
                )
            if validation is not None:
                run_folder.restore_best_weights(
                    self.model, self.run_dir, patience
                )
        self.history = dict(history.history)

    def measure(self) -> TrainingResult:
        """The task's metrics on the test split (else validation)."""
        with self.strategy.scope():
            metrics = measure(
                self.model,
                self.task,
                self.config,
                self.splits[self.split],
                self.loop,
            )
        return TrainingResult(
            name=self.name,
            output_dir=self.output_dir,
            metrics=metrics,
            split=self.split,
            epochs=run_folder.completed_epochs(self.run_dir),
            history=self.history,
            preset_dir=None,
            archive=None,
            sha256=None,
            strategy=strategies.describe(self.strategy),
            precision=self.policy,
            jit_compile=self.jit_compile,
            model=self.model,
        )

    def export(self, result: TrainingResult) -> None:
        """Generation metrics, the preset with its metadata, the metrics
        file and the packed archive (chief only)."""
        result.metrics.update(
            generation(
                self.model,
                self.task,
                self.config,
                self.task_data.vectorizer,
                self.options,
                self.split,
                self.data_dir,
            )
        )
        result.history = read_csv_log(self.output_dir / run_folder.HISTORY_FILE)
        result.preset_dir = export.export_preset(
            self.model,
            self.task_data.vectorizer,
            self.output_dir / "preset",
            self.metadata(result),
            text_input=self.task.text_input,
        )
        (self.output_dir / "metrics.json").write_text(
            json.dumps(result.metrics, indent=2)
        )
        result.archive, result.sha256 = export.pack(
            result.preset_dir, self.output_dir / f"{self.name}.tar.gz"
        )

    def metadata(self, result: TrainingResult) -> dict:
        """What the preset records of the run."""
        return {
            "name": self.name,
            "task": self.task.name,
            "dataset": self.config["data"]["dataset"],
            "split": self.split,
            "metrics": result.metrics,
            "epochs": result.epochs,
            "config": self.config,
            "pipeline": {
                "batch_size": self.training["batch_size"],
                **self.options,
            },
            "training": {
                "strategy": result.strategy,
                "precision": self.policy,
                "jit_compile": self.jit_compile,
                "seed": self.seed,
                "schedule": self.schedule,
                "training_time_minutes": (time.time() - self.started) / 60,
            },
        }


def train(
    config_or_name,
    data_dir=None,
    output_dir=None,
    strategy="auto",
    *,
    precision: str = "auto",
    jit_compile: bool | None = None,
    schedule=None,
    seed: int = 0,
    verbose=1,
    callbacks=(),
    **overrides,
) -> TrainingResult:
    """Trains a zoo model from its config, evaluates it, exports a preset.

    Args:
        config_or_name: A zoo model name, a config YAML path or a config
            dict.
        data_dir: Where the dataset's local files are (see
            `rnnzoo.data.load`); `None` for bundled or TFDS data.
        output_dir: The run's folder (default `runs/<name>`); the same
            folder resumes an interrupted run.
        strategy: `"auto"`, `"default"`, `"mirrored"`, `"multi_worker"`,
            `"tpu"` or a `tf.distribute.Strategy` (see
            `rnnzoo.training.strategies`). `training.batch_size` is the
            global batch, over all replicas.
        precision: `"auto"` (bfloat16 on TPU, float16 on GPU, float32 on
            CPU) or a Keras dtype policy name.
        jit_compile: XLA-compile the train step; default on except where
            a step spans several CPU devices or workers.
        schedule: Learning-rate schedule (see `learning_rate_schedule`);
            default the config's `training.schedule`, else constant.
        seed: Seed of the weights, dropout and shuffling.
        verbose: Keras verbosity: 1 a progress bar, 2 a line per epoch,
            0 silent.
        callbacks: Extra Keras callbacks.
        **overrides: `training` keys (`epochs`, `batch_size`,
            `learning_rate`, `clipnorm`, `optimizer`,
            `early_stopping_patience`) override the config's; any other
            key overrides an architecture argument (e.g. `units=256`).

    Returns:
        A `TrainingResult`.

    Example:

    >>> result = rnnzoo.train("upos_tagger", data_dir="data",  # doctest: +SKIP
    ...                       output_dir="runs/upos", epochs=2)
    >>> result.metrics["accuracy"], result.preset_dir  # doctest: +SKIP
    """
    # First of all: a MultiWorkerMirroredStrategy must exist before
    # TensorFlow runs any op.
    strategy = strategies.resolve_strategy(strategy)
    config, architecture_overrides = apply_overrides(
        resolve_config(config_or_name), dict(overrides)
    )
    run = Run(
        config,
        architecture_overrides,
        strategy,
        output_dir,
        data_dir,
        precision,
        jit_compile,
        schedule,
        seed,
        verbose,
        callbacks,
    )
    run.prepare_folder()
    keras.utils.set_random_seed(seed)
    run.load_data()
    with precision_policy(run.policy):
        run.build_model()
        run.fit()
        result = run.measure()
        if run.chief:
            run.export(result)
    return result


def _shard_by_data(dataset):
    """Workers split every batch between them (the sources are in-memory
    tensors, not files that could be sharded)."""
    options = tf.data.Options()
    policy = tf.data.experimental.AutoShardPolicy.DATA
    options.experimental_distribute.auto_shard_policy = policy
    return dataset.with_options(options)
