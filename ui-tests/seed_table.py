"""Seed a store for the trial component list and describe view tests, and read the table.

The experiment ``mnist-demo`` has five trials ``cnn-<channels>``, one per value of
``hidden_channels``. Each trial has a ``Preprocessing`` component and a ``Training`` component.
Four Training components are recorded through the SDK's :class:`Tracker`. The one of ``cnn-10``
is a real local :class:`Estimator` job, so it has a job log, job settings and host parameters.
The values are chosen so that the tests can tell the statistics apart:

==========  ========================  =========  ==========  =========
channels    test:accuracy points      Max        Last        optimizer
==========  ========================  =========  ==========  =========
2           60, 75, 70                75         70          sgd
5           70, NaN, 85               85         85          sgd
10 (job)    80, 95, 88                95         88          adam
20          (no test:accuracy)        (missing)  (missing)   sgd
32          85, 90, 89                90         89          sgd
==========  ========================  =========  ==========  =========

Sorted by Max the order is 10, 32, 5, 2; by Last it is 32, 10, 5, 2. The five Preprocessing
components and the channels-20 Training component have no ``test:accuracy``, so a sort by it
puts those six rows last.
"""

from __future__ import annotations

import math
import os
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

from jupyter_experiments import Experiment, Tracker
from jupyter_experiments.jobs import Estimator
from jupyter_experiments.sdk._store import get_store, reset_stores
from jupyter_experiments.sdk.artifacts import ARTIFACT_ROOT_ENV

EXPERIMENT = "mnist-demo"
CHANNELS = (2, 5, 10, 20, 32)
JOB_CHANNELS = 10
LEARNING_RATE = 0.01

#: The test:accuracy points of each Training component; None means the metric is missing.
ACCURACY: dict[int, list[float] | None] = {
    2: [60.0, 75.0, 70.0],
    5: [70.0, math.nan, 85.0],
    10: [80.0, 95.0, 88.0],
    20: None,
    32: [85.0, 90.0, 89.0],
}

OPTIMIZER = {2: "sgd", 5: "sgd", 10: "adam", 20: "sgd", 32: "sgd"}

#: An input artifact whose value would run script if the view rendered it as HTML.
HOSTILE_ARTIFACT = "<img src=x onerror=alert(1)>"
DATASET_URL = "https://example.org/mnist/train.gz"

#: The training script of the Estimator job: one metric line per epoch, about a second.
TRAINING_SCRIPT = textwrap.dedent(
    """\
    import argparse
    import time

    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden_channels", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--optimizer")
    arguments = parser.parse_args()
    print(f"Training with {arguments.hidden_channels} channels", flush=True)
    for epoch, accuracy in enumerate([80.0, 95.0, 88.0]):
        time.sleep(0.3)
        loss = 1.0 / (epoch + 1)
        print(f"Epoch {epoch}: Test Accuracy: {accuracy}%; Test Loss: {loss};", flush=True)
    print("Training done", flush=True)
    """
)


def trial_name(channels: int) -> str:
    """Return the name of the trial of a ``hidden_channels`` value."""
    return f"cnn-{channels}"


@contextmanager
def artifact_root(folder: Path) -> Iterator[None]:
    """Point the SDK at ``folder`` for artifacts and job logs while seeding."""
    previous = os.environ.get(ARTIFACT_ROOT_ENV)
    os.environ[ARTIFACT_ROOT_ENV] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            del os.environ[ARTIFACT_ROOT_ENV]
        else:
            os.environ[ARTIFACT_ROOT_ENV] = previous


def seed_table_store(db_url: str, artifacts: Path, scripts: Path) -> str:
    """Record the experiment described above; return the name of the job's trial component.

    ``artifacts`` must be the artifact root of the server that reads the store, because the
    server serves job logs only from there. ``scripts`` receives the training script.
    """
    experiment = Experiment.create(
        EXPERIMENT, description="CNN width sweep on handwritten digits", store=db_url
    )
    job_component = ""
    with artifact_root(artifacts):
        for channels in CHANNELS:
            trial = experiment.create_trial(trial_name=trial_name(channels))
            with Tracker.create(
                display_name="Preprocessing",
                base_trial_component_name="preprocessing",
                store=db_url,
            ) as preprocessing:
                preprocessing.log_parameters({"normalization_mean": 0.1307})
                preprocessing.log_input("raw", "file:///data/mnist/raw")
            trial.add_trial_component(preprocessing.trial_component)

            if channels == JOB_CHANNELS:
                job_component = _run_training_job(db_url, scripts, channels)
            else:
                _record_training(db_url, trial, channels)
    reset_stores()
    return job_component


def _record_training(db_url: str, trial: Any, channels: int) -> None:
    with Tracker.create(
        display_name="Training", base_trial_component_name="training", store=db_url
    ) as training:
        training.log_parameters(
            {
                "hidden_channels": channels,
                "lr": LEARNING_RATE,
                "optimizer": OPTIMIZER[channels],
            }
        )
        points = ACCURACY[channels]
        for step, value in enumerate(points or []):
            training.log_metric("test:accuracy", value, iteration_number=step)
        for step in range(3):
            training.log_metric("test:loss", 1.0 / (step + channels), iteration_number=step)
    trial.add_trial_component(training.trial_component)


def _run_training_job(db_url: str, scripts: Path, channels: int) -> str:
    scripts.mkdir(parents=True, exist_ok=True)
    script = scripts / "train.py"
    script.write_text(TRAINING_SCRIPT, encoding="utf-8")
    estimator = Estimator(
        entry_point=script,
        hyperparameters={
            "hidden_channels": channels,
            "lr": LEARNING_RATE,
            "optimizer": OPTIMIZER[channels],
        },
        metric_definitions=[
            {"Name": "test:accuracy", "Regex": r"Test Accuracy: (.*?)%;"},
            {"Name": "test:loss", "Regex": r"Test Loss: (.*?);"},
        ],
        python=sys.executable,
        base_job_name="mnist-job",
        store=db_url,
    )
    job = estimator.fit(
        inputs={"training": DATASET_URL},
        experiment_config={
            "ExperimentName": EXPERIMENT,
            "TrialName": trial_name(channels),
            "TrialComponentDisplayName": "Training",
        },
        wait=True,
        logs=False,
    )
    name = job.trial_component_name
    tracker = Tracker.load(name, store=db_url)
    tracker.log_input("notes", HOSTILE_ARTIFACT)
    tracker.close()
    get_store(db_url).dispose()
    return name


#: Returns the content (a ComponentTable) of the trial component list tab whose label contains
#: the argument. Its ``model`` is the ComponentTableModel, its ``grid`` the ComponentGrid.
TABLE_JS = """(label) => {
  for (const widget of window.jupyterapp.shell.widgets('main')) {
    if (widget.hasClass('jp-ComponentTablePanel') && widget.title.label.includes(label)) {
      return widget.content;
    }
  }
  return null;
}"""

#: Returns the texts of a column's cells in the DOM, in row order.
_DOM_TEXTS_JS = """(grid, key) => [...grid.querySelectorAll('.jp-ComponentTable-row')]
  .filter(row => row.style.display !== 'none')
  .sort((a, b) => Number(a.dataset.row) - Number(b.dataset.row))
  .map(row => row.querySelector(`[data-column-key="${CSS.escape(key)}"]`))
  .map(cell => (cell === null ? null : cell.textContent))"""


def table_grid(page: Page, label: str) -> Locator:
    """Activate the tab of a table and return its grid."""
    panel_id = page.evaluate(
        f"""(label) => {{
            const table = ({TABLE_JS})(label);
            window.jupyterapp.shell.activateById(table.parent.id);
            return table.parent.id;
        }}""",
        label,
    )
    return page.locator(f"#{panel_id} .jp-ComponentTable-grid")


def column_header(page: Page, label: str, key: str) -> Locator:
    """Return the header cell of a column; headers exist for every column."""
    return table_grid(page, label).locator(
        f".jp-ComponentTable-columnHeader[data-column-key='{key}']"
    )


def body_cell(page: Page, label: str, key: str, row: int) -> Locator:
    """Scroll a cell into view and return it; only cells in view exist in the DOM."""
    grid = table_grid(page, label)
    page.evaluate(
        f"""([label, key, row]) => {{
            const table = ({TABLE_JS})(label);
            const column = table.model.visibleColumns.findIndex(c => c.key === key);
            table.grid.scrollToColumn(column);
            table.grid.scrollToRow(row);
        }}""",
        [label, key, row],
    )
    return grid.locator(f"[aria-rowindex='{row + 3}'] [data-column-key='{key}']")


def cell_texts(page: Page, label: str, key: str) -> list[str | None]:
    """Return the texts of a column's cells in the DOM, in row order (None: not rendered)."""
    return table_grid(page, label).evaluate(f"grid => ({_DOM_TEXTS_JS})(grid, {key!r})")


def wait_for_texts(page: Page, label: str, key: str, expected: list[str]) -> None:
    """Wait until the cells of column ``key`` show ``expected``, top to bottom, in the DOM.

    The column is scrolled into view on every check, because a grid that is still being laid
    out (just restored after a reload) may move it out of view again.
    """
    table_grid(page, label)
    page.evaluate(
        f"""([label, key, expected]) => new Promise((resolve, reject) => {{
            const table = ({TABLE_JS})(label);
            const texts = () => ({_DOM_TEXTS_JS})(table.grid.node, key);
            const started = performance.now();
            const check = () => {{
                const column = table.model.visibleColumns.findIndex(c => c.key === key);
                if (column >= 0) {{
                    table.grid.scrollToColumn(column);
                }}
                if (JSON.stringify(texts()) === JSON.stringify(expected)) {{
                    resolve();
                }} else if (performance.now() - started > 10000) {{
                    reject(new Error(`Column ${{key}} shows ${{JSON.stringify(texts())}}`));
                }} else {{
                    requestAnimationFrame(check);
                }}
            }};
            check();
        }})""",
        [label, key, expected],
    )


def column_texts(page: Page, label: str, key: str) -> list[str]:
    """Return the texts of column ``key`` for the loaded rows, from the tab's model.

    Unlike :func:`cell_texts` it covers rows outside the view.
    """
    return page.evaluate(
        f"([label, key]) => ({TABLE_JS})(label).model.columnTexts(key)", [label, key]
    )


def visible_column_keys(page: Page, label: str) -> list[str]:
    """Return the keys of the column headers a table shows, in order, from the DOM."""
    return table_grid(page, label).evaluate(
        """grid => [...grid.querySelectorAll('.jp-ComponentTable-columnHeader')]
            .map(cell => cell.dataset.columnKey)"""
    )


def table_layout(page: Page, label: str) -> dict[str, Any]:
    """Return the layout of a table: hidden columns, order, widths, statistics, sort."""
    return page.evaluate(f"(label) => ({TABLE_JS})(label).model.layout", label)


def row_index(page: Page, label: str, trial: str, display_name: str) -> int:
    """Return the row index of the component of ``trial`` with ``display_name``."""
    trials = column_texts(page, label, "trials")
    names = column_texts(page, label, "display_name")
    for index, (found_trial, found_name) in enumerate(zip(trials, names, strict=True)):
        if found_trial == trial and found_name == display_name:
            return index
    raise LookupError(f"No row of trial {trial!r} named {display_name!r} in table {label!r}.")
