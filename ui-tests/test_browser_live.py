"""Live updates of the Experiments sidebar while another process writes to the store.

The server polls the store's change events every 0.5 s (the default ``live_update_interval``).
The sidebar collects notices for 250 ms before it fetches the level again, so a change shows
within about a second, and the tests allow 3 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import BrowserContext, ElementHandle, Locator, Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from seed_browser import (
    FASHION,
    MNIST,
    breadcrumbs,
    browse_to,
    cell,
    change_store_in_subprocess,
    grid,
    open_sidebar,
    row,
    seed_browser_store,
    training_component,
    wait_until_settled,
)
from ui_support import LabServer, running_lab, save_screenshots

from jupyter_experiments import Experiment
from jupyter_experiments.sdk._store import reset_stores

#: How long a change may take to show, in milliseconds.
LIVE_TIMEOUT_MS = 3000

#: How long to watch for requests that an unrelated change must not cause, in milliseconds:
#: two polls of the server and the sidebar's 250 ms delay, with a margin.
QUIET_PERIOD_MS = 2000

#: An experiment with more trials than the sidebar shows at once.
LONG_SWEEP = "long-sweep"
LONG_SWEEP_TRIALS = 60

#: Counts the rows removed from the grid from now on, in window.experimentsRemovedRows.
COUNT_REMOVED_ROWS_JS = """grid => {
  window.experimentsRemovedRows = 0;
  const observer = new MutationObserver(records => {
    for (const record of records) {
      window.experimentsRemovedRows += record.removedNodes.length;
    }
  });
  observer.observe(grid.querySelector('[role=rowgroup]:last-child'), { childList: true });
}"""

ADD_TRIAL_SCRIPT = """
from jupyter_experiments import Experiment, Trial, TrialComponent

experiment = Experiment.load({experiment!r}, store=DB_URL)
trial = experiment.create_trial(trial_name={trial!r})
component = TrialComponent.create({trial!r} + "-training", store=DB_URL)
component.status = "InProgress"
component.save()
trial.add_trial_component(component)
"""

DELETE_TRIAL_SCRIPT = """
from jupyter_experiments import Trial

Trial.load({trial!r}, store=DB_URL).delete()
"""

COMPLETE_COMPONENT_SCRIPT = """
from jupyter_experiments import TrialComponent

component = TrialComponent.load({component!r}, store=DB_URL)
component.status = "Completed"
component.save()
"""


@dataclass
class LiveChange:
    """The sidebar after another process added a trial to mnist-demo and completed a component."""

    panel: Locator
    kept_row: ElementHandle


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of a seeded store with one experiment of many trials, for this module."""
    folder = tmp_path_factory.mktemp("browser-live")
    url = f"sqlite:///{folder / 'store.db'}"
    seed_browser_store(url)
    sweep = Experiment.create(LONG_SWEEP, store=url)
    for index in range(LONG_SWEEP_TRIALS):
        sweep.create_trial(trial_name=f"sweep-{index:02d}")
    reset_stores()
    return url


@pytest.fixture(scope="module")
def server(
    chromium: str, db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    """Return a JupyterLab server on the module's store."""
    with running_lab(tmp_path_factory.mktemp("browser-live-lab"), db_url) as lab_server:
        yield lab_server


@pytest.fixture(scope="module")
def tab(browser_context: BrowserContext, server: LabServer) -> Iterator[Page]:
    """Return one JupyterLab tab for the module, with the Experiments sidebar open."""
    page = browser_context.new_page()
    try:
        open_sidebar(page, server)
        yield page
    except Exception:
        page.screenshot(path=server.log_path.with_name("failure.png"))
        print(server.log_tail())
        raise
    finally:
        page.close()


@pytest.fixture(scope="module")
def live_change(tab: Page, db_url: str) -> LiveChange:
    """Show mnist-demo with cnn-8 selected, then change the store from another process."""
    # Given the trials of mnist-demo, one selected, and a watch on the rows
    panel = tab.locator("#jp-experiments-browser")
    browse_to(panel, MNIST)
    row(panel, "cnn-8").click()
    kept_row = row(panel, "cnn-4").element_handle()
    grid(panel).evaluate(COUNT_REMOVED_ROWS_JS)

    # When another process adds a trial and completes the running component
    change_store_in_subprocess(db_url, ADD_TRIAL_SCRIPT.format(experiment=MNIST, trial="cnn-64"))
    change_store_in_subprocess(
        db_url, COMPLETE_COMPONENT_SCRIPT.format(component=training_component("cnn-32"))
    )
    return LiveChange(panel=panel, kept_row=kept_row)


def test_new_trial_appears(live_change: LiveChange) -> None:
    expect(row(live_change.panel, "cnn-64")).to_be_visible(timeout=LIVE_TIMEOUT_MS)


def test_status_summary_updates(live_change: LiveChange) -> None:
    status = cell(row(live_change.panel, "cnn-32"), "status")

    expect(status).to_have_text("2 Completed", timeout=LIVE_TIMEOUT_MS)


def test_selection_survives_update(live_change: LiveChange) -> None:
    expect(row(live_change.panel, "cnn-64")).to_be_visible(timeout=LIVE_TIMEOUT_MS)

    expect(row(live_change.panel, "cnn-8")).to_have_attribute("aria-selected", "true")


def test_unchanged_row_keeps_node(live_change: LiveChange) -> None:
    expect(row(live_change.panel, "cnn-64")).to_be_visible(timeout=LIVE_TIMEOUT_MS)

    assert live_change.kept_row.evaluate("node => node.isConnected") is True


def test_update_removes_no_row(live_change: LiveChange) -> None:
    expect(row(live_change.panel, "cnn-64")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(cell(row(live_change.panel, "cnn-32"), "status")).to_have_text(
        "2 Completed", timeout=LIVE_TIMEOUT_MS
    )

    assert live_change.panel.page.evaluate("() => window.experimentsRemovedRows") == 0


def test_other_experiment_change_fetches_nothing(live_change: LiveChange, db_url: str) -> None:
    # Given the trials of mnist-demo, up to date after the fixture's changes
    page = live_change.panel.page
    expect(row(live_change.panel, "cnn-64")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(cell(row(live_change.panel, "cnn-32"), "status")).to_have_text(
        "2 Completed", timeout=LIVE_TIMEOUT_MS
    )
    page.wait_for_timeout(QUIET_PERIOD_MS)
    requests: list[str] = []

    def record(request: Request) -> None:
        if "/experiments/api/" in request.url:
            requests.append(request.url)

    # When another process adds a trial to another experiment
    page.on("request", record)
    try:
        change_store_in_subprocess(
            db_url, ADD_TRIAL_SCRIPT.format(experiment=FASHION, trial="fashion-wide")
        )
        page.wait_for_timeout(QUIET_PERIOD_MS)
    finally:
        page.remove_listener("request", record)

    # Then the sidebar sends no request to the server
    assert requests == []


def test_scrolled_row_stays_in_place(tab: Page, db_url: str) -> None:
    # Given a long list scrolled down, with a selected row in view
    panel = tab.locator("#jp-experiments-browser")
    browse_to(panel, LONG_SWEEP)
    selected = row(panel, "sweep-30")
    selected.scroll_into_view_if_needed()
    selected.click()
    top_before = selected.bounding_box()

    # When another process adds a trial above it (newest first) and the list updates
    change_store_in_subprocess(
        db_url, ADD_TRIAL_SCRIPT.format(experiment=LONG_SWEEP, trial="sweep-new")
    )
    expect(row(panel, "sweep-new")).to_be_attached(timeout=LIVE_TIMEOUT_MS)

    # Then the selected row is where it was on the screen, and still selected
    assert top_before is not None
    # The row may be attached before the browser anchors the scroll to it, so wait for the
    # position, and fail with the one it kept.
    try:
        tab.wait_for_function(
            "([node, top]) => Math.abs(node.getBoundingClientRect().top - top) <= 1",
            arg=[selected.element_handle(), top_before["y"]],
            timeout=LIVE_TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        top_after = selected.bounding_box()
        raise AssertionError(
            f"The selected row moved from y={top_before['y']} to {top_after}."
        ) from None
    expect(selected).to_have_attribute("aria-selected", "true")


def test_deleted_trial_shows_experiment(tab: Page, db_url: str) -> None:
    # Given the trial components of a trial
    panel = tab.locator("#jp-experiments-browser")
    browse_to(panel, LONG_SWEEP, "sweep-00")

    # When another process deletes the trial
    change_store_in_subprocess(db_url, DELETE_TRIAL_SCRIPT.format(trial="sweep-00"))

    # Then the sidebar shows the experiment, without the trial
    expect(breadcrumbs(panel)).to_have_text(f"Home›{LONG_SWEEP}", timeout=LIVE_TIMEOUT_MS)
    # The level starts empty, so the missing row proves nothing until its trials are shown.
    wait_until_settled(panel)
    expect(row(panel, "sweep-01")).to_be_visible()
    expect(row(panel, "sweep-00")).to_have_count(0)


ADD_TWIN_TRIALS_SCRIPT = """
from jupyter_experiments import Trial

for name in {names!r}:
    Trial.create({experiment!r}, name, display_name={display_name!r}, store=DB_URL)
"""


def test_shared_display_names_show_unique_names(tab: Page, db_url: str) -> None:
    # Given an experiment shown in the sidebar
    panel = tab.locator("#jp-experiments-browser")
    browse_to(panel, LONG_SWEEP)

    # When another process adds two trials with the same display name
    change_store_in_subprocess(
        db_url,
        ADD_TWIN_TRIALS_SCRIPT.format(
            names=["twin-a", "generated-trial-20261205T021108-twin-b"],
            experiment=LONG_SWEEP,
            display_name="Baseline",
        ),
    )

    # Then each row shows its unique name beside the shared one, which screen readers read too
    for name in ["twin-a", "generated-trial-20261205T021108-twin-b"]:
        twin = row(panel, f"Baseline ({name})")
        expect(twin).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(twin.locator(".jp-ExperimentBrowser-uniqueName")).to_have_text(name)
    # and rows whose display name is their own show no second name
    expect(row(panel, "sweep-01").locator(".jp-ExperimentBrowser-uniqueName")).to_have_count(0)
    save_screenshots(tab, "shared-display-names")
