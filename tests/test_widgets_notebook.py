"""Run the widgets example notebook in a real kernel and check that it shows widget views."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_experiments import Experiment
from jupyter_experiments.store import TrackingStore

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "widgets.ipynb"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: Seconds each cell may run; the slowest one records 5 simulated trials.
CELL_TIMEOUT_S = 120


def widget_views(cell: nbformat.NotebookNode) -> list[dict[str, str]]:
    return [
        output["data"][WIDGET_VIEW]
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]


@pytest.mark.slow
def test_notebook_runs(store: TrackingStore, tmp_path: Path) -> None:
    # One run serves every check: starting a kernel costs seconds. The kernel inherits the
    # environment, so its default store is this test's store.
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [output for cell in code for output in cell.outputs]
    shown = [cell for cell in code if widget_views(cell)]
    link_cell = next(cell for cell in code if "link_chart" in cell.source)
    assert [output for output in outputs if output["output_type"] == "error"] == []
    assert [output for output in outputs if output.get("name") == "stderr"] == []
    assert len(shown) == 4
    assert all(view["model_id"] for cell in shown for view in widget_views(cell))
    assert link_cell.outputs[0]["data"]["text/plain"].count("TrialComponent-") == 2
    assert len(list(Experiment.load("widgets-demo").list_trials())) == 5
