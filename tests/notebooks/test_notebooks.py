"""Every tutorial in `notebooks/` runs top to bottom without error.

Each notebook is executed by nbclient in a fresh kernel of this test's own
interpreter (a kernelspec written to a temporary Jupyter path, so no
`python3` kernel installed elsewhere on the machine is picked up), in a
temporary working folder, with `RNNZOO_NOTEBOOK_SMALL=1`: the notebooks
shrink their data and training to run in seconds. Most of a small
notebook's time is its kernel importing TensorFlow and tracing graphs, so
the notebooks run two at a time.

The notebooks are stored executed, with their outputs and figures, as
`notebooks/execute.py` writes them; a test checks each one as stored
(one run from top to bottom, no errors, figures, no log noise or local
paths in the outputs, under 1 MB).
"""

import asyncio
import functools
import importlib.util
import sys
import time
from pathlib import Path

import nbclient
import nbformat
import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPOSITORY / "notebooks").glob("*.ipynb"))
EXECUTE_SCRIPT = REPOSITORY / "notebooks" / "execute.py"
EXPECTED = {
    "01_quickstart",
    "02_custom_cells",
    "03_pretrained",
    "04_seq2seq_attention",
    "05_tuning",
    "06_gradient_flow",
    "07_generation",
    "08_tree_lstm",
    "09_explaining_predictions",
}
# Notebooks that draw: each must show at least one figure inline.
WITH_FIGURES = EXPECTED - {"01_quickstart", "05_tuning"}
CELL_TIMEOUT_S = 300
CONCURRENT_KERNELS = 2
KERNEL_NAME = "python3"


@pytest.fixture(scope="module")
def kernel_environment(tmp_path_factory):
    """Environment variables of the kernels, as `notebooks/execute.py`
    sets them (a `python3` kernelspec for this interpreter first on the
    Jupyter path, offline, caches in a temporary folder), at the small
    size; `None` means unset."""
    root = tmp_path_factory.mktemp("jupyter")
    return execute_script().kernel_environment(root, small=True)


def set_environment(monkeypatch, environment) -> None:
    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def client_for(notebook, working_dir):
    return nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(working_dir)}},
    )


async def execute_all(paths, working_root):
    """Executes the notebooks at `paths`, a few at a time; returns
    `{stem: (notebook or the exception it raised, seconds)}`."""
    slots = asyncio.Semaphore(CONCURRENT_KERNELS)

    async def execute_one(path):
        notebook = nbformat.read(path, as_version=4)
        working_dir = working_root / path.stem
        working_dir.mkdir()
        async with slots:
            start = time.perf_counter()
            try:
                await client_for(notebook, working_dir).async_execute()
                outcome = notebook
            except Exception as error:  # Reported by the notebook's test.
                outcome = error
            return path.stem, (outcome, time.perf_counter() - start)

    results = await asyncio.gather(*(execute_one(path) for path in paths))
    return dict(results)


@pytest.fixture(scope="module")
def executed_notebooks(
    request, kernel_environment, tmp_path_factory, monkeypatch_module
):
    """The notebooks this session's tests ask for, executed together."""
    set_environment(monkeypatch_module, kernel_environment)
    wanted = {
        item.callspec.params["path"]
        for item in request.session.items
        if item.originalname == "test_notebook_runs"
    }
    root = tmp_path_factory.mktemp("notebooks")
    results = asyncio.run(execute_all(sorted(wanted), root))
    for stem, (_, seconds) in sorted(results.items()):
        print(f"\n{stem}: {seconds:.1f} s", end="")
    return results


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def outputs_of(notebook, kind):
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if kind in output.get("data", {})
    ]


def test_every_tutorial_is_there():
    assert {path.stem for path in NOTEBOOKS} == EXPECTED


@functools.cache
def execute_script():
    """`notebooks/execute.py`, the script that stores the notebooks
    executed, as a module."""
    spec = importlib.util.spec_from_file_location("execute", EXECUTE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_executed_with_a_small_switch(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "RNNZOO_NOTEBOOK_SMALL" in code_cells[0].source
    problems = execute_script().stored_output_problems(
        notebook, path.stat().st_size
    )
    assert not problems, (
        f"{path.name}: " + "; ".join(problems) + ". Refresh its stored "
        f"outputs: python notebooks/execute.py {path.stem}"
    )
    if path.stem in WITH_FIGURES:
        assert outputs_of(notebook, "image/png"), "no figure is stored"


def test_execute_script_drops_log_noise_and_local_paths(tmp_path):
    execute = execute_script()
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1)", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="I0000 00:00:1796428590.811031   32747 port.cc:153] oneDNN "
            "custom operations are on.\n"
            "WARNING:tensorflow:5 out of the last 5 calls triggered "
            "tf.function retracing.\n"
            "a real warning\n",
        ),
        nbformat.v4.new_output(
            "stream",
            name="stdout",
            text=f"{REPOSITORY / 'hub'} and {tmp_path / 'runs'}\n",
        ),
    ]
    notebook.cells.append(cell)
    assert len(execute.stored_output_problems(notebook)) == 3

    execute.clean_outputs(notebook, [tmp_path])
    stderr, stdout = cell.outputs
    assert stderr.text == "a real warning\n"
    assert stdout.text == "hub and runs\n"
    assert execute.stored_output_problems(notebook) == []


def test_kernel_runs_this_interpreter(
    kernel_environment, tmp_path, monkeypatch
):
    set_environment(monkeypatch, kernel_environment)
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import sys\nprint(sys.executable)\nprint(sys.prefix)"
        )
    )
    client_for(notebook, tmp_path).execute()
    executable, prefix = notebook.cells[0].outputs[0]["text"].split()
    # The prefix tells a virtual environment from the interpreter it was
    # made from, which the executable's resolved path would not.
    assert (executable, prefix) == (sys.executable, sys.prefix)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, executed_notebooks):
    outcome, _ = executed_notebooks[path.stem]
    if isinstance(outcome, Exception):
        # nbclient's CellExecutionError names the cell and its traceback.
        raise outcome
    if path.stem in WITH_FIGURES:
        assert outputs_of(outcome, "image/png"), "no figure was shown"


@pytest.mark.slow
def test_pretrained_notebook_without_published_weights(
    kernel_environment, tmp_path, monkeypatch
):
    """With no `weights:` in any zoo config, the pretrained tutorial trains
    and loads a local preset instead, and says so."""
    configs = tmp_path / "configs"
    configs.mkdir()
    for source in (REPOSITORY / "zoo_configs").glob("*.yaml"):
        config = yaml.safe_load(source.read_text())
        config.pop("weights", None)
        config.pop("default_tag", None)
        (configs / source.name).write_text(yaml.safe_dump(config))
    set_environment(monkeypatch, kernel_environment)
    monkeypatch.setenv("RNNZOO_CONFIGS", str(configs))
    notebook = nbformat.read(
        REPOSITORY / "notebooks" / "03_pretrained.ipynb", as_version=4
    )
    working_dir = tmp_path / "run"
    working_dir.mkdir()
    client_for(notebook, working_dir).execute()
    shown = [
        output["data"]["text/markdown"]
        for output in outputs_of(notebook, "text/markdown")
    ]
    assert any("Path taken: local preset" in text for text in shown)


def test_cleaning_drops_the_kernels_cell_file_from_warnings():
    execute = execute_script()
    notebook = nbformat.v4.new_notebook()
    warning = nbformat.v4.new_output(
        "stream",
        name="stderr",
        text="/tmp/ipykernel_421/838355317.py:34: UserWarning: a head\n",
    )
    notebook.cells.append(
        nbformat.v4.new_code_cell("", outputs=[warning], execution_count=1)
    )
    execute.clean_outputs(notebook)
    assert notebook.cells[0].outputs[0].text == "UserWarning: a head\n"
    assert execute.stored_output_problems(notebook) == []
