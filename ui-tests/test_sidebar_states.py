"""The Experiments sidebar on an empty store and on a store that fails, each on its own server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from ui_support import LabServer, open_lab, running_lab

#: The message the REST API sends for an unexpected error, such as a broken store.
UNHANDLED_ERROR_MESSAGE = "Unhandled error: the Jupyter server log has the details."


def open_sidebar(page: Page, server: LabServer) -> Locator:
    """Open JupyterLab, click the Experiments tab and return the panel."""
    open_lab(page, server)
    page.get_by_role("tab", name="Experiments").click()
    return page.locator("#jp-experiments-browser")


def start_empty_lab(folder: Path) -> Iterator[tuple[LabServer, Path]]:
    """Yield a server on a new store with no experiments, and the store's file."""
    db_path = folder / "empty.db"
    with running_lab(folder / "lab", f"sqlite:///{db_path}") as server:
        yield server, db_path


@pytest.fixture(scope="module")
def empty_lab(
    chromium: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LabServer, Path]]:
    """Return a server on an empty store, shared by the tests that only read."""
    yield from start_empty_lab(tmp_path_factory.mktemp("empty"))


@pytest.fixture
def broken_lab(chromium: str, tmp_path: Path) -> Iterator[tuple[LabServer, Path]]:
    """Return a server on an empty store of its own, which the test may break."""
    yield from start_empty_lab(tmp_path)


def test_empty_state_shown(empty_lab: tuple[LabServer, Path], page: Page) -> None:
    server, _ = empty_lab

    panel = open_sidebar(page, server)

    expect(panel.get_by_role("status")).to_contain_text("No experiments yet")


def test_empty_store_lists_unassigned(empty_lab: tuple[LabServer, Path], page: Page) -> None:
    server, _ = empty_lab

    panel = open_sidebar(page, server)

    unassigned = panel.get_by_role("listitem").filter(has_text="Unassigned trial components")
    expect(unassigned).to_be_visible()


def test_error_state_shows_message(broken_lab: tuple[LabServer, Path], page: Page) -> None:
    # Given a sidebar that loaded the list once
    server, db_path = broken_lab
    panel = open_sidebar(page, server)
    expect(panel.get_by_role("status")).to_contain_text("No experiments yet")

    # When the store loses its experiments table and the list is refreshed
    with sqlite3.connect(db_path) as connection:
        connection.execute("DROP TABLE experiments")
    panel.get_by_role("button", name="Refresh the list of experiments").click()

    # Then the panel shows the server's message
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("Could not load the experiments.")
    expect(alert).to_contain_text(UNHANDLED_ERROR_MESSAGE)
