"""Load benchmark: many writer processes logging metric points at once.

Each of ``--writers`` processes creates its own trial component and logs ``--points`` points
through a ``Tracker``, which sends them in batches as it does in training (every 10,000
points, and every second from its background writer). Two targets:

* ``http``: a ``jupyter experiments server`` that this script starts on 127.0.0.1 with a new
  SQLite file; the writers use ``JUPYTER_EXPERIMENTS_TRACKING_URI``.
* ``postgresql``: the database of ``--pg-url`` or ``JUPYTER_EXPERIMENTS_TEST_DB_URL``,
  written directly (``bash .ci/postgres.sh python benchmarks/bench_load.py`` starts one).

It prints the points per second of all writers together (from the moment all have started
until the last has closed its Tracker), the median and 95th percentile of the time one batch
write takes, and checks that the store contains exactly the points sent, none lost or doubled.

    python benchmarks/bench_load.py            # 16 writers x 20,000 points
    python benchmarks/bench_load.py --quick    # 4 writers x 2,000 points, a few seconds
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

SERVER_START_TIMEOUT_S = 60.0


@dataclass
class WriterResult:
    """The points one writer process sent, and the seconds each of its batch writes took."""

    component: str
    points: int
    batch_seconds: list[float]


@dataclass
class LoadResult:
    """The outcome of one target."""

    target: str
    writers: int
    points_sent: int
    points_stored: int
    seconds: float
    batch_seconds: list[float]

    @property
    def points_per_second(self) -> float:
        return self.points_sent / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.batch_seconds)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def write_points(
    store_url: str, index: int, points: int, start: multiprocessing.synchronize.Event
) -> WriterResult:
    """Log ``points`` points into a new trial component; run in a writer process."""
    from jupyter_experiments import Tracker
    from jupyter_experiments.sdk._store import get_store

    store = get_store(store_url)
    tracker = Tracker.create(display_name=f"writer-{index}", store=store)
    timings: list[float] = []
    send = store.log_metrics

    def timed(*args: object, **kwargs: object) -> int:
        began = time.perf_counter()
        written = send(*args, **kwargs)  # type: ignore[arg-type]
        timings.append(time.perf_counter() - began)
        return written

    # The Tracker calls the store's method through this attribute.
    store.log_metrics = timed  # type: ignore[method-assign]
    start.wait()
    for step in range(points):
        tracker.log_metric("loss", 1.0 / (step + 1), iteration_number=step)
    tracker.close()
    return WriterResult(tracker.trial_component.trial_component_name, points, timings)


def run_writers(target: str, store_url: str, writers: int, points: int) -> LoadResult:
    """Run the writer processes against ``store_url``; return the totals."""
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    start = manager.Event()
    with context.Pool(writers) as pool:
        pending = [
            pool.apply_async(write_points, (store_url, index, points, start))
            for index in range(writers)
        ]
        # Give every process time to import and create its component before the clock starts.
        time.sleep(min(2.0 + 0.5 * writers, 15.0))
        began = time.perf_counter()
        start.set()
        results = [item.get(timeout=600) for item in pending]
        seconds = time.perf_counter() - began
    manager.shutdown()

    stored = count_points(store_url, [result.component for result in results])
    return LoadResult(
        target=target,
        writers=writers,
        points_sent=sum(result.points for result in results),
        points_stored=stored,
        seconds=seconds,
        batch_seconds=[t for result in results for t in result.batch_seconds],
    )


def count_points(store_url: str, components: Sequence[str]) -> int:
    """Return how many points the store holds for ``components``, read from the points."""
    from jupyter_experiments.sdk._store import get_store

    store = get_store(store_url)
    return sum(len(store.get_metric_series(name, "loss")) for name in components)


def start_server(root: Path, port: int, token: str) -> subprocess.Popen[bytes]:
    """Start ``jupyter experiments server`` on 127.0.0.1 with a SQLite file under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_EXPERIMENTS_")}
    env.update(
        JUPYTER_EXPERIMENTS_TOKEN=token,
        JUPYTER_DATA_DIR=str(root / "data"),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        JUPYTER_CONFIG_DIR=str(root / "config"),
    )
    command = [
        sys.executable,
        "-m",
        "jupyter_experiments.cli",
        "server",
        "--port",
        str(port),
        "--db-url",
        str(root / "server.db"),
    ]
    log_file = (root / "server.log").open("w")
    process = subprocess.Popen(
        command, env=env, cwd=root, stdout=log_file, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/experiments/api/openapi.json"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{(root / 'server.log').read_text()}")
        try:
            if requests.get(url, headers={"Authorization": f"token {token}"}, timeout=5).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"the server did not start:\n{(root / 'server.log').read_text()}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bench_http(writers: int, points: int) -> LoadResult:
    """Run the writers against a standalone server with a SQLite store."""
    import secrets

    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        root = Path(folder)
        token = secrets.token_hex(16)
        port = free_port()
        server = start_server(root, port, token)
        os.environ["JUPYTER_EXPERIMENTS_TOKEN"] = token
        try:
            return run_writers("http", f"http://127.0.0.1:{port}/", writers, points)
        finally:
            server.terminate()
            server.wait(timeout=30)


def bench_postgresql(url: str, writers: int, points: int) -> LoadResult:
    """Run the writers straight into PostgreSQL."""
    return run_writers("postgresql", url, writers, points)


def report(result: LoadResult) -> str:
    """Return one line of results, with the check of lost or doubled points."""
    status = "ok" if result.points_stored == result.points_sent else "MISMATCH"
    return (
        f"{result.target:<10} {result.writers:>2} writers {result.points_sent:>9,} points "
        f"{result.seconds:6.1f} s {result.points_per_second:>9,.0f} points/s  "
        f"batch median {statistics.median(result.batch_seconds) * 1000:6.0f} ms "
        f"p95 {result.percentile(0.95) * 1000:6.0f} ms  "
        f"({len(result.batch_seconds)} batches)  stored {result.points_stored:,} {status}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return 1 if a store lost or doubled points."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16, help="writer processes (default 16)")
    parser.add_argument(
        "--points", type=int, default=20_000, help="points per writer (default 20000)"
    )
    parser.add_argument("--quick", action="store_true", help="4 writers x 2,000 points")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("JUPYTER_EXPERIMENTS_TEST_DB_URL"),
        help="PostgreSQL URL (default: $JUPYTER_EXPERIMENTS_TEST_DB_URL; unset skips it)",
    )
    parser.add_argument("--skip-http", action="store_true", help="skip the HTTP target")
    arguments = parser.parse_args(argv)
    writers, points = (4, 2_000) if arguments.quick else (arguments.writers, arguments.points)

    results = []
    if not arguments.skip_http:
        results.append(bench_http(writers, points))
        print(report(results[-1]), flush=True)
    if arguments.pg_url:
        results.append(bench_postgresql(arguments.pg_url, writers, points))
        print(report(results[-1]), flush=True)
    else:
        print("postgresql skipped: give --pg-url or set JUPYTER_EXPERIMENTS_TEST_DB_URL")
    return 0 if all(r.points_stored == r.points_sent for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
