"""Benchmark metric logging: Tracker.log_metric against raw SQLite inserts and MLflow.

Each measurement writes into a fresh SQLite file in a temporary directory and reports points
per second, the median of ``--repeats`` rounds that each run every method once:

* ``Tracker.log_metric`` with automatic steps and with an explicit ``iteration_number``. The
  timer runs from the first call to the end of ``Tracker.close()``, when every point is
  committed. Creating the store and the trial component happens before it.
* The floor: the stdlib ``sqlite3`` module's ``executemany`` of the same rows into the same
  ``metric_points`` table (schema created by ``TrackingStore``), with the store's pragmas, in
  one committed transaction. The rows are built before the timer starts.
* ``MlflowClient.log_batch`` in batches of 1,000 metrics (MLflow's maximum per call) into
  MLflow's SQLite store, timed until the last call returns (each call commits). Building the
  ``Metric`` objects is timed, as logging a point is for the Tracker. Creating the store is
  reported on its own, and so is ours.

MLflow is optional: without it those rows are skipped. Run from the repository root::

    python benchmarks/bench_logging.py            # about a minute on 2 cores
    python benchmarks/bench_logging.py --quick    # a few seconds, for the smoke test
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import math
import os
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy

import jupyter_experiments
from jupyter_experiments import Tracker
from jupyter_experiments.store import TrackingStore

# MLflow 3 reports usage to a remote endpoint unless telemetry is turned off, and nothing here
# may leave the machine. Set before mlflow is imported.
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"

#: Points for the Tracker and the raw inserts in a full run.
DEFAULT_POINTS = 500_000

#: Points for MLflow in a full run. MLflow writes more slowly, so it gets fewer points and the
#: comparison is between rates, which hardly change with the number of points.
DEFAULT_MLFLOW_POINTS = 50_000

#: Number of distinct metric names. Points cycle through them, as a training loop that logs loss,
#: accuracy and a few more would.
DEFAULT_METRIC_NAMES = 10

DEFAULT_REPEATS = 3

#: Sizes for ``--quick``.
QUICK_POINTS = 5_000
QUICK_MLFLOW_POINTS = 1_000
QUICK_REPEATS = 1

#: MLflow's maximum number of metrics in one log_batch call (MAX_METRICS_PER_BATCH in
#: mlflow/utils/validation.py, 1,000 in MLflow 3.17.2).
MLFLOW_BATCH_SIZE = 1_000

#: Targets the project set for both Tracker methods.
TARGET_RATIO_TO_RAW = 0.5
TARGET_RATIO_TO_MLFLOW = 20.0

#: Functions printed by ``--profile``.
PROFILE_TOP_FUNCTIONS = 20

RAW_INSERT = (
    "INSERT INTO metric_points (component_id, name, step, value, timestamp) VALUES (?, ?, ?, ?, ?)"
)

COMPONENT_NAME = "bench-component"

RAW_METHOD = "sqlite3 executemany (floor)"
TRACKER_METHOD = "Tracker.log_metric"
TRACKER_STEP_METHOD = "Tracker.log_metric(iteration_number=)"
TRACKER_SETUP = "Tracker.create"
MLFLOW_SETUP = "MLflow store + experiment + run"


@dataclass
class Result:
    """Timing of one method: the median, fastest and slowest of its rounds, in seconds."""

    method: str
    points: int
    seconds: float
    fastest_s: float
    slowest_s: float

    @property
    def rate(self) -> float:
        """Points per second."""
        return self.points / self.seconds


def metric_names(count: int) -> list[str]:
    """Return ``count`` metric names such as ``metric_00``."""
    return [f"metric_{index:02d}" for index in range(count)]


def metric_value(index: int) -> float:
    """Return a deterministic, non-trivial value for point ``index``."""
    return math.sin(index * 0.001) + index * 1e-6


def metric_values(points: int) -> list[float]:
    """Return the values of points ``0`` to ``points - 1``, built once before any timer."""
    return [metric_value(index) for index in range(points)]


def time_tracker(
    directory: Path, values: Sequence[float], names: Sequence[str], explicit_step: bool
) -> float:
    """Log ``values`` with ``Tracker.log_metric`` and return the seconds until committed."""
    tracker = Tracker.create(store=directory / "tracker.db")
    points = len(values)
    name_count = len(names)

    start = time.perf_counter()
    if explicit_step:
        for index in range(points):
            tracker.log_metric(
                names[index % name_count], values[index], iteration_number=index // name_count
            )
    else:
        for index in range(points):
            tracker.log_metric(names[index % name_count], values[index])
    tracker.close()
    elapsed = time.perf_counter() - start

    tracker.trial_component.store.dispose()
    return elapsed


def time_raw_executemany(directory: Path, values: Sequence[float], names: Sequence[str]) -> float:
    """Insert the same rows with the stdlib sqlite3 ``executemany`` and return the seconds."""
    path = directory / "raw.db"
    store = TrackingStore(str(path))
    store.create_component(COMPONENT_NAME)
    store.dispose()

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # The pragmas of jupyter_experiments.store.engine, so the floor pays the same costs.
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        (component_id,) = connection.execute(
            "SELECT id FROM trial_components WHERE name = ?", (COMPONENT_NAME,)
        ).fetchone()
        now = time.time()
        points = len(values)
        name_count = len(names)
        rows = [
            (component_id, names[index % name_count], index // name_count, values[index], now)
            for index in range(points)
        ]

        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(RAW_INSERT, rows)
        connection.execute("COMMIT")
        elapsed = time.perf_counter() - start

        (stored,) = connection.execute("SELECT count(*) FROM metric_points").fetchone()
    finally:
        connection.close()
    if stored != points:
        raise RuntimeError(f"Raw insert stored {stored} points instead of {points}.")
    return elapsed


def time_tracker_setup(directory: Path) -> float:
    """Return the seconds ``Tracker.create`` takes on a new SQLite file (schema included)."""
    start = time.perf_counter()
    tracker = Tracker.create(store=directory / "setup.db")
    elapsed = time.perf_counter() - start

    tracker.close()
    tracker.trial_component.store.dispose()
    return elapsed


def mlflow_available() -> bool:
    """Return whether mlflow can be imported."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


def quiet_mlflow() -> None:
    """Silence MLflow's and Alembic's per-store log lines and warnings during the timed runs."""
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="mlflow")


def create_mlflow_run(directory: Path) -> tuple[Any, str]:
    """Create an MLflow SQLite store, an experiment and a run, and return the client and run id."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{directory / 'mlflow.db'}")
    experiment_id = client.create_experiment(
        "bench", artifact_location=(directory / "artifacts").as_uri()
    )
    run = client.create_run(experiment_id)
    return client, run.info.run_id


def time_mlflow_setup(directory: Path) -> float:
    """Return the seconds MLflow takes to create its store, an experiment and a run."""
    start = time.perf_counter()
    create_mlflow_run(directory)
    return time.perf_counter() - start


def time_mlflow(directory: Path, values: Sequence[float], names: Sequence[str]) -> float:
    """Log ``values`` with ``MlflowClient.log_batch`` and return the seconds."""
    from mlflow.entities import Metric

    client, run_id = create_mlflow_run(directory)
    points = len(values)
    name_count = len(names)

    start = time.perf_counter()
    for batch_start in range(0, points, MLFLOW_BATCH_SIZE):
        timestamp_ms = int(time.time() * 1000)
        batch = [
            Metric(names[index % name_count], values[index], timestamp_ms, index // name_count)
            for index in range(batch_start, min(batch_start + MLFLOW_BATCH_SIZE, points))
        ]
        client.log_batch(run_id, metrics=batch)
    elapsed = time.perf_counter() - start

    stored = sum(len(client.get_metric_history(run_id, name)) for name in names)
    if stored != points:
        raise RuntimeError(f"MLflow stored {stored} points instead of {points}.")
    return elapsed


def run_rounds(
    measures: Mapping[str, Callable[[Path], float]], repeats: int
) -> dict[str, list[float]]:
    """Run every measure once in each of ``repeats`` rounds, and return each measure's seconds.

    Interleaving the methods, rather than repeating one before the next, spreads load from other
    processes over all of them, so that the ratios between them stay meaningful.
    """
    runs: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(repeats):
        for name, measure in measures.items():
            with tempfile.TemporaryDirectory(prefix="bench-logging-") as folder:
                runs[name].append(measure(Path(folder)))
    return runs


def format_ratio(numerator: float, denominator: float | None) -> str:
    """Return ``numerator / denominator`` as text, or a dash without a denominator."""
    if denominator is None:
        return "-"
    return f"{numerator / denominator:.2f}"


def print_table(results: Sequence[Result], raw_rate: float, mlflow_rate: float | None) -> None:
    """Print one row per method with its rate and its ratios to raw inserts and to MLflow."""
    header = (
        f"{'method':<40} {'points':>9} {'seconds':>9} {'points/s':>11} {'x raw':>7} "
        f"{'x MLflow':>9} {'runs min-max s':>15}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.method:<40} {result.points:>9,} {result.seconds:>9.3f} "
            f"{result.rate:>11,.0f} {format_ratio(result.rate, raw_rate):>7} "
            f"{format_ratio(result.rate, mlflow_rate):>9} "
            f"{f'{result.fastest_s:.3f}-{result.slowest_s:.3f}':>15}"
        )


def print_targets(trackers: Sequence[Result], raw_rate: float, mlflow_rate: float | None) -> None:
    """Print whether each Tracker method meets the project's targets against raw and MLflow."""
    for tracker in trackers:
        ratio = tracker.rate / raw_rate
        verdict = "met" if ratio >= TARGET_RATIO_TO_RAW else "MISSED"
        print(
            f"{tracker.method}: {ratio:.3f} x raw executemany "
            f"(target >= {TARGET_RATIO_TO_RAW}): {verdict}"
        )
        if mlflow_rate is None:
            print(f"{tracker.method}: MLflow not measured (target >= {TARGET_RATIO_TO_MLFLOW:.0f})")
            continue
        ratio = tracker.rate / mlflow_rate
        verdict = "met" if ratio >= TARGET_RATIO_TO_MLFLOW else "MISSED"
        print(
            f"{tracker.method}: {ratio:.2f} x MLflow "
            f"(target >= {TARGET_RATIO_TO_MLFLOW:.0f}): {verdict}"
        )


def profile_tracker(values: Sequence[float], names: Sequence[str]) -> None:
    """Print where one Tracker run spends its time, as cProfile's top functions.

    NOTE: cProfile records only the main thread, so it misses the flushes of the Tracker's
    1-second background thread. Most flushes run on the main thread, whenever the buffer reaches
    ``FLUSH_POINTS``.
    """
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="bench-logging-") as folder:
        profiler.enable()
        total = time_tracker(Path(folder), values, names, explicit_step=False)
        profiler.disable()

    report = io.StringIO()
    stats = pstats.Stats(profiler, stream=report)
    stats.sort_stats("tottime").print_stats(PROFILE_TOP_FUNCTIONS)
    print(
        f"\ncProfile of Tracker.log_metric, {len(values):,} points, "
        f"{total:.3f} s timed under the profiler"
    )
    print(report.getvalue())


def print_report(
    runs: Mapping[str, Sequence[float]], points: Mapping[str, int], mlflow_method: str | None
) -> None:
    """Print the rate table, the store-creation times and the verdict on each target."""
    results = {
        method: Result(
            method, count, statistics.median(runs[method]), min(runs[method]), max(runs[method])
        )
        for method, count in points.items()
    }
    raw = results[RAW_METHOD]
    mlflow_rate = None if mlflow_method is None else results[mlflow_method].rate

    print()
    print_table(list(results.values()), raw.rate, mlflow_rate)
    print()
    print("Creating a store on a new SQLite file (schema migrations included):")
    for name in (TRACKER_SETUP, MLFLOW_SETUP):
        if name in runs:
            print(f"  {name:<38} {statistics.median(runs[name]):>7.3f} s")
    print()
    print_targets([results[TRACKER_METHOD], results[TRACKER_STEP_METHOD]], raw.rate, mlflow_rate)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line. Sizes left unset get the ``--quick`` or the full-run defaults."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and 1 round, for a smoke test"
    )
    parser.add_argument("--points", type=int, help="points for the Tracker and raw inserts")
    parser.add_argument("--mlflow-points", type=int, help="points for MLflow")
    parser.add_argument(
        "--metrics", type=int, default=DEFAULT_METRIC_NAMES, help="number of distinct metric names"
    )
    parser.add_argument(
        "--repeats", type=int, help="rounds, each running every method once (the median is shown)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print cProfile's top functions of a run"
    )
    parser.add_argument("--no-mlflow", action="store_true", help="skip MLflow even if installed")
    arguments = parser.parse_args(argv)

    if arguments.points is None:
        arguments.points = QUICK_POINTS if arguments.quick else DEFAULT_POINTS
    if arguments.mlflow_points is None:
        arguments.mlflow_points = QUICK_MLFLOW_POINTS if arguments.quick else DEFAULT_MLFLOW_POINTS
    if arguments.repeats is None:
        arguments.repeats = QUICK_REPEATS if arguments.quick else DEFAULT_REPEATS
    for option in ("points", "mlflow_points", "metrics", "repeats"):
        value = getattr(arguments, option)
        if value < 1:
            parser.error(f"Invalid --{option.replace('_', '-')} {value}: use at least 1.")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement, print the report and return the exit status."""
    arguments = parse_arguments(argv)
    names = metric_names(arguments.metrics)
    all_values = metric_values(max(arguments.points, arguments.mlflow_points))
    values = all_values[: arguments.points]
    repeats = arguments.repeats
    print(
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"jupyter-experiments {jupyter_experiments.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}"
    )
    print(f"{len(values):,} points over {len(names)} metric names, median of {repeats} round(s)")
    # Other processes on the machine skew the figures, so the output records the load.
    print(f"1-minute load average at start: {os.getloadavg()[0]:.2f}")

    measures: dict[str, Callable[[Path], float]] = {
        RAW_METHOD: lambda folder: time_raw_executemany(folder, values, names),
        TRACKER_METHOD: lambda folder: time_tracker(folder, values, names, False),
        TRACKER_STEP_METHOD: lambda folder: time_tracker(folder, values, names, True),
        TRACKER_SETUP: time_tracker_setup,
    }
    points = {
        RAW_METHOD: len(values),
        TRACKER_METHOD: len(values),
        TRACKER_STEP_METHOD: len(values),
    }
    mlflow_method = None
    if arguments.no_mlflow:
        print("MLflow skipped: --no-mlflow was given.")
    elif not mlflow_available():
        print(
            "MLflow skipped: mlflow is not installed. Install it with "
            "`pip install -r benchmarks/requirements.txt` to compare."
        )
    else:
        import mlflow

        quiet_mlflow()
        mlflow_values = all_values[: arguments.mlflow_points]
        mlflow_method = f"MLflow {mlflow.__version__} log_batch({MLFLOW_BATCH_SIZE:,})"
        measures[mlflow_method] = lambda folder: time_mlflow(folder, mlflow_values, names)
        measures[MLFLOW_SETUP] = time_mlflow_setup
        points[mlflow_method] = len(mlflow_values)

    runs = run_rounds(measures, repeats)
    print_report(runs, points, mlflow_method)
    if arguments.quick:
        print("--quick: too few points for stable rates; judge the targets on a full run.")
    print(f"1-minute load average at end: {os.getloadavg()[0]:.2f}")

    if arguments.profile:
        profile_tracker(values, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
