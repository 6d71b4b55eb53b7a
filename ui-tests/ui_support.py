"""Helpers of the browser tests: seed a store, run a JupyterLab server, find Chromium.

A server started by :func:`running_lab` listens on 127.0.0.1 on a free port, requires a random
token and reads the store named by its ``db_url``. Its settings, workspaces, runtime and data
directories live in its own folder, so the developer's Jupyter configuration cannot change what
the tests see.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from jupyter_experiments import Experiment, Tracker
from jupyter_experiments.sdk._store import reset_stores
from jupyter_experiments.store import DB_URL_ENV

#: Environment variable that names another Chromium executable.
CHROMIUM_ENV = "JUPYTER_EXPERIMENTS_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Flags for a headless Chromium that makes no request of its own to any other host.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

SERVER_START_TIMEOUT_S = 60.0
#: JupyterLab 4.6 starts in about 2 s here; the margin covers a loaded CI machine.
LAB_READY_TIMEOUT_MS = 60_000
SERVER_STOP_TIMEOUT_S = 10.0

#: Display name that would run script if the frontend rendered it as HTML.
HOSTILE_DISPLAY_NAME = "<img src=x onerror=alert(1)>"

#: Settings for every test server: no "Jupyter news" notification covering screenshots.
SETTINGS_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    }
}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab server started by :func:`running_lab`."""

    url: str
    token: str
    log_path: Path

    def lab_url(self) -> str:
        """Return the URL that opens JupyterLab, authenticated by the token."""
        return f"{self.url}lab?token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the server's log, to explain a failure."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def open_lab(page: Page, server: LabServer) -> None:
    """Open JupyterLab in ``page`` and return once its layout has been restored."""
    page.goto(server.lab_url())
    # The restored layout may still move or replace widgets; clicks wait for it.
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=LAB_READY_TIMEOUT_MS)
    page.evaluate("() => window.jupyterapp.restored.then(() => undefined)")
    page.locator("#browserTest.completed").wait_for(state="attached", timeout=LAB_READY_TIMEOUT_MS)


def set_checked(checkbox: Locator, checked: bool) -> None:
    """Click ``checkbox`` unless it is already ``checked``, then wait until it shows the state.

    The Table and Chart properties panes render a change on the next animation frame, and
    until then React puts the old state back. Playwright's ``check()`` reads the state right
    after its click and fails with "Clicking the checkbox did not change its state" when the
    frame has not come yet, as on a loaded machine.
    """
    if checkbox.is_checked() != checked:
        checkbox.click()
    expect(checkbox).to_be_checked(checked=checked)


def chromium_path() -> str:
    """Return the Chromium executable the tests use."""
    return os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed_store(db_url: str) -> None:
    """Record the experiments, trials and unassigned trial component the tests look for."""
    experiment = Experiment.create(
        "mnist-demo", description="CNN width sweep on handwritten digits", store=db_url
    )
    for channels in (2, 5):
        experiment.create_trial(trial_name=f"cnn-{channels}")

    Experiment.create("xss-check", display_name=HOSTILE_DISPLAY_NAME, store=db_url)

    with Tracker.create(display_name="Preprocessing", store=db_url) as preprocessing:
        preprocessing.log_parameters({"normalization_mean": 0.1307})

    # The server opens the file itself; this process must not keep it busy.
    reset_stores()


def wait_for_server(process: subprocess.Popen[bytes], server: LabServer) -> None:
    """Return once the server responds on its status endpoint; raise if it exits or times out."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    request = urllib.request.Request(
        f"{server.url}api/status", headers={"Authorization": f"token {server.token}"}
    )

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {process.returncode} before it responded. "
                f"The end of its log:\n{server.log_tail()}"
            )
        try:
            # The URL is always the loopback server started by running_lab.
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)

    raise TimeoutError(
        f"JupyterLab did not respond on {server.url}api/status within "
        f"{SERVER_START_TIMEOUT_S:.0f} s. The end of its log:\n{server.log_tail()}"
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server with SIGTERM, then SIGKILL if it is still running after a while."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def lab_command(folder: Path, port: int, token: str) -> list[str]:
    """Return the command line of a test server whose files live in ``folder``."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={folder}",
        f"--IdentityProvider.token={token}",
        f"--LabApp.app_settings_dir={folder / 'app-settings'}",
        f"--LabApp.user_settings_dir={folder / 'user-settings'}",
        f"--LabApp.workspaces_dir={folder / 'workspaces'}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


@contextmanager
def running_lab(folder: Path, db_url: str) -> Iterator[LabServer]:
    """Start JupyterLab on the store at ``db_url``, yield it, and stop it whatever happens."""
    folder.mkdir(parents=True, exist_ok=True)
    app_settings = folder / "app-settings"
    app_settings.mkdir()
    (app_settings / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES))
    # browserTest makes the page record console errors in #browserTest, as
    # `python -m jupyterlab.browser_check` reads them. exposeAppInBrowser sets
    # window.jupyterapp, whose `restored` promise resolves when the layout is ready.
    page_config = {"browserTest": True, "exposeAppInBrowser": True}
    (app_settings / "page_config.json").write_text(json.dumps(page_config))

    port = free_port()
    server = LabServer(
        url=f"http://127.0.0.1:{port}/",
        token=secrets.token_hex(16),
        log_path=folder / "jupyterlab.log",
    )
    env = {
        **os.environ,
        DB_URL_ENV: db_url,
        "JUPYTER_DATA_DIR": str(folder / "data"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "JUPYTER_EXPERIMENTS_ARTIFACT_ROOT": str(folder / "artifacts"),
    }

    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            lab_command(folder, port, server.token), env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for_server(process, server)
        yield server
    finally:
        stop_server(process)


#: Folder of the step screenshots, which CI keeps as a build artifact.
SCREENSHOTS_DIR = Path(__file__).parent / "artifacts"

#: The themes each step is captured in, by the file name suffix.
SCREENSHOT_THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

#: Switches the theme and resolves once the page shows it.
_CHANGE_THEME_JS = """async (theme) => {
  await window.jupyterapp.commands.execute('apputils:change-theme', { theme });
  const started = performance.now();
  // A theme change shows a splash screen until the theme's CSS is loaded.
  const shown = () =>
    document.body.dataset.jpThemeName === theme &&
    document.getElementById('jupyterlab-splash') === null;
  while (!shown()) {
    if (performance.now() - started > 10000) {
      throw new Error(`Theme ${theme} did not finish loading within 10 s.`);
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  // Let the new theme's styles paint before the screenshot.
  await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""


def save_screenshots(page: Page, step: str) -> list[Path]:
    """Save the page in the light and the dark theme, and return the files.

    The files are ``artifacts/<test>/<step>-light.png`` and ``<step>-dark.png``, where ``<test>``
    is the name of the running test. The page is left in the light theme.
    """
    current = os.environ.get("PYTEST_CURRENT_TEST", "outside-pytest")
    test = current.split("::")[-1].split(" ")[0].split("[")[0]
    folder = SCREENSHOTS_DIR / test
    folder.mkdir(parents=True, exist_ok=True)

    paths = []
    # Dark first, so that the page ends in the light theme the tests expect.
    for suffix in ("dark", "light"):
        page.evaluate(_CHANGE_THEME_JS, SCREENSHOT_THEMES[suffix])
        path = folder / f"{step}-{suffix}.png"
        page.screenshot(path=path)
        paths.append(path)
    return paths
