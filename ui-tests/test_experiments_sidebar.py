"""The Experiments sidebar in a real JupyterLab page, driven through headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Dialog, Locator, Page, expect
from ui_support import HOSTILE_DISPLAY_NAME, LabServer, open_lab


@dataclass
class OpenedLab:
    """A JupyterLab tab with the Experiments sidebar open."""

    page: Page
    panel: Locator
    dialogs: list[str] = field(default_factory=list)


def experiment_item(panel: Locator, text: str) -> Locator:
    """Return the list entry of the sidebar that contains ``text``."""
    return panel.get_by_role("listitem").filter(has_text=text)


@pytest.fixture(scope="module")
def lab(browser_context: BrowserContext, lab_server: LabServer) -> Iterator[OpenedLab]:
    """Open JupyterLab once for this module, click the Experiments tab and wait for the list."""
    page = browser_context.new_page()
    dialogs: list[str] = []

    def record_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record_dialog)
    try:
        open_lab(page, lab_server)
        page.get_by_role("tab", name="Experiments").click()
        panel = page.locator("#jp-experiments-browser")
        expect(panel.get_by_role("list", name="Experiments")).to_be_visible()
        expect(experiment_item(panel, "mnist-demo")).to_be_visible()

        yield OpenedLab(page=page, panel=panel, dialogs=dialogs)
    except Exception:
        failure = lab_server.log_path.with_name("failure.png")
        page.screenshot(path=failure)
        print(f"Screenshot: {failure}\nJupyterLab log ({lab_server.log_path}):")
        print(lab_server.log_tail())
        raise
    finally:
        page.close()


def test_experiment_name_shown(lab: OpenedLab) -> None:
    expect(experiment_item(lab.panel, "mnist-demo")).to_be_visible()


def test_experiment_description_shown(lab: OpenedLab) -> None:
    item = experiment_item(lab.panel, "mnist-demo")

    expect(item).to_contain_text("CNN width sweep on handwritten digits")


def test_trial_count_shown(lab: OpenedLab) -> None:
    item = experiment_item(lab.panel, "mnist-demo")

    expect(item).to_contain_text("2 trials")


def test_times_shown(lab: OpenedLab) -> None:
    item = experiment_item(lab.panel, "mnist-demo")

    expect(item).to_contain_text("Created")
    expect(item).to_contain_text("Modified")


def test_unassigned_entry_shown(lab: OpenedLab) -> None:
    expect(experiment_item(lab.panel, "Unassigned trial components")).to_be_visible()


def test_home_breadcrumb_shown(lab: OpenedLab) -> None:
    breadcrumbs = lab.panel.get_by_role("navigation", name="Location")

    expect(breadcrumbs).to_have_text("Home")


def test_hostile_name_shown_as_text(lab: OpenedLab) -> None:
    expect(lab.panel.get_by_text(HOSTILE_DISPLAY_NAME, exact=True)).to_be_visible()


def test_hostile_name_creates_no_element(lab: OpenedLab) -> None:
    images = lab.panel.locator("img")

    assert images.count() == 0


def test_hostile_name_runs_no_script(lab: OpenedLab) -> None:
    assert lab.dialogs == []


def test_lab_logs_no_error(lab: OpenedLab) -> None:
    # The page records every console.error and uncaught error here because the test server
    # sets the browserTest page option.
    recorded = lab.page.locator("#browserTest").text_content() or "[]"

    assert json.loads(recorded) == []


def test_refresh_button_reloads(lab: OpenedLab) -> None:
    with lab.page.expect_response(lambda response: "/experiments/api/experiments" in response.url):
        lab.panel.get_by_role("button", name="Refresh the list of experiments").click()

    expect(experiment_item(lab.panel, "mnist-demo")).to_be_visible()


def test_context_menu_copies_name(lab: OpenedLab) -> None:
    lab.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    experiment_item(lab.panel, "mnist-demo").click(button="right")

    lab.page.get_by_role("menuitem", name="Copy Experiment Name").click()

    assert lab.page.evaluate("navigator.clipboard.readText()") == "mnist-demo"


def test_sidebar_screenshot(
    lab: OpenedLab, ui_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ui_tmp / "experiments-sidebar.png"
    # The Launcher opens about a second after the restore; the picture shows Lab with it.
    expect(lab.page.get_by_role("tab", name="Launcher")).to_be_visible()

    lab.page.screenshot(path=path)

    with capsys.disabled():
        print(f"\nScreenshot of the Experiments sidebar: {path}")
    assert path.read_bytes().startswith(b"\x89PNG")
