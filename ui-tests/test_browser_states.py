"""The Experiments sidebar on an empty store and on a store that fails, each on its own server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from seed_browser import grid, open_sidebar, row
from ui_support import LabServer, running_lab

#: The message the REST API sends for an unexpected error, such as a broken store.
UNHANDLED_ERROR_MESSAGE = "Unhandled error: the Jupyter server log has the details."


@pytest.fixture
def empty_lab(chromium: str, tmp_path: Path) -> Iterator[tuple[LabServer, Path]]:
    """Return a server on a new store with no experiments, and the store's file."""
    db_path = tmp_path / "empty.db"
    with running_lab(tmp_path / "lab", f"sqlite:///{db_path}") as server:
        yield server, db_path


def test_empty_store_states_how_to_start(empty_lab: tuple[LabServer, Path], page: Page) -> None:
    server, _ = empty_lab

    panel = open_sidebar(page, server)

    expect(panel.get_by_role("status")).to_contain_text("No experiments yet")
    expect(row(panel, "Unassigned trial components")).to_contain_text("0")


def test_failing_store_shows_server_message(empty_lab: tuple[LabServer, Path], page: Page) -> None:
    # Given a sidebar that loaded the empty list once
    server, db_path = empty_lab
    panel = open_sidebar(page, server)
    expect(panel.get_by_role("status")).to_contain_text("No experiments yet")

    # When the store loses its experiments table and the list is refreshed
    with sqlite3.connect(db_path) as connection:
        connection.execute("DROP TABLE experiments")
    panel.get_by_role("button", name="Refresh the list").click()

    # Then the panel shows the server's message, and the grid stays reachable
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("Could not load the experiments.")
    expect(alert).to_contain_text(UNHANDLED_ERROR_MESSAGE)
    expect(grid(panel)).to_be_visible()
