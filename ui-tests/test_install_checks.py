"""The checks the JupyterLab extension template runs in CI, on this package as installed.

``python -m jupyterlab.browser_check`` starts JupyterLab with every installed server and lab
extension and fails when the server logs an error. Its browser half downloads a Playwright
browser, and this machine cannot reach that download, so it runs with ``--no-browser-test``.
The sidebar tests cover the browser half with Debian's Chromium: they read the same
``#browserTest`` error list.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ui_support import free_port

from jupyter_experiments.store import DB_URL_ENV

#: The check starts and stops a server in about 6 s here; the margin covers a loaded machine.
BROWSER_CHECK_TIMEOUT_S = 120

#: Colour codes that `jupyter labextension list` writes around "enabled" and "OK".
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def isolated_env(folder: Path) -> dict[str, str]:
    """Return an environment whose Jupyter data, runtime files and store live in ``folder``."""
    return {
        **os.environ,
        DB_URL_ENV: f"sqlite:///{folder / 'experiments.db'}",
        "JUPYTER_DATA_DIR": str(folder / "data"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "JUPYTER_EXPERIMENTS_ARTIFACT_ROOT": str(folder / "artifacts"),
    }


@pytest.fixture(scope="module")
def browser_check(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """Run `python -m jupyterlab.browser_check` once and return its result."""
    folder = tmp_path_factory.mktemp("browser-check")
    command = [
        sys.executable,
        "-m",
        "jupyterlab.browser_check",
        "--no-browser-test",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={free_port()}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={folder}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")

    return subprocess.run(
        command,
        env=isolated_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=BROWSER_CHECK_TIMEOUT_S,
        check=False,
    )


def test_browser_check_passes(browser_check: subprocess.CompletedProcess[str]) -> None:
    assert browser_check.returncode == 0, browser_check.stdout[-3000:]


def test_labextension_enabled(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        env=isolated_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )
    listing = ANSI_ESCAPE.sub("", result.stdout)

    assert re.search(r"jupyter-experiments v\S+ enabled OK", listing), listing
