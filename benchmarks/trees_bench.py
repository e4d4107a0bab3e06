"""Training-step time of `TreeLSTM` (level-wise) against the per-node
recursion a user would write without it.

    python -m benchmarks.trees_bench                 # ~2 min on 2 cores
    python -m benchmarks.trees_bench --quick --output-dir /tmp/bench

The trees are random binary trees (each inner node splits its span of
leaves at a uniform point) whose leaf counts follow the sentence lengths of
the Stanford Sentiment Treebank (5 to 50 leaves, mean about 19), in one
batch of 25. Node inputs are 300 features (the GloVe vectors of Tai et al.
2015) at the leaves and zeros at inner nodes; the cells have 150 units,
and a dense layer maps each root to 5 classes.

Every candidate runs the same training step, forward, softmax
cross-entropy of the roots, gradients and an Adam update, for the same cell
(the child-sum and the binary N-ary Tree-LSTM):

* `TreeLSTM` in a `tf.function`, with and without `jit_compile`: all
  nodes of a level at once (`rnnzoo.layers.tree_recurrence`);
* the per-node recursion: for every tree, a Python function that computes
  a node's children first and then calls the cell on the node, the whole
  batch under one `tf.GradientTape`; eagerly, and with the cell's node
  step in a `tf.function` (traced once: every node has the same shapes).

Times and ratios as in `benchmarks.timing` (interleaved rounds, ratios
within a round). Writes `<output-dir>/trees-<machine>.md` and `.csv`.
"""

import argparse
import csv
import dataclasses
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import rendering  # noqa: E402
from benchmarks import timing  # noqa: E402
from benchmarks.prose import prose  # noqa: E402
from rnnzoo.layers import TreeLSTM  # noqa: E402

CELLS = {
    "child_sum_tree_lstm": {},
    "nary_tree_lstm": {"arity": 2},
}
TARGET_SPEEDUP = 5.0
DEFAULT_OUTPUT_DIR = os.path.join(os.path.dirname(__file__), "results")
CLASSES = 5


@dataclasses.dataclass
class TreeSetup:
    """The batch and model sizes."""

    batch: int = 25
    features: int = 300
    units: int = 150
    min_leaves: int = 5
    max_leaves: int = 50
    median_leaves: float = 17.0


QUICK = TreeSetup(batch=4, features=8, units=8, max_leaves=8, median_leaves=5)


def sentence_lengths(rng, setup: TreeSetup, count: int):
    """Leaf counts like SST's sentence lengths: a log-normal (median
    `median_leaves`, spread 0.5) clipped to `min_leaves..max_leaves`, which
    has a mean of about 19 for the defaults."""
    lengths = rng.lognormal(np.log(setup.median_leaves), 0.5, size=count)
    return np.clip(np.round(lengths), setup.min_leaves, setup.max_leaves)


def binary_tree(rng, leaves):
    """Post-order `[left, right]` children per node (`[-1, -1]`: a leaf)."""
    nodes = []

    def build(low, high):
        if high - low == 1:
            nodes.append([-1, -1])
        else:
            split = int(rng.integers(low + 1, high))
            left, right = build(low, split), build(split, high)
            nodes.append([left, right])
        return len(nodes) - 1

    build(0, int(leaves))
    return nodes


def tree_batch(setup: TreeSetup, seed=0):
    """`(trees, node_inputs, children, node_mask)`: the trees and their
    padded tensors."""
    rng = np.random.default_rng(seed)
    trees = [
        binary_tree(rng, n) for n in sentence_lengths(rng, setup, setup.batch)
    ]
    nodes = max(len(tree) for tree in trees)
    node_inputs = np.zeros((setup.batch, nodes, setup.features), "float32")
    children = np.full((setup.batch, nodes, 2), -1, "int32")
    node_mask = np.zeros((setup.batch, nodes), bool)
    for b, tree in enumerate(trees):
        children[b, : len(tree)] = tree
        node_mask[b, : len(tree)] = True
        leaves = np.array([kids[0] < 0 for kids in tree])
        node_inputs[b, : len(tree)][leaves] = rng.normal(
            size=(leaves.sum(), setup.features)
        )
    return trees, node_inputs, children, node_mask


def build_models(cell, setup: TreeSetup, node_inputs, children):
    """The tree layer and the dense head, built, with fixed weights."""
    keras.utils.set_random_seed(0)
    layer = TreeLSTM(setup.units, cell=cell, **CELLS[cell])
    head = keras.layers.Dense(CLASSES)
    head(layer(node_inputs[:1], children[:1]))
    return layer, head


def loss_of(head, roots, labels):
    logits = head(roots)
    return keras.ops.mean(
        keras.losses.sparse_categorical_crossentropy(
            labels, logits, from_logits=True
        )
    )


def level_wise_step(layer, head, batch, labels, jit_compile):
    """A training step of `TreeLSTM` on the padded batch."""
    _, node_inputs, children, node_mask = batch
    variables = layer.trainable_variables + head.trainable_variables
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(variables)

    @tf.function(jit_compile=jit_compile)
    def step(node_inputs, children, node_mask, labels):
        with tf.GradientTape() as tape:
            roots = layer(node_inputs, children, node_mask, training=True)
            loss = loss_of(head, roots, labels)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    return lambda: step(node_inputs, children, node_mask, labels)


def recursive_step(layer, head, batch, labels, compiled_node):
    """A training step of the per-node recursion: for each tree, a node's
    children first, then the cell on the node (`layer.cell`, the same
    weights)."""
    trees, node_inputs, _, _ = batch
    cell = layer.cell
    variables = layer.trainable_variables + head.trainable_variables
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(variables)
    zero = tf.zeros((1, cell.units))
    node_step = tf.function(cell) if compiled_node else cell
    tree_inputs = [
        tf.constant(node_inputs[b, : len(tree)]) for b, tree in enumerate(trees)
    ]

    def tree_root(tree, inputs):
        def visit(node):
            kids = [visit(k) if k >= 0 else None for k in tree[node]]
            present = tf.constant([[kid is not None for kid in kids]])
            child_states = [
                tf.stack(
                    [zero if kid is None else kid[i] for kid in kids], axis=1
                )
                for i in range(len(cell.state_size))
            ]
            return node_step(inputs[node : node + 1], child_states, present)

        return visit(len(tree) - 1)[0]

    def step():
        with tf.GradientTape() as tape:
            roots = tf.concat(
                [tree_root(t, x) for t, x in zip(trees, tree_inputs)], axis=0
            )
            loss = loss_of(head, roots, labels)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    return step


CANDIDATES = {
    "TreeLSTM": lambda *a: level_wise_step(*a, jit_compile=False),
    "TreeLSTM, jit_compile": lambda *a: level_wise_step(*a, jit_compile=True),
    "recursion, eager": lambda *a: recursive_step(*a, compiled_node=False),
    "recursion, tf.function node": lambda *a: recursive_step(
        *a, compiled_node=True
    ),
}
LEVEL_WISE = ("TreeLSTM", "TreeLSTM, jit_compile")
RECURSIVE = ("recursion, eager", "recursion, tf.function node")


def time_cell(cell, setup: TreeSetup, repeats: int):
    """`{candidate: [seconds per round]}` for `cell`, interleaved."""
    batch = tree_batch(setup)
    labels = np.random.default_rng(1).integers(0, CLASSES, setup.batch)
    functions = {}
    for name, make in CANDIDATES.items():
        layer, head = build_models(cell, setup, batch[1], batch[2])
        functions[name] = make(layer, head, batch, labels)
    return batch, timing.interleaved_times(functions, repeats, warmup=1)


def rows_of(cell, batch, times):
    """One row per candidate: its median and its ratios."""
    trees = batch[0]
    rows = []
    for name, seconds in times.items():
        row = {
            "cell": cell,
            "candidate": name,
            "train_ms": 1000 * timing.median(seconds),
            "trees": len(trees),
            "mean_leaves": np.mean([(len(t) + 1) / 2 for t in trees]),
            "max_nodes": max(len(t) for t in trees),
        }
        for level_wise in LEVEL_WISE:
            row[f"vs {level_wise}"] = timing.paired_ratio(
                seconds, times[level_wise]
            )
        rows.append(row)
    return rows


def speedups(rows):
    """`(cell, level-wise, recursion, ratio)`: how many times faster each
    level-wise candidate is than the faster recursion of its cell."""
    results = []
    for row in rows:
        if row["candidate"] not in RECURSIVE:
            continue
        for level_wise in LEVEL_WISE:
            results.append(
                (
                    row["cell"],
                    level_wise,
                    row["candidate"],
                    row[f"vs {level_wise}"],
                )
            )
    best = {}
    for cell, level_wise, recursion, ratio in results:
        key = (cell, level_wise)
        if key not in best or ratio < best[key][1]:
            best[key] = (recursion, ratio)
    return [(c, lw, r, ratio) for (c, lw), (r, ratio) in best.items()]


def write_results(rows, setup, command, path_stem, quick):
    with open(path_stem + ".csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"# rnnzoo tree benchmark: {os.path.basename(path_stem)}",
        "",
        f"Machine: {rendering.machine_description()}.",
        "",
        f"Run: `{command}`.",
        "",
    ]
    if quick:
        lines += ["**Smoke run (`--quick`)**: the timings mean nothing.", ""]
    first = rows[0]
    lines += [
        prose(
            "trees-how-to-read",
            trees=first["trees"],
            mean_leaves=f"{first['mean_leaves']:.1f}",
            max_nodes=first["max_nodes"],
            features=setup.features,
            units=setup.units,
        ),
        "",
        "## Targets",
        "",
        "| target | cell | result | met |",
        "|---|---|--:|:-:|",
    ]
    for cell, level_wise, recursion, ratio in speedups(rows):
        met = "yes" if ratio >= TARGET_SPEEDUP else "**no**"
        lines.append(
            f"| {level_wise} >= {TARGET_SPEEDUP:g}x faster than the "
            f"faster recursion ({recursion}) | {cell} | {ratio:.1f}x | {met} |"
        )
    lines += [
        "",
        "## Training step",
        "",
        "| cell | candidate | ms | x TreeLSTM | x TreeLSTM, jit_compile |",
        "|---|---|--:|--:|--:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['cell']} | {row['candidate']} | {row['train_ms']:.1f} "
            f"| {row['vs TreeLSTM']:.2f} "
            f"| {row['vs TreeLSTM, jit_compile']:.2f} |"
        )
    with open(path_stem + ".md", "w") as file:
        file.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.trees_bench",
        description="Times TreeLSTM against a per-node recursion.",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--machine", default=None)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    setup = QUICK if args.quick else TreeSetup()
    repeats = min(args.repeats, 2) if args.quick else args.repeats
    tf.get_logger().setLevel("ERROR")
    rows = []
    for cell in CELLS:
        print(f"[{time.strftime('%H:%M:%S')}] {cell}", flush=True)
        batch, times = time_cell(cell, setup, repeats)
        rows += rows_of(cell, batch, times)
    os.makedirs(args.output_dir, exist_ok=True)
    machine = args.machine or rendering.machine_name()
    stem = os.path.join(args.output_dir, f"trees-{machine}")
    command = "python -m benchmarks.trees_bench " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    write_results(
        rows, setup, f"{command.strip()} (repeats={repeats})", stem, args.quick
    )
    for cell, level_wise, recursion, ratio in speedups(rows):
        print(f"{cell}: {level_wise} {ratio:.1f}x faster than {recursion}")
    return stem + ".md", stem + ".csv"


if __name__ == "__main__":
    main()
