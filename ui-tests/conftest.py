"""Fixtures of the browser tests: a seeded store, a JupyterLab server and headless Chromium.

The tests drive Debian's Chromium (``/usr/bin/chromium``, or the path in
``JUPYTER_EXPERIMENTS_CHROMIUM``) through the Python package ``playwright``, which never
downloads a browser of its own here. They skip when that executable is missing; ``.ci/run``
installs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright
from ui_support import (
    CHROMIUM_ENV,
    CHROMIUM_FLAGS,
    LabServer,
    chromium_path,
    running_lab,
    seed_store,
)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Return the Chromium executable, or skip the browser tests when it is missing."""
    path = chromium_path()
    if shutil.which(path) is None:
        pytest.skip(
            f"Chromium not found at {path}: install it with `apt-get install -y chromium` "
            f"or set {CHROMIUM_ENV} to its path."
        )
    return path


@pytest.fixture(scope="session")
def ui_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the session's folder for stores, servers' files and screenshots."""
    return tmp_path_factory.mktemp("ui")


@pytest.fixture(scope="session")
def seeded_db_url(ui_tmp: Path) -> str:
    """Return the URL of a SQLite store seeded through the SDK."""
    url = f"sqlite:///{ui_tmp / 'seeded.db'}"
    seed_store(url)
    return url


@pytest.fixture(scope="session")
def lab_server(ui_tmp: Path, seeded_db_url: str, chromium: str) -> Iterator[LabServer]:
    """Return a JupyterLab server on the seeded store, shared by the session."""
    with running_lab(ui_tmp / "seeded-lab", seeded_db_url) as server:
        yield server


@pytest.fixture(scope="session")
def browser_context(chromium: str, ui_tmp: Path) -> Iterator[BrowserContext]:
    """Launch headless Chromium with a fresh profile; close it after the session."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=ui_tmp / "chromium-profile",
            executable_path=chromium,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    """Return a new tab, closed after the test."""
    tab = browser_context.new_page()
    try:
        yield tab
    finally:
        tab.close()
