"""The Experiments sidebar's levels, breadcrumb, counts, sort, filter and selection, in Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Dialog, Locator, Page, expect
from seed_browser import (
    FASHION,
    HOSTILE,
    MNIST,
    MNIST_DESCRIPTION,
    MNIST_TRIALS,
    SHARED_DISPLAY_NAME,
    UNASSIGNED,
    breadcrumbs,
    browse_to,
    cell,
    go_home,
    grid,
    open_sidebar,
    row,
    seed_browser_store,
    wait_until_settled,
)
from ui_support import HOSTILE_DISPLAY_NAME, LabServer, running_lab, save_screenshots

UNASSIGNED_LABEL = "Unassigned trial components"

#: Trials of MNIST in ascending name order; numbers in names compare as numbers.
TRIALS_BY_NAME = ["cnn-2", "cnn-4", "cnn-8", "cnn-16", "cnn-32"]


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """Return a JupyterLab server on a store seeded for the sidebar, for this module."""
    folder = tmp_path_factory.mktemp("browser-navigation")
    db_url = f"sqlite:///{folder / 'store.db'}"
    seed_browser_store(db_url)
    with running_lab(folder / "lab", db_url) as lab_server:
        yield lab_server


@pytest.fixture(scope="module")
def dialogs() -> list[str]:
    """Return the messages of the JavaScript dialogs (alert, confirm) the tab opened."""
    return []


@pytest.fixture(scope="module")
def tab(browser_context: BrowserContext, server: LabServer, dialogs: list[str]) -> Iterator[Page]:
    """Return one JupyterLab tab for the module, with the Experiments sidebar open."""
    page = browser_context.new_page()

    def record_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record_dialog)
    try:
        open_sidebar(page, server)
        yield page
    except Exception:
        page.screenshot(path=server.log_path.with_name("failure.png"))
        print(server.log_tail())
        raise
    finally:
        page.close()


@pytest.fixture
def panel(tab: Page) -> Locator:
    """Return the sidebar, at Home with no filter."""
    sidebar = tab.locator("#jp-experiments-browser")
    go_home(sidebar)
    return sidebar


def name_cells(panel: Locator) -> Locator:
    """Return the name cells of the rows shown, in order, for a retrying ``to_have_text``."""
    return panel.locator(".jp-ExperimentBrowser-rows [role=row]").locator(
        ".jp-ExperimentBrowser-cell.jp-mod-name"
    )


def sort_by(panel: Locator, column: str, direction: str) -> None:
    """Click a column header until the grid is sorted by it in ``direction``."""
    header = panel.get_by_role("columnheader", name=column)
    for _ in range(2):
        if header.get_attribute("aria-sort") == direction:
            return
        header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", direction)


def test_home_lists_experiments(panel: Locator) -> None:
    expect(row(panel, MNIST)).to_be_visible()
    expect(row(panel, FASHION)).to_be_visible()
    save_screenshots(panel.page, "home")


def test_home_shows_description(panel: Locator) -> None:
    expect(cell(row(panel, MNIST), "description")).to_have_text(MNIST_DESCRIPTION)


def test_home_shows_trial_count(panel: Locator) -> None:
    expect(cell(row(panel, MNIST), "trials")).to_have_text("5")


def test_home_shows_times(panel: Locator) -> None:
    expect(cell(row(panel, MNIST), "created")).to_contain_text("ago")
    expect(cell(row(panel, MNIST), "modified")).to_contain_text("ago")


def test_unassigned_entry_shows_count(panel: Locator) -> None:
    expect(row(panel, UNASSIGNED_LABEL)).to_contain_text("2")


def test_home_breadcrumb_is_home(panel: Locator) -> None:
    expect(breadcrumbs(panel)).to_have_text("Home")


def test_drill_down_lists_trials(panel: Locator) -> None:
    row(panel, MNIST).dblclick()

    expect(breadcrumbs(panel)).to_have_text(f"Home›{MNIST}")
    for trial in MNIST_TRIALS:
        expect(row(panel, trial)).to_be_visible()
    save_screenshots(panel.page, "trials")


def test_trial_shows_component_count(panel: Locator) -> None:
    browse_to(panel, MNIST)

    expect(cell(row(panel, "cnn-2"), "components")).to_have_text("2")


def test_trial_shows_status_summary(panel: Locator) -> None:
    browse_to(panel, MNIST)

    expect(cell(row(panel, "cnn-16"), "status")).to_have_text("1 Completed, 1 Failed")


def test_drill_down_lists_components(panel: Locator) -> None:
    browse_to(panel, MNIST, "cnn-2")

    expect(breadcrumbs(panel)).to_have_text(f"Home›{MNIST}›cnn-2")
    expect(row(panel, "Training cnn-2")).to_be_visible()
    expect(row(panel, SHARED_DISPLAY_NAME)).to_be_visible()
    save_screenshots(panel.page, "components")


def test_component_shows_status(panel: Locator) -> None:
    browse_to(panel, MNIST, "cnn-32")

    expect(cell(row(panel, "Training cnn-32"), "status")).to_have_text("InProgress")


def test_crumb_click_goes_up(panel: Locator) -> None:
    browse_to(panel, MNIST, "cnn-2")

    breadcrumbs(panel).get_by_role("button", name=MNIST).click()

    expect(breadcrumbs(panel)).to_have_text(f"Home›{MNIST}")
    expect(row(panel, "cnn-2")).to_have_attribute("aria-selected", "true")


def test_home_crumb_goes_home(panel: Locator) -> None:
    browse_to(panel, MNIST, "cnn-2")

    breadcrumbs(panel).get_by_role("button", name="Home").click()

    expect(breadcrumbs(panel)).to_have_text("Home")
    expect(row(panel, MNIST)).to_have_attribute("aria-selected", "true")


def test_backspace_goes_up(panel: Locator) -> None:
    browse_to(panel, MNIST)
    grid(panel).focus()

    panel.page.keyboard.press("Backspace")

    expect(breadcrumbs(panel)).to_have_text("Home")
    expect(row(panel, MNIST)).to_have_attribute("aria-selected", "true")


def test_alt_up_goes_up(panel: Locator) -> None:
    browse_to(panel, MNIST, "cnn-4")
    grid(panel).focus()

    panel.page.keyboard.press("Alt+ArrowUp")

    expect(breadcrumbs(panel)).to_have_text(f"Home›{MNIST}")


def test_backspace_in_filter_edits_text(panel: Locator) -> None:
    browse_to(panel, MNIST)
    search = panel.get_by_role("searchbox", name="Filter by name")
    search.fill("cnn")

    search.press("Backspace")

    expect(search).to_have_value("cn")
    expect(breadcrumbs(panel)).to_have_text(f"Home›{MNIST}")


def test_enter_drills_down(panel: Locator) -> None:
    row(panel, MNIST).click()

    panel.page.keyboard.press("Enter")

    expect(breadcrumbs(panel)).to_have_text(f"Home›{MNIST}")


def test_unassigned_lists_components(panel: Locator) -> None:
    row(panel, UNASSIGNED_LABEL).dblclick()

    expect(breadcrumbs(panel)).to_have_text(f"Home›{UNASSIGNED_LABEL}")
    for name in UNASSIGNED:
        expect(row(panel, name)).to_be_visible()


def test_sort_ascending_by_name(panel: Locator) -> None:
    browse_to(panel, MNIST)

    sort_by(panel, "Name", "ascending")

    expect(panel.get_by_role("columnheader", name="Name")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(name_cells(panel)).to_have_text(TRIALS_BY_NAME)


def test_sort_toggles_to_descending(panel: Locator) -> None:
    browse_to(panel, MNIST)
    sort_by(panel, "Name", "ascending")

    panel.get_by_role("columnheader", name="Name").get_by_role("button").click()

    expect(panel.get_by_role("columnheader", name="Name")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(name_cells(panel)).to_have_text(list(reversed(TRIALS_BY_NAME)))


def test_sort_leaves_other_columns_unsorted(panel: Locator) -> None:
    browse_to(panel, MNIST)

    sort_by(panel, "Name", "ascending")

    expect(panel.get_by_role("columnheader", name="Created")).to_have_attribute("aria-sort", "none")


def test_filter_asks_server(panel: Locator) -> None:
    browse_to(panel, MNIST)
    search = panel.get_by_role("searchbox", name="Filter by name")

    with panel.page.expect_request(lambda request: "name_contains=cnn-1" in request.url):
        search.fill("cnn-1")

    expect(row(panel, "cnn-16")).to_be_visible()


def test_filter_hides_other_rows(panel: Locator) -> None:
    browse_to(panel, MNIST)

    panel.get_by_role("searchbox", name="Filter by name").fill("cnn-1")
    wait_until_settled(panel)

    expect(name_cells(panel)).to_have_text(["cnn-16"])
    save_screenshots(panel.page, "filtered")


def test_filter_without_match_says_so(panel: Locator) -> None:
    panel.get_by_role("searchbox", name="Filter by name").fill("no-such-name")

    expect(panel.get_by_role("status")).to_have_text("No experiment name contains “no-such-name”.")


def test_click_selects_one(panel: Locator) -> None:
    browse_to(panel, MNIST)
    row(panel, "cnn-2").click()

    row(panel, "cnn-4").click()

    expect(row(panel, "cnn-4")).to_have_attribute("aria-selected", "true")
    expect(row(panel, "cnn-2")).to_have_attribute("aria-selected", "false")


def test_ctrl_click_adds_to_selection(panel: Locator) -> None:
    browse_to(panel, MNIST)
    row(panel, "cnn-2").click()

    row(panel, "cnn-8").click(modifiers=["Control"])

    expect(row(panel, "cnn-2")).to_have_attribute("aria-selected", "true")
    expect(row(panel, "cnn-8")).to_have_attribute("aria-selected", "true")
    expect(row(panel, "cnn-4")).to_have_attribute("aria-selected", "false")


def test_ctrl_click_removes_from_selection(panel: Locator) -> None:
    browse_to(panel, MNIST)
    row(panel, "cnn-2").click()
    row(panel, "cnn-8").click(modifiers=["Control"])

    row(panel, "cnn-2").click(modifiers=["Control"])

    expect(row(panel, "cnn-2")).to_have_attribute("aria-selected", "false")
    expect(row(panel, "cnn-8")).to_have_attribute("aria-selected", "true")


def test_shift_click_selects_range(panel: Locator) -> None:
    browse_to(panel, MNIST)
    sort_by(panel, "Name", "ascending")
    row(panel, "cnn-4").click()

    row(panel, "cnn-16").click(modifiers=["Shift"])

    for trial in ("cnn-4", "cnn-8", "cnn-16"):
        expect(row(panel, trial)).to_have_attribute("aria-selected", "true")
    for trial in ("cnn-2", "cnn-32"):
        expect(row(panel, trial)).to_have_attribute("aria-selected", "false")


def test_arrow_down_moves_selection(panel: Locator) -> None:
    browse_to(panel, MNIST)
    sort_by(panel, "Name", "ascending")
    row(panel, "cnn-2").click()

    panel.page.keyboard.press("ArrowDown")

    expect(row(panel, "cnn-4")).to_have_attribute("aria-selected", "true")
    expect(row(panel, "cnn-2")).to_have_attribute("aria-selected", "false")


def test_shift_arrow_extends_selection(panel: Locator) -> None:
    browse_to(panel, MNIST)
    sort_by(panel, "Name", "ascending")
    row(panel, "cnn-2").click()

    panel.page.keyboard.press("Shift+ArrowDown")
    panel.page.keyboard.press("Shift+ArrowDown")

    for trial in ("cnn-2", "cnn-4", "cnn-8"):
        expect(row(panel, trial)).to_have_attribute("aria-selected", "true")
    expect(row(panel, "cnn-16")).to_have_attribute("aria-selected", "false")


def test_focused_row_is_active_descendant(panel: Locator) -> None:
    row(panel, MNIST).click()

    row_id = row(panel, MNIST).get_attribute("id")

    expect(grid(panel)).to_have_attribute("aria-activedescendant", str(row_id))


def test_tab_reaches_grid(panel: Locator) -> None:
    panel.get_by_role("searchbox", name="Filter by name").focus()

    panel.page.keyboard.press("Tab")

    expect(grid(panel)).to_be_focused()


def test_hostile_name_shown_as_text(panel: Locator) -> None:
    name_cell = cell(row(panel, HOSTILE_DISPLAY_NAME), "name")

    expect(name_cell).to_have_text(HOSTILE_DISPLAY_NAME)


def test_hostile_name_creates_no_element(panel: Locator) -> None:
    expect(row(panel, HOSTILE_DISPLAY_NAME)).to_be_visible()

    expect(panel.locator("img")).to_have_count(0)


def test_hostile_name_runs_no_script(panel: Locator, dialogs: list[str]) -> None:
    expect(row(panel, HOSTILE_DISPLAY_NAME)).to_have_attribute("data-name", HOSTILE)

    assert dialogs == []


def test_lab_logs_no_error(panel: Locator) -> None:
    browse_to(panel, MNIST, "cnn-2")
    # The page records every console.error and uncaught error here because the test server
    # sets the browserTest page option.
    recorded = panel.page.locator("#browserTest").text_content() or "[]"

    assert json.loads(recorded) == []


def test_screenshots_light_and_dark(panel: Locator) -> None:
    # Given a trial list with two selected rows and the focus on an unselected one
    browse_to(panel, MNIST)
    sort_by(panel, "Name", "ascending")
    row(panel, "cnn-4").click()
    row(panel, "cnn-16").click(modifiers=["Control"])
    row(panel, "cnn-32").click(modifiers=["Control"])
    row(panel, "cnn-32").click(modifiers=["Control"])
    grid(panel).focus()

    # When the page is captured in the dark theme, then in the light one
    paths = save_screenshots(panel.page, "selection")

    # Then both files are PNG images
    assert [path.name for path in paths] == ["selection-dark.png", "selection-light.png"]
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG")
