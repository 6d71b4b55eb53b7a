"""The whole scripted flow of the experiment browser, in one JupyterLab page, in Chromium.

The tests run in file order on one page, and each starts where the previous one stopped. The
steps are the sidebar, a drill-down and the breadcrumb back, five trials opened in the trial
component list, Table properties, a sort by test:accuracy Max and the describe view. The last
step checks a trial component that another process adds while the table is open. Once a step
fails, the later steps are skipped.

Every action of the flow is a mouse click or a key press. Through ``window.jupyterapp``, the
helpers only read the table, scroll its grid and switch the theme for screenshots. The store
is ``seed_table.py``'s experiment (its docstring lists the values) plus one trial whose display
name is HTML markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import BrowserContext, Dialog, Locator, Page, expect
from seed_browser import (
    breadcrumbs,
    cell,
    change_store_in_subprocess,
    open_sidebar,
    row,
)
from seed_table import (
    CHANNELS,
    EXPERIMENT,
    JOB_CHANNELS,
    body_cell,
    cell_texts,
    column_header,
    seed_table_store,
    table_grid,
    trial_name,
    visible_column_keys,
    wait_for_texts,
)
from test_table_component_list import (
    ACCURACY,
    MAX_DESCENDING,
    choose_statistic,
    menu_item,
    right_click,
    sort_by_accuracy,
)
from ui_support import (
    HOSTILE_DISPLAY_NAME,
    LabServer,
    running_lab,
    save_screenshots,
    set_checked,
)

from jupyter_experiments import Trial
from jupyter_experiments.sdk._store import reset_stores

#: The trial whose display name would run script if the sidebar rendered it as HTML.
HOSTILE_TRIAL = "xss-trial"

#: The table tab's title: the first three selected trials in the sidebar's order (newest
#: first), then a count of the others.
TABLE_LABEL = f"{trial_name(32)}, {trial_name(20)}, {trial_name(10)} and 2 others"

#: Trials by test:accuracy Max, descending, as seeded: 95, 90, 85, 75.
TRIALS_BY_MAX = [trial_name(10), trial_name(32), trial_name(5), trial_name(2)]

#: The column groups left visible in Table properties.
KEPT_GROUPS = ("trial", "metrics", "job_settings")
HIDDEN_GROUPS = ("component", "parameters", "input_artifacts", "output_artifacts")

#: Adds an Evaluation component with test:accuracy 99 to trial cnn-32, as a training job would.
ADD_COMPONENT_SCRIPT = f"""
from jupyter_experiments import Tracker, Trial

with Tracker.create(
    display_name="Evaluation", base_trial_component_name="evaluation", store=DB_URL
) as tracker:
    tracker.log_metric("test:accuracy", 99.0, iteration_number=0)
Trial.load({trial_name(32)!r}, store=DB_URL).add_trial_component(tracker.trial_component)
"""

#: How long a change from another process may take to show, in milliseconds.
LIVE_TIMEOUT_MS = 5000


@dataclass
class Flow:
    """The page the flow runs in, its server and store, and what happened so far."""

    page: Page
    server: LabServer
    db_url: str
    dialogs: list[str] = field(default_factory=list)
    failures_before: int = 0

    @property
    def panel(self) -> Locator:
        """The Experiments sidebar."""
        return self.page.locator("#jp-experiments-browser")

    @property
    def pane(self) -> Locator:
        """The Table properties pane."""
        return self.page.get_by_role("region", name="Table properties")

    @property
    def describe_view(self) -> Locator:
        """The visible describe view."""
        return self.page.locator(".jp-DescribeComponent:visible")


@pytest.fixture(scope="module")
def flow(
    request: pytest.FixtureRequest,
    browser_context: BrowserContext,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flow]:
    """Seed the store, start JupyterLab on it and open the Experiments sidebar."""
    folder = tmp_path_factory.mktemp("workflow")
    db_url = f"sqlite:///{folder / 'store.db'}"
    seed_table_store(db_url, folder / "lab" / "artifacts", folder / "scripts")
    Trial.create(
        EXPERIMENT, trial_name=HOSTILE_TRIAL, display_name=HOSTILE_DISPLAY_NAME, store=db_url
    )
    reset_stores()

    with running_lab(folder / "lab", db_url) as server:
        page = browser_context.new_page()
        state = Flow(page, server, db_url, failures_before=request.session.testsfailed)

        def record_dialog(dialog: Dialog) -> None:
            state.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", record_dialog)
        try:
            open_sidebar(page, server)
            yield state
        finally:
            if request.session.testsfailed > state.failures_before:
                failure = folder / "failure.png"
                page.screenshot(path=failure)
                print(f"Screenshot: {failure}\nJupyterLab log ({server.log_path}):")
                print(server.log_tail())
            page.close()


@pytest.fixture(autouse=True)
def earlier_steps_passed(request: pytest.FixtureRequest, flow: Flow) -> None:
    """Skip a step once an earlier one failed, because it would start from the wrong page."""
    if request.session.testsfailed > flow.failures_before:
        pytest.skip("An earlier step of the flow failed.")


def test_sidebar_home(flow: Flow) -> None:
    expect(breadcrumbs(flow.panel)).to_have_text("Home")
    expect(cell(row(flow.panel, EXPERIMENT), "trials")).to_have_text("6")
    save_screenshots(flow.page, "01-home")


def test_double_click_lists_trials(flow: Flow) -> None:
    row(flow.panel, EXPERIMENT).dblclick()

    expect(breadcrumbs(flow.panel)).to_have_text(f"Home›{EXPERIMENT}")
    for channels in CHANNELS:
        expect(row(flow.panel, trial_name(channels))).to_be_visible()
    save_screenshots(flow.page, "02-trials")


def test_hostile_name_literal_text(flow: Flow) -> None:
    hostile = row(flow.panel, HOSTILE_DISPLAY_NAME)

    expect(cell(hostile, "name")).to_have_text(HOSTILE_DISPLAY_NAME)
    expect(hostile).to_have_attribute("data-name", HOSTILE_TRIAL)
    expect(flow.page.locator("img[src=x]")).to_have_count(0)
    assert flow.dialogs == []
    save_screenshots(flow.page, "02b-hostile-name")


def test_double_click_lists_components(flow: Flow) -> None:
    row(flow.panel, trial_name(JOB_CHANNELS)).dblclick()

    expect(breadcrumbs(flow.panel)).to_have_text(f"Home›{EXPERIMENT}›{trial_name(JOB_CHANNELS)}")
    expect(row(flow.panel, "Training")).to_be_visible()
    expect(row(flow.panel, "Preprocessing")).to_be_visible()
    save_screenshots(flow.page, "03-components")


def test_breadcrumb_goes_back(flow: Flow) -> None:
    breadcrumbs(flow.panel).get_by_role("button", name=EXPERIMENT).click()

    expect(breadcrumbs(flow.panel)).to_have_text(f"Home›{EXPERIMENT}")
    expect(row(flow.panel, trial_name(JOB_CHANNELS))).to_have_attribute("aria-selected", "true")
    save_screenshots(flow.page, "04-breadcrumb")


def test_ctrl_click_selects_five(flow: Flow) -> None:
    first, *others = CHANNELS

    row(flow.panel, trial_name(first)).click()
    for channels in others:
        row(flow.panel, trial_name(channels)).click(modifiers=["Control"])

    for channels in CHANNELS:
        expect(row(flow.panel, trial_name(channels))).to_have_attribute("aria-selected", "true")
    expect(row(flow.panel, HOSTILE_DISPLAY_NAME)).to_have_attribute("aria-selected", "false")
    save_screenshots(flow.page, "05-selection")


def test_open_component_list(flow: Flow) -> None:
    page = flow.page

    row(flow.panel, trial_name(32)).click(button="right")
    page.get_by_role("menuitem", name="Open in Trial Component List").click()

    # Each of the five trials has a Preprocessing and a Training component.
    status = page.get_by_role("status").filter(has_text="trial components")
    expect(status).to_have_text("10 trial components")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=TABLE_LABEL)
    expect(tab).to_have_count(1)
    save_screenshots(page, "06-table")


def test_properties_keep_three_groups(flow: Flow) -> None:
    page = flow.page
    page.get_by_role("button", name="Table properties").click()

    for group in HIDDEN_GROUPS:
        checkbox = flow.pane.locator(f"[data-group='{group}'] > label input[type=checkbox]")
        set_checked(checkbox, False)

    keys = visible_column_keys(page, TABLE_LABEL)
    assert keys[:4] == ["trials", "experiments", ACCURACY, "metrics.test:loss"]
    assert "job.exit_code" in keys
    assert all(key.startswith(("trials", "experiments", "metrics.", "job.")) for key in keys)
    for group in KEPT_GROUPS:
        expect(flow.pane.locator(f"[data-group='{group}'] > label input")).to_be_checked()
    save_screenshots(page, "07-properties")


def test_sort_by_max_orders_rows(flow: Flow) -> None:
    page = flow.page
    # Close the pane, so the sort menu and the grid are not covered.
    page.get_by_role("button", name="Table properties").click()

    choose_statistic(page, TABLE_LABEL, "Max")
    sort_by_accuracy(page, TABLE_LABEL)

    wait_for_texts(page, TABLE_LABEL, ACCURACY, MAX_DESCENDING)
    assert cell_texts(page, TABLE_LABEL, "trials")[:4] == TRIALS_BY_MAX
    header = column_header(page, TABLE_LABEL, ACCURACY)
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(header).to_contain_text("test:accuracy (Max)")
    save_screenshots(page, "08-sorted")


def test_describe_shows_values(flow: Flow) -> None:
    page = flow.page
    # The first row is the Training component of the job's trial, with the highest Max.
    right_click(page, body_cell(page, TABLE_LABEL, "trials", 0))
    menu_item(page, "Describe").click()

    view = flow.describe_view
    expect(view.locator(".jp-DescribeComponent-title")).to_have_text("Training")
    parameters = view.locator("[data-section='parameters']")
    expect(parameters.locator("tr[data-parameter='hidden_channels'] td")).to_have_text(
        [str(JOB_CHANNELS), "integer"]
    )
    expect(parameters.locator("tr[data-parameter='optimizer'] td")).to_have_text(["adam", "string"])
    expect(parameters.locator("tr[data-parameter='lr'] td")).to_have_text(["0.01", "float"])
    # Min, Max, Avg, StdDev, Last, Count of the points 80, 95, 88.
    summary = view.locator(".jp-DescribeComponent-metrics tr[data-metric='test:accuracy'] td")
    expect(summary).to_have_text(["80", "95", "87.6667", "7.50555", "88", "3"])
    loss = view.locator(".jp-DescribeComponent-metrics tr[data-metric='test:loss'] td")
    expect(loss.last).to_have_text("3")
    save_screenshots(page, "09-describe")


def test_component_from_other_process(flow: Flow) -> None:
    page = flow.page
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=TABLE_LABEL).click()
    wait_for_texts(page, TABLE_LABEL, ACCURACY, MAX_DESCENDING)

    change_store_in_subprocess(flow.db_url, ADD_COMPONENT_SCRIPT)

    status = page.get_by_role("status").filter(has_text="trial components")
    # The right-click of the describe step selected the job's row, and the refetch keeps it.
    expect(status).to_have_text("11 trial components, 1 selected", timeout=LIVE_TIMEOUT_MS)
    wait_for_texts(page, TABLE_LABEL, ACCURACY, ["99", *MAX_DESCENDING])
    assert cell_texts(page, TABLE_LABEL, "trials")[:5] == [trial_name(32), *TRIALS_BY_MAX]
    selected = table_grid(page, TABLE_LABEL).locator("[aria-selected='true']")
    expect(selected).to_have_attribute("aria-rowindex", "4")
    assert flow.dialogs == []
    save_screenshots(page, "10-live-row")


def test_flow_logs_no_error(flow: Flow) -> None:
    # The page records every console.error and uncaught error here because the test server
    # sets the browserTest page option.
    recorded = flow.page.locator("#browserTest").text_content() or "[]"

    assert json.loads(recorded) == []
