"""The results tables come from the configs alone, say where we fall short
of the reference, and the README and results/README.md are up to date."""

import pytest

from rnnzoo.zoo import registry
from rnnzoo.zoo import results


@pytest.mark.parametrize(
    "metric, ours, reference, expected",
    [
        ("accuracy", 0.80, 0.85, "**falls short** (5.9% lower)"),
        ("accuracy", 0.90, 0.85, "meets it (5.9% better)"),
        ("perplexity", 130.0, 114.5, "**falls short** (13.5% higher)"),
        ("negative_log_likelihood", 7.2, 8.54, "meets it (15.7% better)"),
        ("bleu", 20.0, None, "no reference"),
        ("validation_loss", 1.4707, 1.47, "**falls short** (0.05% higher)"),
    ],
)
def test_compare_knows_which_way_is_better(metric, ours, reference, expected):
    assert results.compare(metric, ours, reference) == expected


def test_every_published_weight_has_a_row_with_its_metric():
    tables = results.results_tables()
    for name in registry.list_models():
        config = registry.get_config(name)
        for entry in config.get("weights", []):
            row = next(
                line
                for line in tables.splitlines()
                if line.startswith(f"| `{name}.{entry['tag']}` ")
            )
            metric, value = results._metric_of(config, entry)
            assert value is not None, f"{name}: no {metric} in its metrics"
            shown = metric + results._decoding_note(config, metric)
            assert f"| {shown} | {results._number(value)} |" in row


@pytest.mark.parametrize(
    "decoding, metric, note",
    [
        ({"strategy": "beam", "beam_width": 5}, "bleu", " (beam 5)"),
        (
            {"strategy": "beam", "beam_width": 5, "replace_unknown": True},
            "bleu",
            " (beam 5, unknown words copied)",
        ),
        (
            {"strategy": "greedy", "replace_unknown": True},
            "bleu",
            " (greedy, unknown words copied)",
        ),
        ({"strategy": "beam", "beam_width": 5}, "perplexity", ""),
        ({"strategy": "greedy"}, "exact_match", ""),
        (None, "bleu", ""),
    ],
)
def test_a_default_decoding_is_named_beside_its_metric(decoding, metric, note):
    config = {"decoding": decoding} if decoding else {}
    assert results._decoding_note(config, metric) == note


def test_readme_and_results_page_are_up_to_date():
    readme = results.README.read_text(encoding="utf-8")
    assert readme == results.replace_section(
        readme, results.results_tables()
    ), "README.md is stale: run python -m rnnzoo.zoo.results --write"
    assert (
        results.RESULTS_README.read_text(encoding="utf-8")
        == results.results_page()
    ), "results/README.md is stale: run python -m rnnzoo.zoo.results --write"
