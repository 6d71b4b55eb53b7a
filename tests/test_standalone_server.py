"""``jupyter experiments server``: the tracking API alone, with a token, on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from remote_support import TrackingServer, free_port, tracking_server

from jupyter_experiments.store import TrackingStore


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingServer]:
    with tracking_server(tmp_path_factory.mktemp("standalone")) as running:
        yield running


def get(server: TrackingServer, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"token {token or server.token}"}
    return requests.get(server.url + path, headers=headers, timeout=10)


def test_api_served(server: TrackingServer) -> None:
    response = get(server, "experiments/api/experiments")

    assert response.status_code == 200
    assert response.json()["items"] == []


def test_token_required(server: TrackingServer) -> None:
    response = get(server, "experiments/api/experiments", token="wrong")

    assert response.status_code == 403


def test_no_kernels_or_lab(server: TrackingServer) -> None:
    assert get(server, "api/kernels").status_code == 404
    assert get(server, "lab").status_code == 404


def test_no_file_downloads(server: TrackingServer) -> None:
    # The server runs in the test's working directory, which jupyter_server would serve as
    # its root through /files/.
    name = next(path.name for path in sorted(Path.cwd().iterdir()) if path.is_file())

    assert get(server, f"files/{name}").status_code == 404


def test_writes_given_db(server: TrackingServer) -> None:
    headers = {"Authorization": f"token {server.token}"}
    created = requests.post(
        server.url + "experiments/api/experiments",
        json={"name": "standalone-exp"},
        headers=headers,
        timeout=10,
    )

    store = TrackingStore(str(server.db_path))
    try:
        assert created.status_code == 201
        assert store.get_experiment("standalone-exp")["name"] == "standalone-exp"
    finally:
        store.dispose()


def test_listens_on_loopback(server: TrackingServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert "http://127.0.0.1:" in server.log_path.read_text()


def stop(process: subprocess.Popen[str], log_path: Path) -> None:
    """Stop the server with SIGTERM as a service manager would; fail with its log if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"The server ignored SIGTERM for 60 s. Its log:\n{log_path.read_text()}")


def test_generated_token_printed(tmp_path: Path) -> None:
    # Given: no token in the environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_EXPERIMENTS_")}
    env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_DATA_DIR=str(tmp_path))
    command = [
        sys.executable,
        "-m",
        "jupyter_experiments.cli",
        "server",
        "--port",
        str(free_port()),
        "--db-url",
        str(tmp_path / "e.db"),
    ]

    # When: the server starts
    log_path = tmp_path / "server.log"
    with (
        log_path.open("w") as log_file,
        subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=log_file, text=True
        ) as process,
    ):
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(2)]
        finally:
            stop(process, log_path)

    # Then: it prints its URL and a generated token
    assert lines[0].startswith("Tracking server at http://127.0.0.1:")
    assert lines[1].startswith("Token: ")
    assert len(lines[1].split()[1]) == 48


# Runs the tracking server with a clean-up that never ends, the hang that the watchdog covers.
HANGING_SERVER = """
import asyncio, sys

from jupyter_experiments.server import standalone

async def never_ends(self):
    await asyncio.sleep(3600)

standalone.STOP_GRACE_PERIOD_S = 1.0
standalone.TrackingServerApp._cleanup = never_ends
sys.exit(standalone.run_server(ip="127.0.0.1", port=int(sys.argv[1]), db_url=sys.argv[2]))
"""


def test_stop_signal_exits_when_cleanup_hangs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_EXPERIMENTS_")}
    env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_DATA_DIR=str(tmp_path))
    command = [sys.executable, "-c", HANGING_SERVER, str(free_port()), str(tmp_path / "e.db")]
    log_path = tmp_path / "server.log"

    with (
        log_path.open("w") as log_file,
        subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=log_file, text=True
        ) as process,
    ):
        assert process.stdout is not None
        process.stdout.readline()
        stop(process, log_path)

    assert process.returncode == 0
    assert "did not stop within 1 s of signal" in log_path.read_text()


def test_help_lists_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jupyter_experiments.cli", "server", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )

    for option in ("--port", "--ip", "--db-url", "--artifact-root"):
        assert option in result.stdout


@pytest.mark.slow
def test_load_benchmark_quick() -> None:
    # The load benchmark's short run: 4 writer processes through the server, none lost.
    script = Path(__file__).parents[1] / "benchmarks" / "bench_load.py"
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_EXPERIMENTS_TEST_DB_URL"}

    result = subprocess.run(
        [sys.executable, str(script), "--quick"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "stored 8,000 ok" in result.stdout
