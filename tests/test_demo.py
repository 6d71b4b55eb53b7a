"""The demo: the CLI command, the flow it runs, and the example notebook executed end to end."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_experiments import Experiment, Trial, TrialComponent
from jupyter_experiments.cli import main
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.migrations import HEAD_REVISION

NOTEBOOK = Path(__file__).parents[1] / "examples" / "mnist" / "mnist-experiment.ipynb"


@pytest.fixture
def demo_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = str(tmp_path / "demo.db")
    monkeypatch.setenv("JUPYTER_EXPERIMENTS_DB_URL", url)
    monkeypatch.setenv("JUPYTER_EXPERIMENTS_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    return url


def test_db_current_reports_head(demo_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    TrackingStore(demo_store).dispose()

    assert main(["db", "current", "--url", demo_store]) == 0
    assert f"schema {HEAD_REVISION}" in capsys.readouterr().out


def test_db_upgrade_on_current_store(demo_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    TrackingStore(demo_store).dispose()

    assert main(["db", "upgrade", "--url", demo_store]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.torch
def test_demo_command_runs_trials(demo_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")

    code = main(
        ["demo", "--epochs", "2", "--hidden-channels", "2", "5", "--experiment-name", "demo"]
    )

    output = capsys.readouterr().out
    assert code == 0
    assert "Trial 2/2 hidden_channels=5: Completed" in output
    trials = list(Trial.list(experiment_name="demo"))
    assert len(trials) == 2
    for trial in trials:
        names = {c.display_name for c in trial.list_trial_components()}
        assert names == {"Preprocessing", "Training"}
    shared = [
        c for c in TrialComponent.list(experiment_name="demo") if c.display_name == "Preprocessing"
    ]
    assert len(shared) == 1
    assert len(shared[0].trials) == 2
    training = [
        c for c in TrialComponent.list(experiment_name="demo") if c.display_name == "Training"
    ]
    for component in training:
        assert component.status == "Completed"
        assert component.metrics["test:accuracy"].count == 2
        assert component.metrics["train:loss"].count > 2
        assert component.parameters["hidden_channels"] in (2, 5)


@pytest.mark.torch
@pytest.mark.slow
def test_notebook_runs_end_to_end(demo_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    monkeypatch.setenv("MNIST_DEMO_EPOCHS", "2")
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": "."}}
    ).execute()

    experiments = list(Experiment.list())
    assert len(experiments) == 1
    trials = list(experiments[0].list_trials())
    assert len(trials) == 5
    leaderboard_cell = next(
        cell for cell in notebook.cells if "leaderboard = ExperimentAnalytics" in cell.source
    )
    html = leaderboard_cell.outputs[0]["data"]["text/html"]
    assert "test:accuracy - Max" in html
    lineage_cell = notebook.cells[-1]
    assert "Preprocessing" in lineage_cell.outputs[0]["data"]["text/plain"]
