"""Helpers of the remote logging tests: a tracking server subprocess and a breakable proxy."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

SERVER_START_TIMEOUT_S = 60.0

#: Request lines of metric batches: the requests that FlakyProxy breaks by default.
METRIC_BATCH_REQUEST = re.compile(rb"POST \S*/metrics ")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class TrackingServer:
    """A running ``jupyter experiments server``: its URL, token, store and log."""

    url: str
    token: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes]


@contextmanager
def tracking_server(root: Path, port: int | None = None, *extra: str) -> Iterator[TrackingServer]:
    """Run ``jupyter experiments server`` on 127.0.0.1 with a SQLite file under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    token = secrets.token_hex(16)
    db_path = root / "server.db"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("JUPYTER_EXPERIMENTS_")
    }
    env.update(
        {
            "JUPYTER_EXPERIMENTS_TOKEN": token,
            "JUPYTER_DATA_DIR": str(root / "data"),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "JUPYTER_CONFIG_DIR": str(root / "config"),
        }
    )
    command = [
        sys.executable,
        "-m",
        "jupyter_experiments.cli",
        "server",
        "--port",
        str(port),
        "--db-url",
        str(db_path),
        "--artifact-root",
        str(root / "artifacts"),
        *extra,
    ]
    log_path = root / "server.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = TrackingServer(f"http://127.0.0.1:{port}/", token, db_path, log_path, process)
    try:
        wait_until_up(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(server: TrackingServer) -> None:
    """Wait until the server returns its OpenAPI document; fail with its log if it exits."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    url = f"{server.url}experiments/api/openapi.json"
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.log_path.read_text()
        try:
            response = requests.get(
                url, headers={"Authorization": f"token {server.token}"}, timeout=5
            )
        except requests.ConnectionError:
            time.sleep(0.1)
            continue
        if response.status_code == 200:
            return
    raise AssertionError(f"the tracking server did not start:\n{server.log_path.read_text()}")


class FlakyProxy:
    """An HTTP proxy on 127.0.0.1 that can refuse connections or lose replies.

    Each connection carries one request, which is forwarded with ``Connection: close``.
    ``stop()`` closes the listening socket (clients get "connection refused") and ``start()``
    opens it again on the same port. While ``lose_replies`` is above 0, a request whose request
    line matches ``flaky_requests`` (metric batches unless changed) is forwarded and applied,
    but its reply is dropped and the client's connection closed. While ``drop_requests`` is
    above 0, such a request is read and its connection closed without forwarding it.
    ``reply_bytes`` counts the bytes of the replies forwarded to clients.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.lose_replies = 0
        self.lost = 0
        self.drop_requests = 0
        self.reply_bytes = 0
        self.flaky_requests = METRIC_BATCH_REQUEST
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not on Linux.
            self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            request = _read_request(client)
            if request is None:
                return
            head, body = request
            matches = self.flaky_requests.match(head.split(b"\r\n", 1)[0]) is not None
            if matches and self.drop_requests > 0:
                self.drop_requests -= 1
                return
            head = head.replace(b"\r\nConnection: keep-alive", b"")
            head = head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            with socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
                upstream.sendall(head + body)
                reply = b""
                while chunk := upstream.recv(65536):
                    reply += chunk
            if matches and self.lose_replies > 0:
                self.lose_replies -= 1
                self.lost += 1
                return
            status_line, _, rest = reply.partition(b"\r\n")
            self.reply_bytes += len(reply)
            client.sendall(status_line + b"\r\nConnection: close\r\n" + rest)


def _read_request(client: socket.socket) -> tuple[bytes, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n", body
