"""The tree benchmark times what it claims: its per-node recursion computes
the level-wise layer's loss, and a quick run writes its files. Timings are
not checked."""

import csv

import numpy as np
import pytest

from benchmarks import trees_bench


@pytest.mark.parametrize("cell", sorted(trees_bench.CELLS))
def test_recursion_and_level_wise_steps_compute_the_same_loss(cell):
    setup = trees_bench.QUICK
    batch = trees_bench.tree_batch(setup, seed=3)
    labels = np.arange(setup.batch) % trees_bench.CLASSES
    losses = []
    for make in (
        lambda *a: trees_bench.level_wise_step(*a, jit_compile=False),
        lambda *a: trees_bench.recursive_step(*a, compiled_node=False),
        lambda *a: trees_bench.recursive_step(*a, compiled_node=True),
    ):
        layer, head = trees_bench.build_models(cell, setup, *batch[1:3])
        # The first step's loss is computed before its update.
        losses.append(float(make(layer, head, batch, labels)()))
    np.testing.assert_allclose(losses[1:], losses[0], rtol=1e-5)


def test_trees_have_sst_like_leaf_counts():
    rng = np.random.default_rng(0)
    setup = trees_bench.TreeSetup()
    leaves = trees_bench.sentence_lengths(rng, setup, 20000)
    assert leaves.min() == 5 and leaves.max() == 50
    assert 18 < leaves.mean() < 20
    tree = trees_bench.binary_tree(rng, 7)
    assert len(tree) == 13 and sum(kids[0] < 0 for kids in tree) == 7
    for node, kids in enumerate(tree):
        assert all(kid < node for kid in kids)


@pytest.mark.slow
def test_quick_run_writes_markdown_and_csv(tmp_path):
    markdown_path, csv_path = trees_bench.main(
        ["--quick", "--output-dir", str(tmp_path), "--machine", "test"]
    )
    assert markdown_path == str(tmp_path / "trees-test.md")
    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert {(r["cell"], r["candidate"]) for r in rows} == {
        (cell, candidate)
        for cell in trees_bench.CELLS
        for candidate in trees_bench.CANDIDATES
    }
    text = open(markdown_path).read()
    assert "## Targets" in text and "Smoke run" in text
