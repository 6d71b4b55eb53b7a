"""Benchmark the REST API's table query: the first page of trial components sorted by a metric.

The store contains one experiment with ``--components`` trial components (100 per trial), each
with ``--parameters`` parameters (a third floats, a third integers, a third strings) and
``--metrics`` metrics of ``--points`` points. It is written straight into the tables with
SQLAlchemy Core ``executemany`` in one transaction, summaries computed by the store's own
:class:`~jupyter_experiments.store.summaries.Summary`, because writing 10,000 components through
the store one call at a time takes minutes and is not what is measured.

Then a real ``jupyter server`` starts on 127.0.0.1 with a token, and ``--requests`` requests
(after a few warm-up ones) ask for the first 100 rows of the experiment sorted by
``metrics.m0.max`` descending, every column included, through one keep-alive HTTP connection
of the standard library's ``http.client``. (``requests`` added about 2 ms of its own Python to
each request on the benchmark's machine, which measured the client more than the servers.)
Reported: median and 95th percentile of the request time, the same query in-process (store
only, no HTTP or JSON) both as the server asks for it (parameters and statistics as the JSON
documents the store keeps) and as the SDK does (exact values from the tables), and the
server's resident memory after the requests.

If MLflow is importable, the same data goes into an MLflow SQLite store (rows inserted with
``executemany`` into MLflow's tables, which MLflow's client created), and the first 100 runs
ordered by ``metrics.m0 DESC`` are fetched twice: with ``MlflowClient.search_runs`` in-process,
and through the REST API of an ``mlflow server`` on 127.0.0.1 (``POST runs/search``, one
keep-alive connection, the timer stopping when the body has arrived, as for ours). MLflow sorts
by a metric's latest value only, so its timings are compared with ours sorted by
``metrics.m0.last`` as well as by ``max``. MLflow's telemetry is turned off.

Both stores are built first and both servers run side by side. The measurements are then
taken in turns, one call of each per turn, so that all of them see the same moments of a
shared machine. Run from the repository root::

    python benchmarks/bench_api.py             # about 3 minutes on 2 cores
    python benchmarks/bench_api.py --quick     # about a minute, for a smoke test
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import math
import os
import platform
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psutil
import requests

from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.documents import (
    metrics_document,
    parameters_document,
    summary_entry,
)
from jupyter_experiments.store.schema import (
    component_documents,
    experiments,
    metric_points,
    metric_summaries,
    parameters,
    trial_component_links,
    trial_components,
    trials,
)
from jupyter_experiments.store.summaries import Summary

DEFAULT_COMPONENTS = 10_000
DEFAULT_PARAMETERS = 30
DEFAULT_METRICS = 10
DEFAULT_POINTS = 10
DEFAULT_REQUESTS = 50
WARM_UP_REQUESTS = 5
PAGE_SIZE = 100
COMPONENTS_PER_TRIAL = 100

#: Targets of the table query through the REST API.
TARGET_MEDIAN_MS = 30.0
TARGET_SPEED_UP = 20.0

SERVER_START_TIMEOUT_S = 60.0
BASE_URL = "/"

# MLflow 3 reports usage to a remote endpoint unless telemetry is turned off, and nothing here
# may leave the machine. Set before mlflow is imported, and passed on to the MLflow server.
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"


@dataclass
class Timing:
    """Request times of one measurement, in milliseconds."""

    label: str
    samples_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]

    def line(self) -> str:
        return (
            f"{self.label:<58} median {self.median:8.1f} ms   p95 {self.p95:8.1f} ms   "
            f"(n={len(self.samples_ms)})"
        )


@dataclass
class Measurement:
    """One timed call, and a check of its result made outside the timer."""

    label: str
    call: Callable[[], Any]
    check: Callable[[Any], None]


def measure_interleaved(measurements: list[Measurement], repeats: int) -> list[Timing]:
    """Time ``repeats`` calls of each measurement, taking them in turns, after a warm-up.

    A shared machine has slower and faster minutes. Timed one after the other, MLflow's median
    could fall in a slow minute and ours in a fast one, or the reverse, and the ratio between
    them changed by half from one run to the next. In turns, all measurements run in the same
    minutes.
    """
    for measurement in measurements:
        for _ in range(WARM_UP_REQUESTS):
            measurement.check(measurement.call())
    samples: list[list[float]] = [[] for _ in measurements]
    for _ in range(repeats):
        for measurement, times in zip(measurements, samples, strict=True):
            start = time.perf_counter()
            result = measurement.call()
            times.append((time.perf_counter() - start) * 1000)
            measurement.check(result)
    return [
        Timing(measurement.label, times)
        for measurement, times in zip(measurements, samples, strict=True)
    ]


@dataclass
class Dataset:
    """The generated values, shared by both stores so that both hold the same data."""

    components: int
    parameter_count: int
    metric_count: int
    points: int
    seed: int = 0

    def parameter_value(self, component: int, index: int) -> float | int | str:
        kind = index % 3
        if kind == 0:
            return round(random.Random(component * 1000 + index).uniform(0, 1), 6)
        if kind == 1:
            return (component * 7 + index) % 512
        return f"choice-{(component + index) % 5}"

    def metric_values(self, component: int, metric: int) -> list[float]:
        generator = random.Random(self.seed * 1_000_003 + component * 100 + metric)
        return [generator.gauss(1.0, 0.3) for _ in range(self.points)]


def build_our_store(path: Path, data: Dataset) -> float:
    """Write the dataset into a new store at ``path``; return the seconds it took."""
    started = time.perf_counter()
    store = TrackingStore(f"sqlite:///{path}")
    now = time.time()
    component_rows = []
    document_rows = []
    link_rows = []
    parameter_rows = []
    summary_rows = []
    point_rows = []
    for c in range(data.components):
        component_id = c + 1
        component_rows.append(
            {
                "id": component_id,
                "name": f"tc-{c:05d}",
                "display_name": f"tc-{c:05d}",
                "status": "Completed",
                "created_at": now + c * 1e-3,
                "modified_at": now + c * 1e-3,
                "start_time": now,
                "end_time": now + 60,
            }
        )
        parameter_values = {}
        summary_entries = {}
        link_rows.append(
            {
                "trial_id": c // COMPONENTS_PER_TRIAL + 1,
                "component_id": component_id,
                "created_at": now,
            }
        )
        for p in range(data.parameter_count):
            value = data.parameter_value(c, p)
            parameter_values[f"p{p}"] = value
            encoded: tuple[str, float | None, str]
            if isinstance(value, float):
                encoded = ("float", value, repr(value))
            elif isinstance(value, int):
                encoded = ("integer", float(value), str(value))
            else:
                encoded = ("string", None, value)
            parameter_rows.append(
                {
                    "component_id": component_id,
                    "name": f"p{p}",
                    "value_type": encoded[0],
                    "number_value": encoded[1],
                    "string_value": encoded[2],
                }
            )
        for m in range(data.metric_count):
            values = data.metric_values(c, m)
            summary = Summary()
            summary.add_points((v, step, now + step) for step, v in enumerate(values))
            record = summary.row()
            summary_rows.append({"component_id": component_id, "name": f"m{m}", **record})
            summary_entries[f"m{m}"] = summary_entry(record)
            for step, value in enumerate(values):
                point_rows.append(
                    {
                        "component_id": component_id,
                        "name": f"m{m}",
                        "step": step,
                        "value": value,
                        "timestamp": now + step,
                    }
                )
        # The documents the store writes beside the rows (jupyter_experiments/store/documents.py).
        document_rows.append(
            {
                "component_id": component_id,
                "parameters_json": parameters_document(parameter_values),
                "metrics_json": metrics_document(summary_entries),
            }
        )
    trial_count = math.ceil(data.components / COMPONENTS_PER_TRIAL)
    with store.engine.begin() as connection:
        connection.execute(
            experiments.insert(),
            [
                {
                    "id": 1,
                    "name": "bench",
                    "display_name": "bench",
                    "created_at": now,
                    "modified_at": now,
                    # The count the store keeps of the experiment's components: each is in
                    # one trial.
                    "component_count": data.components,
                }
            ],
        )
        connection.execute(
            trials.insert(),
            [
                {
                    "id": t + 1,
                    "name": f"trial-{t:04d}",
                    "display_name": f"trial-{t:04d}",
                    "experiment_id": 1,
                    "created_at": now,
                    "modified_at": now,
                }
                for t in range(trial_count)
            ],
        )
        for table, rows in (
            (trial_components, component_rows),
            (component_documents, document_rows),
            (trial_component_links, link_rows),
            (parameters, parameter_rows),
            (metric_summaries, summary_rows),
            (metric_points, point_rows),
        ):
            connection.execute(table.insert(), rows)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    store.dispose()
    return time.perf_counter() - started


def build_mlflow_store(path: Path, data: Dataset) -> tuple[Any, str, float]:
    """Write the dataset into a new MLflow SQLite store; return the client, experiment id, s."""
    from mlflow.tracking import MlflowClient

    started = time.perf_counter()
    client = MlflowClient(tracking_uri=f"sqlite:///{path}")
    experiment_id = client.create_experiment("bench", artifact_location=str(path.parent / "mlruns"))
    now_ms = int(time.time() * 1000)
    runs, params, metrics, latest, tags = [], [], [], [], []
    for c in range(data.components):
        run_id = uuid.UUID(int=c + 1).hex
        runs.append(
            (
                run_id,
                f"tc-{c:05d}",
                "UNKNOWN",
                "",
                "",
                "bench",
                "FINISHED",
                now_ms + c,
                now_ms + c + 60_000,
                "",
                "active",
                f"{path.parent}/mlruns/{run_id}",
                int(experiment_id),
            )
        )
        tags.append(("mlflow.runName", f"tc-{c:05d}", run_id))
        for p in range(data.parameter_count):
            params.append((f"p{p}", str(data.parameter_value(c, p)), run_id))
        for m in range(data.metric_count):
            values = data.metric_values(c, m)
            for step, value in enumerate(values):
                metrics.append((f"m{m}", value, now_ms + step, run_id, step, 0))
            latest.append(
                (f"m{m}", values[-1], now_ms + len(values) - 1, len(values) - 1, 0, run_id)
            )
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            runs,
        )
        connection.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
        connection.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
        connection.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            metrics,
        )
        connection.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            latest,
        )
        connection.execute("ANALYZE")
    return client, experiment_id, time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(
    server: subprocess.Popen[bytes], url: str, headers: dict[str, str], log_path: Path
) -> None:
    """Poll ``url`` until it returns 200; raise with the server's log if it exits or times out."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start:\n{log_path.read_text()}")
        try:
            if requests.get(url, headers=headers, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)


@contextmanager
def jupyter_server(python: str, db_path: Path, work: Path) -> Iterator[tuple[str, str, int]]:
    """Run ``jupyter server`` on 127.0.0.1 on the store; yield its API URL, token and pid."""
    port = free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_EXPERIMENTS_DB_URL": f"sqlite:///{db_path}",
        "JUPYTER_EXPERIMENTS_ARTIFACT_ROOT": str(work / "artifacts"),
        "JUPYTER_DATA_DIR": str(work / "data"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "JUPYTER_CONFIG_DIR": str(work / "config"),
    }
    command = [
        python,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.jpserver_extensions=jupyter_experiments.server=True",
        "--ServerApp.log_level=WARN",
    ]
    log_path = work / "server.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}{BASE_URL}experiments/api"
    try:
        headers = {"Authorization": f"token {token}"}
        wait_until_serving(server, f"{url}/openapi.json", headers, log_path)
        yield url, token, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


class KeepAlive:
    """One keep-alive HTTP/1.1 connection to a loopback server, for timed requests."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.prefix = parts.path
        self.headers = headers
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> bytes:
        """Send one request and return its whole body; raise on an error status."""
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, target, body=data, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {target} returned {response.status}: {content[:200]!r}")
        return content

    def close(self) -> None:
        self.connection.close()


def check_page(content: bytes) -> None:
    body = json.loads(content)
    assert len(body["items"]) == PAGE_SIZE, body
    assert body["total"] > 0, body
    assert "m0" in body["items"][0]["metrics"], body["items"][0]


def our_measurements(client: KeepAlive, store: TrackingStore) -> list[Measurement]:
    """Return the measurements of our page: over REST by two statistics, and in-process."""
    measurements = []
    for statistic in ("max", "last"):
        params = {
            "experiments": "bench",
            "sort_by": f"metrics.m0.{statistic}",
            "sort_order": "Descending",
            "limit": PAGE_SIZE,
        }

        def page(params: dict[str, Any] = params) -> bytes:
            # The timer stops when the whole body has arrived; parsing it is the client's
            # cost, and a browser's JSON.parse is not Python's.
            return client.request("GET", "/query/trial-components", params)

        label = f"REST: 100 rows by metrics.m0.{statistic}, all columns"
        measurements.append(Measurement(label, page, check_page))

    for documents, label in (
        (True, "store in-process: the server's page + count"),
        (False, "store in-process: page of exact values (SDK) + count"),
    ):

        def rows(documents: bool = documents) -> list[dict[str, Any]]:
            found = store.search_components(
                experiment_names=["bench"],
                sort_by="metrics.m0.max",
                sort_order="Descending",
                limit=PAGE_SIZE,
                documents=documents,
            )
            store.count_components(experiment_names=["bench"])
            return found

        def check(found: list[dict[str, Any]]) -> None:
            assert len(found) == PAGE_SIZE

        measurements.append(Measurement(label, rows, check))
    return measurements


def mlflow_measurements(
    mlflow_client: Any, experiment_id: str, client: KeepAlive
) -> list[Measurement]:
    """Return the measurements of MLflow's ``search_runs`` in-process and over REST."""

    def runs() -> list[Any]:
        found: list[Any] = mlflow_client.search_runs(
            [experiment_id], order_by=["metrics.m0 DESC"], max_results=PAGE_SIZE
        )
        return found

    def check_runs(found: list[Any]) -> None:
        assert len(found) == PAGE_SIZE

    body = {
        "experiment_ids": [experiment_id],
        "order_by": ["metrics.m0 DESC"],
        "max_results": PAGE_SIZE,
    }

    def page() -> bytes:
        return client.request("POST", "/api/2.0/mlflow/runs/search", body=body)

    def check_page(content: bytes) -> None:
        assert len(json.loads(content)["runs"]) == PAGE_SIZE

    return [
        Measurement("MLflow search_runs: 100 runs by metrics.m0 (in-process)", runs, check_runs),
        Measurement("MLflow REST runs/search: 100 runs by metrics.m0", page, check_page),
    ]


@contextmanager
def mlflow_server(work: Path) -> Iterator[str]:
    """Run ``mlflow server`` on 127.0.0.1 on the MLflow store; yield its URL."""
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    command = [
        str(mlflow),
        "server",
        "--host=127.0.0.1",
        f"--port={port}",
        "--workers=1",
        f"--backend-store-uri=sqlite:///{work / 'mlflow.db'}",
        f"--artifacts-destination={work / 'mlflow-artifacts'}",
    ]
    log_path = work / "mlflow-server.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, f"{url}/health", {}, log_path)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def mlflow_importable() -> bool:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=DEFAULT_COMPONENTS)
    parser.add_argument("--parameters", type=int, default=DEFAULT_PARAMETERS)
    parser.add_argument("--metrics", type=int, default=DEFAULT_METRICS)
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS, help="points per metric")
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS)
    parser.add_argument(
        "--server-python",
        default=sys.executable,
        help="interpreter that runs jupyter server (needs jupyter-server and this package)",
    )
    parser.add_argument("--quick", action="store_true", help="1,000 components, 10 requests")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.components, arguments.requests = 1000, 10
    data = Dataset(arguments.components, arguments.parameters, arguments.metrics, arguments.points)

    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {psutil.virtual_memory().total / 2**30:.0f} GiB"
    )
    print(
        f"Data: {data.components} components x {data.parameter_count} parameters x "
        f"{data.metric_count} metrics x {data.points} points, 1 experiment, "
        f"{math.ceil(data.components / COMPONENTS_PER_TRIAL)} trials"
    )
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        work = Path(folder)
        db_path = work / "experiments.db"
        seconds = build_our_store(db_path, data)
        size_mib = db_path.stat().st_size / 2**20
        print(f"Built our store with executemany in {seconds:.1f} s ({size_mib:.0f} MiB)")

        with_mlflow = mlflow_importable()
        if with_mlflow:
            logging.getLogger("mlflow").setLevel(logging.ERROR)
            warnings.simplefilter("ignore")
            mlflow_client, experiment_id, mlflow_seconds = build_mlflow_store(
                work / "mlflow.db", data
            )
            print(f"Built the MLflow store with executemany in {mlflow_seconds:.1f} s")
        else:
            print("MLflow: skipped, mlflow is not importable with this interpreter")

        with ExitStack() as stack:
            url, token, pid = stack.enter_context(
                jupyter_server(arguments.server_python, db_path, work)
            )
            client = KeepAlive(url, {"Authorization": f"token {token}"})
            stack.callback(client.close)
            store = TrackingStore(f"sqlite:///{db_path}")
            stack.callback(store.dispose)
            measurements = our_measurements(client, store)
            ours = len(measurements)
            if with_mlflow:
                mlflow_client_rest = KeepAlive(stack.enter_context(mlflow_server(work)), {})
                stack.callback(mlflow_client_rest.close)
                measurements += mlflow_measurements(
                    mlflow_client, experiment_id, mlflow_client_rest
                )
            timings = measure_interleaved(measurements, arguments.requests)
            rss = psutil.Process(pid).memory_info().rss

    print()
    for timing in timings:
        print(timing.line())
    print(f"Server resident memory after the requests: {rss / 2**20:.0f} MiB")

    by_max = timings[0]
    verdict = "met" if by_max.median <= TARGET_MEDIAN_MS else "MISSED"
    print(f"Target median <= {TARGET_MEDIAN_MS:.0f} ms: {verdict} ({by_max.median:.1f} ms)")
    for mlflow_timing in timings[ours:]:
        speed_up = mlflow_timing.median / by_max.median
        verdict = "met" if speed_up >= TARGET_SPEED_UP else "MISSED"
        print(
            f"Target >= {TARGET_SPEED_UP:.0f}x faster than {mlflow_timing.label}: {verdict} "
            f"({speed_up:.1f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
