"""The Experiments sidebar's context menu: open in the trial component list, describe, copy
and delete, in Chromium.

The commands of the trial component list and of the describe view belong to the table
plugin. The tests record which commands run, with their args, through the application's
``commandExecuted`` signal: the test server exposes the application as ``window.jupyterapp``
(page option ``exposeAppInBrowser``), so the product needs no test hook.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from seed_browser import (
    FASHION,
    FASHION_TRIAL,
    MNIST,
    SHARED_COMPONENT,
    SHARED_DISPLAY_NAME,
    browse_to,
    go_home,
    open_sidebar,
    row,
    seed_browser_store,
    training_component,
)
from ui_support import LabServer, running_lab

from jupyter_experiments import Experiment, TrialComponent
from jupyter_experiments.errors import NotFoundError
from jupyter_experiments.sdk._store import reset_stores

OPEN_TABLE = "jupyter-experiments:open-component-list"
DESCRIBE = "jupyter-experiments:describe"

#: Starts recording the executed commands in window.experimentsTestCommands.
RECORD_COMMANDS_JS = """() => {
  window.experimentsTestCommands = [];
  window.jupyterapp.commands.commandExecuted.connect((_, executed) => {
    window.experimentsTestCommands.push({ id: executed.id, args: executed.args });
  });
}"""


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of a store seeded for the sidebar, for this module."""
    folder = tmp_path_factory.mktemp("browser-actions")
    url = f"sqlite:///{folder / 'store.db'}"
    seed_browser_store(url)
    return url


@pytest.fixture(scope="module")
def server(
    chromium: str, db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    """Return a JupyterLab server on the module's store."""
    with running_lab(tmp_path_factory.mktemp("browser-actions-lab"), db_url) as lab_server:
        yield lab_server


@pytest.fixture(scope="module")
def tab(browser_context: BrowserContext, server: LabServer) -> Iterator[Page]:
    """Return one JupyterLab tab for the module, recording the commands it executes."""
    page = browser_context.new_page()
    try:
        open_sidebar(page, server)
        # The Launcher opens about a second after the restore; tests count main-area tabs.
        expect(page.get_by_role("tab", name="Launcher")).to_be_visible()
        page.evaluate(RECORD_COMMANDS_JS)
        yield page
    except Exception:
        page.screenshot(path=server.log_path.with_name("failure.png"))
        print(server.log_tail())
        raise
    finally:
        page.close()


@pytest.fixture
def panel(tab: Page) -> Locator:
    """Return the sidebar at Home, with no command recorded yet."""
    tab.evaluate("() => { window.experimentsTestCommands.length = 0; }")
    tab.keyboard.press("Escape")
    sidebar = tab.locator("#jp-experiments-browser")
    go_home(sidebar)
    return sidebar


def executed(page: Page, command: str) -> list[dict[str, Any]]:
    """Wait until ``command`` was executed; return the args of each recorded execution."""
    page.wait_for_function(
        "id => window.experimentsTestCommands.some(call => call.id === id)", arg=command
    )
    calls = page.evaluate("() => window.experimentsTestCommands")
    return [call["args"] for call in calls if call["id"] == command]


def choose(page: Page, target: Locator, item: str) -> None:
    """Open the context menu on ``target`` and click its item ``item``."""
    target.click(button="right")
    page.get_by_role("menuitem", name=item).click()


def require_command(page: Page, command: str) -> None:
    """Fail with a clear message when the table plugin has not registered ``command``."""
    registered = page.evaluate("id => window.jupyterapp.commands.hasCommand(id)", command)
    assert registered, f"{command} is not registered: the table plugin did not load."


def test_open_in_table_passes_experiments(panel: Locator) -> None:
    # Given two selected experiments
    page = panel.page
    require_command(page, OPEN_TABLE)
    row(panel, MNIST).click()
    row(panel, FASHION).click(modifiers=["Control"])

    # When "Open in Trial Component List" is chosen on one of them
    choose(page, row(panel, MNIST), "Open in Trial Component List")

    # Then the table command runs once with both experiments
    calls = executed(page, OPEN_TABLE)
    assert len(calls) == 1
    args = calls[0]
    assert sorted(args["experiments"]) == sorted([MNIST, FASHION])
    assert "trials" not in args
    assert "unassigned" not in args


def test_open_in_table_opens_tab(panel: Locator) -> None:
    page = panel.page
    require_command(page, OPEN_TABLE)
    row(panel, MNIST).click()

    choose(page, row(panel, MNIST), "Open in Trial Component List")

    # A count of the main area's tabs also grows when a tab of an earlier test opens late.
    # The tab named after the experiment alone comes from this command.
    tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab")
    expect(tabs.filter(has_text=re.compile(rf"^{re.escape(MNIST)}$"))).to_have_count(1)


def test_open_in_table_passes_trials(panel: Locator) -> None:
    page = panel.page
    require_command(page, OPEN_TABLE)
    browse_to(panel, MNIST)
    row(panel, "cnn-2").click()
    row(panel, "cnn-4").click(modifiers=["Control"])

    choose(page, row(panel, "cnn-4"), "Open in Trial Component List")

    assert sorted(executed(page, OPEN_TABLE)[0]["trials"]) == ["cnn-2", "cnn-4"]


def test_open_in_table_passes_unassigned(panel: Locator) -> None:
    page = panel.page
    require_command(page, OPEN_TABLE)

    choose(page, row(panel, "Unassigned trial components"), "Open in Trial Component List")

    assert executed(page, OPEN_TABLE)[0]["unassigned"] is True


def test_right_click_selects_row(panel: Locator) -> None:
    row(panel, MNIST).click()

    row(panel, FASHION).click(button="right")

    expect(row(panel, FASHION)).to_have_attribute("aria-selected", "true")
    expect(row(panel, MNIST)).to_have_attribute("aria-selected", "false")


def test_describe_passes_component(panel: Locator) -> None:
    page = panel.page
    require_command(page, DESCRIBE)
    browse_to(panel, MNIST, "cnn-2")

    choose(page, row(panel, "Training cnn-2"), "Describe")

    assert executed(page, DESCRIBE) == [{"name": training_component("cnn-2")}]


def test_double_click_describes_component(panel: Locator) -> None:
    page = panel.page
    require_command(page, DESCRIBE)
    browse_to(panel, MNIST, "cnn-4")

    row(panel, SHARED_DISPLAY_NAME).dblclick()

    assert executed(page, DESCRIBE) == [{"name": SHARED_COMPONENT}]


def test_copy_name_copies_experiment(panel: Locator) -> None:
    page = panel.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    choose(page, row(panel, MNIST), "Copy Experiment Name")

    assert page.evaluate("navigator.clipboard.readText()") == MNIST


def test_copy_names_copies_each_line(panel: Locator) -> None:
    page = panel.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    browse_to(panel, MNIST)
    row(panel, "cnn-2").click()
    row(panel, "cnn-8").click(modifiers=["Control"])

    choose(page, row(panel, "cnn-8"), "Copy Names")

    copied = page.evaluate("navigator.clipboard.readText()")
    assert sorted(copied.split("\n")) == ["cnn-2", "cnn-8"]


def test_delete_dialog_names_experiment(panel: Locator) -> None:
    page = panel.page

    choose(page, row(panel, FASHION), "Delete…")

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Delete experiment “{FASHION}”?")
    expect(dialog).to_contain_text("Also deleted: 1 trial and 1 trial component")
    dialog.get_by_role("button", name="Cancel").click()


def test_delete_dialog_names_kept_component(panel: Locator) -> None:
    page = panel.page

    choose(page, row(panel, FASHION), "Delete…")

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(
        f"Kept, because a trial of another experiment also contains them: {SHARED_DISPLAY_NAME}."
    )
    dialog.get_by_role("button", name="Cancel").click()


def test_delete_cancel_keeps_experiment(panel: Locator) -> None:
    page = panel.page
    choose(page, row(panel, FASHION), "Delete…")

    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(row(panel, FASHION)).to_be_visible()


def test_delete_key_opens_dialog(panel: Locator) -> None:
    page = panel.page
    row(panel, FASHION).click()

    page.keyboard.press("Delete")

    expect(page.get_by_role("dialog")).to_contain_text(f"Delete experiment “{FASHION}”?")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()


def test_delete_is_disabled_for_unassigned(panel: Locator) -> None:
    page = panel.page

    row(panel, "Unassigned trial components").click(button="right")

    # Without the menu there is no Delete item either: wait for the menu first.
    expect(page.get_by_role("menuitem", name="Open in Trial Component List")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Delete…")).to_have_count(0)


def test_delete_removes_experiment_keeps_shared(panel: Locator, db_url: str) -> None:
    # Given the dialog for the experiment that shares Preprocessing with mnist-demo
    page = panel.page
    choose(page, row(panel, FASHION), "Delete…")

    # When the deletion is confirmed
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()

    # Then the notification reports it, the row goes, and only unshared components are deleted
    expect(
        page.get_by_text(f"Deleted experiment {FASHION} with 1 trial and 1 trial component.")
    ).to_be_visible()
    expect(
        page.get_by_text(f"Kept the shared trial component {SHARED_DISPLAY_NAME}.")
    ).to_be_visible()
    expect(row(panel, FASHION)).to_have_count(0)
    try:
        assert TrialComponent.load(SHARED_COMPONENT, store=db_url).trials
        with pytest.raises(NotFoundError):
            TrialComponent.load(training_component(FASHION_TRIAL), store=db_url)
        with pytest.raises(NotFoundError):
            Experiment.load(FASHION, store=db_url)
    finally:
        reset_stores()
