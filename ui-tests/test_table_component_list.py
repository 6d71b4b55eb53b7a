"""The trial component list in a real JupyterLab page, driven through headless Chromium.

The grid is virtualised: only the rows and columns in view exist in the DOM, so the helpers of
``seed_table.py`` scroll a cell into view before returning it. Layout and row names come from
the tab's model through ``window.jupyterapp``, which the test server exposes (page option
``exposeAppInBrowser``). ``seed_table.py``'s docstring lists the values the tests expect.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Request, expect
from seed_table import (
    EXPERIMENT,
    TABLE_JS,
    body_cell,
    cell_texts,
    column_header,
    column_texts,
    row_index,
    seed_table_store,
    table_grid,
    table_layout,
    trial_name,
    visible_column_keys,
    wait_for_texts,
)
from ui_support import LabServer, open_lab, running_lab, save_screenshots, set_checked

from jupyter_experiments import Experiment, Tracker, TrialComponent
from jupyter_experiments.sdk._store import reset_stores

OPEN_TABLE = "jupyter-experiments:open-component-list"
ACCURACY = "metrics.test:accuracy"

#: test:accuracy Max by row after a descending sort: four values, then six rows without it.
MAX_DESCENDING = ["95", "90", "85", "75", "", "", "", "", "", ""]
MAX_ASCENDING = ["75", "85", "90", "95", "", "", "", "", "", ""]

#: Seconds to wait for JupyterLab to store the workspace after a layout change.
WORKSPACE_SAVE_TIMEOUT_S = 15.0


@dataclass
class OpenedTable:
    """A JupyterLab page with the trial component list of the experiment open."""

    page: Page
    server: LabServer
    db_url: str
    folder: Path

    @property
    def pane(self) -> Locator:
        """The Table properties pane of the experiment's table."""
        return self.page.get_by_role("region", name="Table properties")

    def screenshot(self, name: str) -> Path:
        """Save a screenshot of the page and print its path."""
        path = self.folder / name
        self.page.screenshot(path=path)
        print(f"Screenshot: {path}")
        return path


def open_table(page: Page, **selection: object) -> None:
    """Run the command that opens the trial component list of ``selection``."""
    page.evaluate(
        "([id, args]) => window.jupyterapp.commands.execute(id, args).then(() => undefined)",
        [OPEN_TABLE, selection],
    )


def open_table_alone(page: Page, **selection: object) -> None:
    """Close every main area tab, then open the trial component list of ``selection``.

    In a narrow split the table's toolbar moves its status line into the "More commands"
    menu, so tests that read the status give the table the whole main area.
    """
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
    expect(page.locator(".jp-ComponentTablePanel")).to_have_count(0)
    open_table(page, **selection)


def menu_item(page: Page, name: str) -> Locator:
    """Return the item of the open context menu (or submenu) labelled ``name``."""
    return page.locator(".lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(name)}$"))
    )


def right_click(page: Page, target: Locator) -> None:
    """Open the context menu on ``target``."""
    target.click(button="right")
    expect(page.locator(".lm-Menu").first).to_be_visible()


def choose_statistic(page: Page, label: str, statistic: str) -> None:
    """Choose ``statistic`` for test:accuracy through its header's Data aggregation menu."""
    right_click(page, column_header(page, label, ACCURACY))
    menu_item(page, "Data aggregation").click()
    menu_item(page, statistic).click()


def sort_by_accuracy(page: Page, label: str) -> None:
    """Click the header of test:accuracy."""
    column_header(page, label, ACCURACY).locator(".jp-ComponentTable-columnLabel").click()


def click_row(
    page: Page, label: str, row: int, modifier: Literal["Control", "Shift"] | None = None
) -> None:
    """Click a row in its name column, holding ``modifier`` if given."""
    cell = body_cell(page, label, "name", row)
    cell.click(modifiers=[modifier] if modifier else [])


def selected_names(page: Page, label: str) -> list[str]:
    """Return the names of the selected rows of a table, sorted."""
    return page.evaluate(f"(label) => [...({TABLE_JS})(label).model.selectedNames].sort()", label)


def workspace_state(server: LabServer) -> dict[str, object]:
    """Return the state database entries JupyterLab stored in the default workspace."""
    request = urllib.request.Request(
        f"{server.url}lab/api/workspaces/default",
        headers={"Authorization": f"token {server.token}"},
    )
    # The URL is always the loopback server started by running_lab.
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["data"]


@pytest.fixture(scope="module")
def lab(
    browser_context: BrowserContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenedTable]:
    """Seed a store, start JupyterLab on it and open the experiment's trial component list."""
    folder = tmp_path_factory.mktemp("table")
    db_url = f"sqlite:///{folder / 'store.db'}"
    seed_table_store(db_url, folder / "lab" / "artifacts", folder / "scripts")

    with running_lab(folder / "lab", db_url) as server:
        page = browser_context.new_page()
        try:
            open_lab(page, server)
            open_table(page, experiments=[EXPERIMENT])
            expect(page.get_by_role("status").filter(has_text="trial components")).to_have_text(
                "10 trial components"
            )
            yield OpenedTable(page=page, server=server, db_url=db_url, folder=folder)
        except Exception:
            failure = folder / "failure.png"
            page.screenshot(path=failure)
            print(f"Screenshot: {failure}\nJupyterLab log ({server.log_path}):")
            print(server.log_tail())
            raise
        finally:
            page.close()


def test_table_lists_ten_components(lab: OpenedTable) -> None:
    # The status counts the rows as soon as the server sends the total; the grid draws them on
    # the next animation frame.
    names = table_grid(lab.page, EXPERIMENT).locator(
        ".jp-ComponentTable-row:visible [data-column-key='name']"
    )
    expect(names).to_have_count(10)
    texts = cell_texts(lab.page, EXPERIMENT, "name")

    assert len(texts) == 10
    assert all(
        text and text.startswith(("training-", "preprocessing-", "mnist-job-")) for text in texts
    )
    save_screenshots(lab.page, "table")


def test_table_grid_role(lab: OpenedTable) -> None:
    grid = table_grid(lab.page, EXPERIMENT)

    expect(grid).to_have_attribute("role", "grid")
    # Two header rows and ten rows.
    expect(grid).to_have_attribute("aria-rowcount", "12")


def test_table_tab_title(lab: OpenedTable) -> None:
    tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=EXPERIMENT)

    expect(tab).to_have_count(1)


def test_table_open_twice_activates(lab: OpenedTable) -> None:
    open_table(lab.page, experiments=[EXPERIMENT])

    tabs = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=EXPERIMENT)
    expect(tabs).to_have_count(1)


def test_table_columns_grouped(lab: OpenedTable) -> None:
    # Column names come from a separate request, whose reply may arrive after the rows.
    expect(column_header(lab.page, EXPERIMENT, "job.exit_code")).to_have_count(1)
    keys = visible_column_keys(lab.page, EXPERIMENT)

    assert keys[:9] == [
        "trials",
        "experiments",
        "display_name",
        "name",
        "status",
        "source",
        "created",
        "modified",
        "duration",
    ]
    assert keys[9:11] == ["metrics.test:accuracy", "metrics.test:loss"]
    assert "parameters.hidden_channels" in keys
    assert "input.training" in keys
    assert "job.exit_code" in keys


def test_properties_hides_group(lab: OpenedTable) -> None:
    page = lab.page
    page.get_by_role("button", name="Table properties").click()
    group = lab.pane.locator("[data-group='parameters']")

    set_checked(group.get_by_role("checkbox", name="Parameters"), False)
    hidden = visible_column_keys(page, EXPERIMENT)
    save_screenshots(page, "properties")
    set_checked(group.get_by_role("checkbox", name="Parameters"), True)
    shown = visible_column_keys(page, EXPERIMENT)

    assert not any(key.startswith("parameters.") for key in hidden)
    assert "parameters.lr" in shown


def test_properties_hides_column(lab: OpenedTable) -> None:
    page = lab.page
    if not lab.pane.is_visible():
        page.get_by_role("button", name="Table properties").click()
    group = lab.pane.locator("[data-group='parameters']")

    set_checked(group.get_by_role("checkbox", name="lr", exact=True), False)
    hidden = visible_column_keys(page, EXPERIMENT)
    set_checked(group.get_by_role("checkbox", name="lr", exact=True), True)
    shown = visible_column_keys(page, EXPERIMENT)

    assert "parameters.lr" not in hidden
    assert "parameters.hidden_channels" in hidden
    assert "parameters.lr" in shown


def test_properties_search(lab: OpenedTable) -> None:
    page = lab.page
    if not lab.pane.is_visible():
        page.get_by_role("button", name="Table properties").click()

    lab.pane.get_by_role("searchbox", name="Search columns").fill("accura")

    expect(lab.pane.locator("[data-group]")).to_have_count(1)
    expect(lab.pane.locator("[data-group='metrics'] li")).to_have_count(1)
    expect(lab.pane.get_by_role("checkbox", name="test:accuracy")).to_be_visible()
    lab.pane.get_by_role("searchbox", name="Search columns").fill("")
    expect(lab.pane.locator("[data-group='metrics'] li")).to_have_count(2)


def test_sort_by_max_descending(lab: OpenedTable) -> None:
    page = lab.page
    choose_statistic(page, EXPERIMENT, "Max")

    sort_by_accuracy(page, EXPERIMENT)

    wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_DESCENDING)
    header = column_header(page, EXPERIMENT, ACCURACY)
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(header).to_contain_text("test:accuracy (Max)")
    assert table_layout(page, EXPERIMENT)["statistics"] == {"test:accuracy": "max"}
    lab.screenshot("table-sorted.png")
    save_screenshots(page, "sorted")


def test_sort_second_click_ascending(lab: OpenedTable) -> None:
    page = lab.page
    if table_layout(page, EXPERIMENT)["sort"] is None:
        choose_statistic(page, EXPERIMENT, "Max")
        sort_by_accuracy(page, EXPERIMENT)
        wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_DESCENDING)

    sort_by_accuracy(page, EXPERIMENT)

    # Missing values stay last in both directions.
    wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_ASCENDING)
    expect(column_header(page, EXPERIMENT, ACCURACY)).to_have_attribute("aria-sort", "ascending")
    sort_by_accuracy(page, EXPERIMENT)
    wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_DESCENDING)


def test_job_setting_sorts(lab: OpenedTable) -> None:
    page = lab.page

    column_header(page, EXPERIMENT, "job.exit_code").click()

    expect(column_header(page, EXPERIMENT, "job.exit_code")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert table_layout(page, EXPERIMENT)["sort"] == {
        "key": "job.exit_code",
        "order": "descending",
    }


def test_statistic_last_reorders(lab: OpenedTable) -> None:
    page = lab.page
    if table_layout(page, EXPERIMENT)["sort"] != {"key": ACCURACY, "order": "descending"}:
        sort_by_accuracy(page, EXPERIMENT)

    choose_statistic(page, EXPERIMENT, "Last")

    # By Last the channels-32 trial (89) comes before channels-10 (88); by Max it came after.
    wait_for_texts(page, EXPERIMENT, ACCURACY, ["89", "88", "85", "70", "", "", "", "", "", ""])
    choose_statistic(page, EXPERIMENT, "Max")
    wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_DESCENDING)


def test_nan_point_skipped_by_max(lab: OpenedTable) -> None:
    page = lab.page
    wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_DESCENDING)

    row = row_index(page, EXPERIMENT, trial_name(5), "Training")

    expect(body_cell(page, EXPERIMENT, ACCURACY, row)).to_have_text("85")


def test_missing_cell_tooltip(lab: OpenedTable) -> None:
    page = lab.page
    wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_DESCENDING)

    cell = body_cell(page, EXPERIMENT, ACCURACY, 9)

    expect(cell).to_have_text("")
    expect(cell).to_have_attribute("title", "No metric test:accuracy on this trial component")


def test_value_tooltip(lab: OpenedTable) -> None:
    page = lab.page
    wait_for_texts(page, EXPERIMENT, ACCURACY, MAX_DESCENDING)

    cell = body_cell(page, EXPERIMENT, ACCURACY, 0)

    expect(cell).to_have_attribute("title", "test:accuracy (Max): 95")


def test_multi_select_ctrl_click(lab: OpenedTable) -> None:
    page = lab.page
    first = row_index(page, EXPERIMENT, trial_name(2), "Training")
    second = row_index(page, EXPERIMENT, trial_name(5), "Training")
    names = column_texts(page, EXPERIMENT, "name")

    click_row(page, EXPERIMENT, first)
    click_row(page, EXPERIMENT, second, "Control")

    assert selected_names(page, EXPERIMENT) == sorted([names[first], names[second]])
    expect(page.get_by_role("status").filter(has_text="trial components")).to_have_text(
        "10 trial components, 2 selected"
    )
    expect(table_grid(page, EXPERIMENT).locator("[aria-selected='true']")).to_have_count(2)


def test_multi_select_shift_click(lab: OpenedTable) -> None:
    page = lab.page

    click_row(page, EXPERIMENT, 1)
    click_row(page, EXPERIMENT, 4, "Shift")

    names = column_texts(page, EXPERIMENT, "name")
    assert selected_names(page, EXPERIMENT) == sorted(names[1:5])


def test_keyboard_moves_selection(lab: OpenedTable) -> None:
    page = lab.page
    click_row(page, EXPERIMENT, 2)

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")

    names = column_texts(page, EXPERIMENT, "name")
    assert selected_names(page, EXPERIMENT) == [names[4]]


def test_column_resize_drag(lab: OpenedTable) -> None:
    page = lab.page
    header = column_header(page, EXPERIMENT, "name")
    box = header.bounding_box()
    assert box is not None
    handle = header.locator(".jp-ComponentTable-resizeHandle")

    handle.hover()
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 57, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()

    widths = table_layout(page, EXPERIMENT)["widths"]
    after = header.bounding_box()
    assert abs(widths["name"] - (box["width"] + 57)) <= 4
    assert after is not None
    assert after["width"] == widths["name"]


def test_only_differing_columns(lab: OpenedTable) -> None:
    page = lab.page
    click_row(page, EXPERIMENT, row_index(page, EXPERIMENT, trial_name(2), "Training"))
    click_row(page, EXPERIMENT, row_index(page, EXPERIMENT, trial_name(5), "Training"), "Control")

    page.get_by_role("checkbox", name="Only columns that differ").check()
    keys = visible_column_keys(page, EXPERIMENT)
    note = page.locator(".jp-ComponentTable-comparison").text_content()
    save_screenshots(page, "only-differing")
    page.get_by_role("checkbox", name="Only columns that differ").uncheck()

    assert "parameters.hidden_channels" in keys
    assert ACCURACY in keys
    assert "parameters.lr" not in keys
    assert "parameters.optimizer" not in keys
    assert "display_name" not in keys
    assert note == " (comparing 2 selected rows)"


def test_only_differing_loaded_rows(lab: OpenedTable) -> None:
    page = lab.page
    click_row(page, EXPERIMENT, 0)

    page.get_by_role("checkbox", name="Only columns that differ").check()
    keys = visible_column_keys(page, EXPERIMENT)
    note = page.locator(".jp-ComponentTable-comparison").text_content()
    page.get_by_role("checkbox", name="Only columns that differ").uncheck()

    # Across all ten rows the display name differs (Training, Preprocessing); the experiment not.
    assert "display_name" in keys
    assert "experiments" not in keys
    assert note == " (comparing 10 loaded rows)"


def test_csv_export_header(lab: OpenedTable) -> None:
    page = lab.page
    first = row_index(page, EXPERIMENT, trial_name(2), "Training")
    second = row_index(page, EXPERIMENT, trial_name(5), "Training")
    click_row(page, EXPERIMENT, first)
    click_row(page, EXPERIMENT, second, "Control")

    right_click(page, body_cell(page, EXPERIMENT, "name", second))
    with page.expect_download() as download:
        menu_item(page, "Export selection as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))

    statistics = ["Min", "Max", "Avg", "StdDev", "Last", "Count"]
    assert rows[0] == [
        "TrialComponentName",
        "DisplayName",
        "Status",
        "SourceArn",
        "hidden_channels",
        "lr",
        "optimizer",
        *[f"test:accuracy - {s}" for s in statistics],
        *[f"test:loss - {s}" for s in statistics],
        "Trials",
        "Experiments",
    ]
    assert len(rows) == 3
    assert download.value.suggested_filename == "trial-components.csv"


def test_describe_from_context_menu(lab: OpenedTable) -> None:
    page = lab.page
    row = row_index(page, EXPERIMENT, trial_name(32), "Training")

    right_click(page, body_cell(page, EXPERIMENT, "name", row))
    menu_item(page, "Describe").click()

    expect(page.locator(".jp-DescribeComponent-title")).to_have_text("Training")
    expect(page.locator(".jp-DescribeComponent-fact").filter(has_text="Trials")).to_contain_text(
        trial_name(32)
    )
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=EXPERIMENT).click()


def test_layout_persists_after_reload(lab: OpenedTable) -> None:
    page = lab.page
    label = f"{trial_name(2)}, {trial_name(5)}"
    open_table(page, trials=[trial_name(5), trial_name(2)])
    expect(page.get_by_role("status").filter(has_text="trial components")).to_have_text(
        "4 trial components"
    )
    page.get_by_role("button", name="Table properties").click()
    pane = page.get_by_role("region", name="Table properties")
    parameters = pane.locator("[data-group='parameters']")
    set_checked(parameters.get_by_role("checkbox", name="normalization_mean"), False)
    choose_statistic(page, label, "Max")
    sort_by_accuracy(page, label)
    wait_for_texts(page, label, ACCURACY, ["85", "75", "", ""])
    before = table_layout(page, label)
    key = 'jupyter-experiments:component-table:[[],["cnn-2","cnn-5"],false]'
    _wait_for_saved(lab, key, before)

    open_lab(page, lab.server)
    open_table(page, trials=[trial_name(2), trial_name(5)])
    wait_for_texts(page, label, ACCURACY, ["85", "75", "", ""])
    after = table_layout(page, label)

    assert after["hiddenColumns"] == ["parameters.normalization_mean"]
    assert after["statistics"] == {"test:accuracy": "max"}
    assert after["sort"] == {"key": ACCURACY, "order": "descending"}
    assert "parameters.normalization_mean" not in visible_column_keys(page, label)


def _wait_for_saved(lab: OpenedTable, key: str, layout: dict[str, object]) -> None:
    for _ in range(int(WORKSPACE_SAVE_TIMEOUT_S * 4)):
        if workspace_state(lab.server).get(key) == layout:
            return
        lab.page.wait_for_timeout(250)
    raise TimeoutError(f"JupyterLab did not store the layout {key!r} in the workspace.")


def test_live_update_adds_metric(lab: OpenedTable) -> None:
    page = lab.page
    row = row_index(page, EXPERIMENT, trial_name(32), "Training")
    name = column_texts(page, EXPERIMENT, "name")[row]
    click_row(page, EXPERIMENT, row)

    tracker = Tracker.load(name, store=lab.db_url)
    tracker.log_metric("val:f1", 0.5, iteration_number=0)
    tracker.close()
    reset_stores()

    # The new metric's column is right of the view, so its values come from the model.
    expected = ["" if index != row else "0.5" for index in range(10)]
    page.wait_for_function(
        f"""(key) => JSON.stringify(({TABLE_JS})({EXPERIMENT!r}).model.columnTexts(key)) ===
            {json.dumps(json.dumps(expected, separators=(",", ":")))}""",
        arg="metrics.val:f1",
    )
    expect(column_header(page, EXPERIMENT, "metrics.val:f1")).to_have_count(1)
    assert selected_names(page, EXPERIMENT) == [name]


def test_unknown_experiment_says_not_found(lab: OpenedTable) -> None:
    page = lab.page

    open_table_alone(page, experiments=["no-such-experiment"])

    status = page.get_by_role("status").filter(has_text="no-such-experiment")
    expect(status).to_have_text("0 trial components · experiment “no-such-experiment” not found")
    expect(status).to_have_class(re.compile(r"\bjp-mod-warning\b"))
    page.evaluate("() => window.jupyterapp.shell.currentWidget.close()")


def test_invalid_experiment_name_shows_error_once(lab: OpenedTable) -> None:
    page = lab.page
    requests: list[str] = []

    def record(request: Request) -> None:
        if "query/trial-components" in request.url:
            requests.append(request.url)

    page.on("request", record)
    try:
        open_table_alone(page, experiments=["a/b"])

        status = page.get_by_role("status").filter(has_text="Error")
        expect(status).to_contain_text("a/b")
        # A failed page waits RETRY_DELAY_MS (5 s) before it is sent again.
        page.wait_for_timeout(2000)
        assert len(requests) <= 2, requests
    finally:
        page.remove_listener("request", record)
        page.evaluate("() => window.jupyterapp.shell.currentWidget.close()")


def test_deleted_experiment_empties_open_table(lab: OpenedTable) -> None:
    page = lab.page
    experiment = Experiment.create("short-lived", store=lab.db_url)
    trial = experiment.create_trial(trial_name="short-lived-trial")
    trial.add_trial_component(TrialComponent.create("short-lived-component", store=lab.db_url))
    open_table_alone(page, experiments=["short-lived"])
    status = page.get_by_role("status").filter(has_text="trial component")
    expect(status).to_have_text("1 trial component")

    experiment.delete_all(action="--force")
    reset_stores()

    expect(status).to_have_text(
        "0 trial components · experiment “short-lived” not found", timeout=5000
    )
    page.evaluate("() => window.jupyterapp.shell.currentWidget.close()")
