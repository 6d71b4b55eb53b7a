"""Seed a store for the Experiments sidebar tests, change it from another process, and find
the sidebar's parts in a page.

The store contains two experiments that share one trial component, so a deletion of one of them
must keep it, and two unassigned trial components.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from playwright.sync_api import Locator, Page, expect
from ui_support import HOSTILE_DISPLAY_NAME, LabServer, open_lab

from jupyter_experiments import Experiment, TrialComponent
from jupyter_experiments.sdk._store import reset_stores

#: The experiment with five trials that most tests browse.
MNIST = "mnist-demo"
MNIST_DESCRIPTION = "CNN width sweep on handwritten digits"

#: Trials of MNIST, each with one training component and the shared Preprocessing component.
MNIST_TRIALS = ("cnn-2", "cnn-4", "cnn-8", "cnn-16", "cnn-32")

#: Status of the training component of each MNIST trial.
MNIST_STATUSES = {
    "cnn-2": "Completed",
    "cnn-4": "Completed",
    "cnn-8": "Completed",
    "cnn-16": "Failed",
    "cnn-32": "InProgress",
}

#: The second experiment, whose one trial also contains the Preprocessing component.
FASHION = "fashion-demo"
FASHION_TRIAL = "fashion-baseline"

#: The trial component that trials of both experiments contain.
SHARED_COMPONENT = "preprocessing"
SHARED_DISPLAY_NAME = "Preprocessing"

#: Trial components in no trial.
UNASSIGNED = ("scratch-eval", "notebook-check")

#: An experiment whose display name is HTML that would run script if rendered as HTML.
HOSTILE = "xss-check"

#: Seconds a subprocess that changes the store may take.
SUBPROCESS_TIMEOUT_S = 60

#: DOM id of the sidebar panel.
PANEL_ID = "jp-experiments-browser"

#: Width of the sidebar in the tests, in CSS pixels: wide enough for every column.
SIDEBAR_WIDTH_PX = 560


def training_component(trial: str) -> str:
    """Return the name of the training component of a trial."""
    return f"{trial}-training"


def seed_browser_store(db_url: str) -> None:
    """Record the experiments, trials and trial components the sidebar tests look for."""
    shared = TrialComponent.create(SHARED_COMPONENT, display_name=SHARED_DISPLAY_NAME, store=db_url)
    shared.status = "Completed"
    shared.save()

    mnist = Experiment.create(MNIST, description=MNIST_DESCRIPTION, store=db_url)
    for trial_name in MNIST_TRIALS:
        trial = mnist.create_trial(trial_name=trial_name)
        component = TrialComponent.create(
            training_component(trial_name), display_name=f"Training {trial_name}", store=db_url
        )
        component.status = MNIST_STATUSES[trial_name]
        component.save()
        trial.add_trial_component(component)
        trial.add_trial_component(shared)

    fashion = Experiment.create(FASHION, description="Baseline on Fashion-MNIST", store=db_url)
    baseline = fashion.create_trial(trial_name=FASHION_TRIAL)
    baseline_component = TrialComponent.create(training_component(FASHION_TRIAL), store=db_url)
    baseline.add_trial_component(baseline_component)
    baseline.add_trial_component(shared)

    for name in UNASSIGNED:
        TrialComponent.create(name, store=db_url)

    Experiment.create(HOSTILE, display_name=HOSTILE_DISPLAY_NAME, store=db_url)

    # The server opens the file itself; this process must not keep it busy.
    reset_stores()


def change_store_in_subprocess(db_url: str, script: str) -> None:
    """Run ``script`` in a new Python process with ``DB_URL`` set to the store's URL.

    The live-update tests change the store from outside the server, as a training job does.
    """
    code = f"DB_URL = {db_url!r}\n" + textwrap.dedent(script)
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"The script that changes the store failed with code {completed.returncode}:\n"
            f"{completed.stderr}"
        )


def open_sidebar(page: Page, server: LabServer) -> Locator:
    """Open JupyterLab, show the Experiments sidebar, widen it and return the panel."""
    open_lab(page, server)
    page.get_by_role("tab", name="Experiments").click()
    panel = page.locator(f"#{PANEL_ID}")
    expect(grid(panel)).to_be_visible()
    widen_sidebar(page, SIDEBAR_WIDTH_PX)
    return panel


def widen_sidebar(page: Page, width: int) -> None:
    """Drag the handle right of the left sidebar until the sidebar is ``width`` pixels wide."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    if box is None:
        raise RuntimeError("The handle of the left sidebar is not visible; open the sidebar first.")
    left = page.locator(f"#{PANEL_ID}").bounding_box()
    start_x = box["x"] + box["width"] / 2
    start_y = box["y"] + box["height"] / 2
    target_x = (left["x"] if left else 0) + width
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(target_x, start_y, steps=5)
    page.mouse.up()


def grid(panel: Locator) -> Locator:
    """Return the grid of the level shown."""
    return panel.get_by_role("grid")


def row(panel: Locator, label: str) -> Locator:
    """Return the row whose accessible name is ``label``."""
    return panel.get_by_role("row", name=label, exact=True)


def cell(row_locator: Locator, column: str) -> Locator:
    """Return the cell of a column ("name", "trials", "status", ...) in a row."""
    return row_locator.locator(f".jp-ExperimentBrowser-cell.jp-mod-{column}")


def breadcrumbs(panel: Locator) -> Locator:
    """Return the breadcrumb navigation."""
    return panel.get_by_role("navigation", name="Location")


def wait_until_settled(panel: Locator) -> None:
    """Wait until the level's rows are loaded and no filter request is pending."""
    expect(panel.locator(".jp-ExperimentBrowser-rows")).to_have_attribute("aria-busy", "false")


def go_home(panel: Locator) -> None:
    """Show Home, clear the filter and wait for the experiments."""
    crumb = breadcrumbs(panel).get_by_role("button", name="Home")
    if crumb.count() > 0:
        crumb.click()
    search = panel.get_by_role("searchbox", name="Filter by name")
    if search.input_value():
        search.fill("")
    expect(row(panel, MNIST)).to_be_visible()
    wait_until_settled(panel)


def browse_to(panel: Locator, *labels: str) -> None:
    """Go Home, then double-click the rows ``labels`` one level after the other."""
    go_home(panel)
    for label in labels:
        row(panel, label).dblclick()
        expect(breadcrumbs(panel).locator("[aria-current=location]")).to_have_text(label)
        wait_until_settled(panel)
