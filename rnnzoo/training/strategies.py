"""Which `tf.distribute.Strategy` a run trains under, by name.

`resolve_strategy("auto")` picks, in order:

1. `TPUStrategy`, when a TPU is plausible and resolves. A TPU is plausible
   when `TPU_NAME` or `COLAB_TPU_ADDR` is set, or the machine has
   `/dev/accel*` (TPU VM) or `/dev/vfio/*` devices. Only then is the TPU
   resolver tried, so a CPU run never waits on a cloud metadata server.
2. `MultiWorkerMirroredStrategy`, when `TF_CONFIG` names a cluster of more
   than one task. Each worker runs the same command with its own
   `TF_CONFIG`; the batch size is global (over all workers).
3. `MirroredStrategy` over the GPUs, when there are several.
4. The default strategy (one device) otherwise.

Explicit names: `"default"`, `"mirrored"` (all GPUs; without GPUs, all
logical CPU devices, e.g. after `tf.config.set_logical_device_configuration`),
`"multi_worker"` and `"tpu"`. A `tf.distribute.Strategy` passes through.

`MultiWorkerMirroredStrategy` must exist before TensorFlow runs its first
op, so `rnnzoo.train` resolves the strategy before it builds any data.
"""

import glob
import json
import logging
import os

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")

logger = logging.getLogger(__name__)


def tpu_plausible() -> bool:
    """Whether this machine may have a TPU worth asking a resolver about."""
    if os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR"):
        return True
    return bool(glob.glob("/dev/accel*") or glob.glob("/dev/vfio/[0-9]*"))


def cluster_from_environment() -> dict | None:
    """The `cluster` of `TF_CONFIG` when it names more than one task."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        cluster = json.loads(raw).get("cluster", {})
    except (json.JSONDecodeError, AttributeError) as error:
        raise ValueError(
            f"TF_CONFIG must be a JSON object with a 'cluster', got {raw!r}"
        ) from error
    tasks = sum(len(addresses) for addresses in cluster.values())
    return cluster if tasks > 1 else None


def _tpu_strategy():
    tpu = os.environ.get("TPU_NAME", "")
    if not tpu and not os.environ.get("COLAB_TPU_ADDR"):
        tpu = "local"  # a TPU VM: the chips are on this host
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _mirrored_strategy():
    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        return tf.distribute.MirroredStrategy([d.name for d in gpus])
    cpus = tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in cpus])


def resolve_strategy(strategy="auto") -> tf.distribute.Strategy:
    """Returns the strategy named `strategy` (see the module docstring).

    Args:
        strategy: One of `STRATEGIES`, or a `tf.distribute.Strategy`.

    Raises:
        ValueError: an unknown name; `"tpu"` without a plausible TPU;
            `"multi_worker"` without a cluster in `TF_CONFIG`.
    """
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy not in STRATEGIES:
        raise ValueError(
            f"`strategy` must be one of {list(STRATEGIES)} or a "
            f"tf.distribute.Strategy, got strategy={strategy!r}"
        )
    if strategy == "default":
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        return _mirrored_strategy()
    if strategy == "tpu":
        if not tpu_plausible():
            raise ValueError(
                'strategy="tpu" but no TPU is in sight: set TPU_NAME (or '
                "COLAB_TPU_ADDR), or run on a TPU VM (/dev/accel*)"
            )
        return _tpu_strategy()
    if strategy == "multi_worker":
        if cluster_from_environment() is None:
            raise ValueError(
                'strategy="multi_worker" needs TF_CONFIG naming a cluster '
                'of two or more tasks, e.g. {"cluster": {"worker": '
                '["host1:port", "host2:port"]}, "task": {"type": "worker", '
                '"index": 0}}'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    # auto
    if tpu_plausible():
        try:
            return _tpu_strategy()
        except (ValueError, RuntimeError, tf.errors.OpError) as error:
            logger.warning("No TPU resolved (%s); trying the others.", error)
    if cluster_from_environment() is not None:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return _mirrored_strategy()
    return tf.distribute.get_strategy()


def is_tpu(strategy) -> bool:
    return isinstance(strategy, tf.distribute.TPUStrategy)


def is_multi_worker(strategy) -> bool:
    """Whether `strategy` spans several worker processes."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    resolver = strategy.cluster_resolver
    spec = resolver.cluster_spec().as_dict() if resolver else {}
    return sum(len(tasks) for tasks in spec.values()) > 1


def is_chief(strategy) -> bool:
    """Whether this process writes the run's files (logs, preset): the
    only worker, or worker 0 (the chief) of a cluster."""
    return bool(strategy.extended.should_checkpoint)


def worker_index(strategy) -> int:
    """This worker's index in its cluster (0 outside a cluster)."""
    if not is_multi_worker(strategy):
        return 0
    return int(strategy.cluster_resolver.task_id)


def default_jit_compile(strategy) -> bool:
    """Whether to XLA-compile the train step under `strategy` by default.

    On for one device, TPUs (always XLA) and several GPUs. Off where the
    step spans several CPU devices or workers: TensorFlow cannot compile a
    step whose variables sit on another logical CPU device, nor the
    cross-worker all-reduce inside an XLA cluster on CPU.
    """
    if is_tpu(strategy) or strategy.num_replicas_in_sync == 1:
        return True
    if is_multi_worker(strategy):
        return False
    devices = getattr(strategy.extended, "worker_devices", ())
    return all("GPU" in device.upper() for device in devices)


def describe(strategy) -> str:
    """`"MirroredStrategy x2"`: the class and the number of replicas."""
    return f"{type(strategy).__name__} x{strategy.num_replicas_in_sync}"
