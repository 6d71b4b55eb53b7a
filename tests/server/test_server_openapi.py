"""The OpenAPI document: served, in sync with the handlers, and fuzzed by schemathesis."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from server_helpers import Request, payload
from test_server_auth import extension_routes, implemented_verbs

from jupyter_experiments.sdk.artifacts import ARTIFACT_ROOT_ENV
from jupyter_experiments.server.handlers import NotFoundHandler
from jupyter_experiments.store import DB_URL_ENV

BASE_URL = "/a%40b/"
SERVER_START_TIMEOUT_S = 60.0


async def test_openapi_served(api: Request) -> None:
    response = await api("GET", "openapi.json")

    document = payload(response)
    assert response.code == 200
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/a%40b/experiments/api"}]


async def test_openapi_matches_handlers(api: Request, jp_serverapp: Any, jp_base_url: str) -> None:
    # Given: what the document lists, and what the running app routes to
    document = payload(await api("GET", "openapi.json"))
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    prefix = f"{jp_base_url}experiments/api"
    registered = set()
    for example_path, handler in extension_routes(jp_serverapp.web_app):
        # The JSON 404 of unknown paths is no operation of the API.
        if handler is NotFoundHandler:
            continue
        # extension_routes puts x1 where a name goes; the document has {name} there.
        template = example_path.removeprefix(prefix)
        for verb in implemented_verbs(handler):
            registered.add((verb, template))

    # Then: every documented operation exists, and every route is documented
    def shape(path: str) -> str:
        return re.sub(r"\{\w+\}", "x1", path)

    assert {(verb, shape(path)) for verb, path in documented} == registered


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Start ``jupyter server`` on 127.0.0.1 with a token; yield its URL and the token."""
    root = tmp_path_factory.mktemp("schemathesis")
    port = free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        DB_URL_ENV: f"sqlite:///{root / 'experiments.db'}",
        ARTIFACT_ROOT_ENV: str(root / "artifacts"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
    }
    seed = (
        "from jupyter_experiments import Experiment, Tracker\n"
        "trial = Experiment.create('mnist').create_trial('mnist-trial-1')\n"
        "with Tracker.create(display_name='training') as tracker:\n"
        "    tracker.log_parameters({'lr': 0.1})\n"
        "    tracker.log_metric('loss', 0.5)\n"
    )
    subprocess.run([sys.executable, "-c", seed], env=env, check=True, timeout=60)
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.base_url={BASE_URL}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.jpserver_extensions=jupyter_experiments.server=True",
        "--ServerApp.jpserver_extensions=jupyter_server_terminals=False",
    ]
    log_path = root / "server.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}{BASE_URL}experiments/api"
    try:
        wait_until_up(url, token, server, log_path)
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=30)
    # A 500 anywhere in the run leaves its traceback in the server log.
    assert "Unhandled error" not in log_path.read_text(), log_path.read_text()


def wait_until_up(url: str, token: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert server.poll() is None, log_path.read_text()
        try:
            response = requests.get(
                f"{url}/openapi.json", headers={"Authorization": f"token {token}"}, timeout=5
            )
        except requests.ConnectionError:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return
    raise AssertionError(f"jupyter server did not start:\n{log_path.read_text()}")


EXAMPLES_PER_OPERATION = 12


def test_api_fuzz(jupyter_server: tuple[str, str]) -> None:
    """Send schemathesis-generated valid and invalid requests to every operation; no 5xx.

    schemathesis's pytest integration (``from_fixture``) fails on pytest 9 (it sets
    ``Node._nodeid``), so the generated cases are drawn with hypothesis here directly.
    """
    url, token = jupyter_server
    headers = {"Authorization": f"token {token}"}
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers=headers, timeout=10)
    server_errors: list[str] = []
    sent = 0

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"invalid operation in the document: {result.err()}"
        operation = result.ok()
        # A plain GET of the WebSocket only gets tornado's "Can Upgrade only to WebSocket".
        if operation.path == "/live":
            continue
        # Valid inputs, then invalid ones.
        for mode in GenerationMode.from_choice("all"):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def send(case: Any) -> None:
                nonlocal sent
                response = case.call(base_url=url, headers=headers, timeout=10)
                sent += 1
                if response.status_code >= 500:
                    server_errors.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: "
                        f"{response.text[:200]}"
                    )

            send()

    assert sent > 200
    assert server_errors == []
