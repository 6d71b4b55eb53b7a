"""Tests of what SQLite and PostgreSQL do differently, which the store must even out.

Each test runs on every backend of the ``store`` fixture. They cover values that one backend
rejects and the other keeps (NUL characters, NaN times, out-of-range steps, over-long VARCHARs),
text order, filters that compare a number with a text column, concurrent writers, and the order
and notification of change events.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from jupyter_experiments import Tracker, TrialComponent
from jupyter_experiments.errors import ConflictError, NotFoundError, ValidationError
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.schema import trial_component_links, trials
from jupyter_experiments.store.store import CHANGE_NOTIFY_CHANNEL

#: Names whose code point order differs from a language order such as en-US.
MIXED_CASE_NAMES = ["beta", "Alpha", "alpha", "Beta", "_x", "Zed"]

#: Threads that write at once in the concurrency tests.
WRITERS = 8

#: Seconds a test waits to see that a blocked writer stays blocked.
BLOCKED_WAIT_S = 0.3


def require_postgresql(store: TrackingStore) -> None:
    if store.dialect != "postgresql":
        pytest.skip("tests a PostgreSQL feature")


def run_together(count: int, work: Callable[[int], Any]) -> list[BaseException]:
    """Run ``work(index)`` in ``count`` threads released at once; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


class Background:
    """Run one call in a thread and keep its result or error."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,))
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as error:
            self.error = error

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self) -> None:
        self._thread.join(timeout=60)


# -- values one backend rejects -----------------------------------------------------------


def test_step_out_of_range(store: TrackingStore) -> None:
    store.create_component("c")

    with pytest.raises(ValidationError, match="64-bit"):
        store.log_metrics("c", [("loss", 1.0, 2**63, 1000.0)])
    with pytest.raises(ValidationError, match="64-bit"):
        store.log_metrics("c", [("loss", 1.0, -(2**63) - 1, 1000.0)])


def test_step_range_limits_kept(store: TrackingStore) -> None:
    store.create_component("c")

    store.log_metrics("c", [("loss", 1.0, -(2**63), 1000.0), ("loss", 2.0, 2**63 - 1, 1001.0)])

    steps = [point["step"] for point in store.get_metric_series("c", "loss")]
    assert steps == [-(2**63), 2**63 - 1]


def test_tracker_step_out_of_range(store: TrackingStore) -> None:
    TrialComponent.create("c")

    with Tracker.load("c") as tracker:
        with pytest.raises(ValidationError, match="64-bit"):
            tracker.log_metric("loss", 1.0, iteration_number=2**64)
        tracker.log_metric("loss", 2.0, iteration_number=3)

    # The rejected point never reached the buffer, so the next one was written.
    assert [point["step"] for point in store.get_metric_series("c", "loss")] == [3]


@pytest.mark.parametrize("timestamp", [math.nan, math.inf], ids=["nan", "inf"])
def test_metric_timestamp_not_finite(store: TrackingStore, timestamp: float) -> None:
    store.create_component("c")

    with pytest.raises(ValidationError, match="Invalid timestamp"):
        store.log_metrics("c", [("loss", 1.0, 0, timestamp)])


@pytest.mark.parametrize("field", ["start_time", "end_time"])
def test_component_time_nan(store: TrackingStore, field: str) -> None:
    store.create_component("c")

    with pytest.raises(ValidationError, match="Invalid"):
        store.create_component("d", **{field: math.nan})
    with pytest.raises(ValidationError, match="Invalid"):
        store.update_component("c", **{field: math.nan})


NUL_WRITES: dict[str, Callable[[TrackingStore], Any]] = {
    "description": lambda store: store.update_experiment("e", description="a\x00b"),
    "tag": lambda store: store.update_experiment("e", tags={"k": "a\x00b"}),
    "parameter": lambda store: store.update_component("c", parameters={"p": "a\x00b"}),
    "artifact": lambda store: store.update_component(
        "c", input_artifacts={"data": {"value": "s3://bucket/a\x00b"}}
    ),
    "status_message": lambda store: store.update_component("c", status_message="a\x00b"),
    "source_arn": lambda store: store.update_component("c", source_arn="a\x00b"),
}


@pytest.mark.parametrize("field", list(NUL_WRITES))
def test_text_with_nul(store: TrackingStore, field: str) -> None:
    store.create_experiment("e")
    store.create_component("c")

    with pytest.raises(ValidationError, match="NUL"):
        NUL_WRITES[field](store)


def test_text_with_surrogate(store: TrackingStore) -> None:
    store.create_experiment("e")

    with pytest.raises(ValidationError, match="surrogate"):
        store.update_experiment("e", description="half \ud800 of a pair")


def test_job_settings_with_nul_kept(store: TrackingStore) -> None:
    # Job settings are stored as JSON, which escapes NUL, so they keep it.
    store.create_component("c", job_settings={"command": "a\x00b"})

    assert store.get_component("c")["job_settings"] == {"command": "a\x00b"}


@pytest.mark.parametrize(
    ("field", "limit"), [("source_arn", 2048), ("source_type", 64)], ids=["arn", "type"]
)
def test_source_too_long(store: TrackingStore, field: str, limit: int) -> None:
    store.create_component("c", **{field: "a" * limit})

    with pytest.raises(ValidationError, match=f"more than the limit of {limit}"):
        store.update_component("c", **{field: "a" * (limit + 1)})


def test_huge_integer_parameter(store: TrackingStore) -> None:
    store.create_component("big", parameters={"n": 10**400})
    store.create_component("small", parameters={"n": -(10**400)})
    store.create_component("one", parameters={"n": 1})

    ordered = store.search_components(sort_by="parameters.n", sort_order="Ascending")

    assert store.get_component("big")["parameters"]["n"] == 10**400
    assert [record["name"] for record in ordered] == ["small", "one", "big"]


# -- text order and text filters ----------------------------------------------------------


def test_sort_display_name_code_points(store: TrackingStore) -> None:
    for name in MIXED_CASE_NAMES:
        store.create_component(f"c{name}", display_name=name)

    ordered = store.search_components(sort_by="DisplayName", sort_order="Ascending")

    assert [record["display_name"] for record in ordered] == sorted(MIXED_CASE_NAMES)


def test_sort_experiment_name_code_points(store: TrackingStore) -> None:
    names = ["b", "A", "a", "B"]
    for name in names:
        store.create_experiment(name)

    ordered = store.list_experiments(sort_by="Name", sort_order="Descending")

    assert [record["name"] for record in ordered] == sorted(names, reverse=True)


def test_sort_string_parameter_code_points(store: TrackingStore) -> None:
    for index, value in enumerate(MIXED_CASE_NAMES):
        store.create_component(f"c{index}", parameters={"optimizer": value})

    ordered = store.search_components(sort_by="parameters.optimizer", sort_order="Ascending")

    assert [record["parameters"]["optimizer"] for record in ordered] == sorted(MIXED_CASE_NAMES)


def test_filter_greater_than_text(store: TrackingStore) -> None:
    for name in MIXED_CASE_NAMES:
        store.create_component(f"c{name}", display_name=name)
    expression = {"Filters": [{"Name": "DisplayName", "Operator": "GreaterThan", "Value": "a"}]}

    found = store.search_components(search_expression=expression)

    assert sorted(record["display_name"] for record in found) == ["alpha", "beta"]


def test_component_parents_code_points(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_component("c")
    for name in ["b", "A", "a", "B"]:
        store.create_trial(name, "e")
        store.associate(name, "c")

    assert store.component_parents(["c"])["c"]["trials"] == ["A", "B", "a", "b"]


def test_missing_names_lists_absent_parents(store: TrackingStore) -> None:
    store.create_experiment("mnist")
    store.create_trial("cnn-2", "mnist")

    missing = store.missing_names(
        experiment_names=["mnist", "gone", "Mnist"], trial_names=["cnn-2", "cnn-3", "cnn-3"]
    )

    assert missing == {"experiments": ["Mnist", "gone"], "trials": ["cnn-3"]}
    assert store.missing_names() == {"experiments": [], "trials": []}


def test_trial_mappings_pair_each_trial_with_its_experiment(store: TrackingStore) -> None:
    store.create_experiment("mnist")
    store.create_experiment("cifar")
    store.create_component("shared")
    store.create_component("alone")
    for trial, experiment in [("b", "mnist"), ("A", "cifar"), ("a", "mnist")]:
        store.create_trial(trial, experiment)
        store.associate(trial, "shared")

    assert store.trial_mappings("shared") == [("A", "cifar"), ("a", "mnist"), ("b", "mnist")]
    assert store.trial_mappings("alone") == []
    with pytest.raises(NotFoundError, match="missing"):
        store.trial_mappings("missing")


@pytest.mark.parametrize(
    ("name", "operator", "value", "expected"),
    [
        ("Tags.epochs", "Equals", 5, ["five"]),
        ("Tags.epochs", "In", [5, 7], ["five"]),
        ("Tags.epochs", "NotEquals", 5, ["seven"]),
        ("Name", "GreaterThan", 0, ["five", "seven"]),
        ("DisplayName", "Equals", 7, ["seven"]),
    ],
    ids=["tag-equals", "tag-in", "tag-not-equals", "name-greater-than", "display-name"],
)
def test_filter_number_on_text(
    store: TrackingStore, name: str, operator: str, value: Any, expected: list[str]
) -> None:
    store.create_experiment("five", display_name="5", tags={"epochs": "5"})
    store.create_experiment("seven", display_name="7", tags={"epochs": "7.5"})
    expression = {"Filters": [{"Name": name, "Operator": operator, "Value": value}]}

    found = store.list_experiments(search_expression=expression)

    assert sorted(record["name"] for record in found) == expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [("LessThan", []), ("GreaterThanOrEqualTo", []), ("Equals", ["nan"]), ("NotEquals", ["one"])],
)
def test_filter_parameter_nan(store: TrackingStore, operator: str, expected: list[str]) -> None:
    store.create_component("one", parameters={"lr": 0.1})
    store.create_component("nan", parameters={"lr": math.nan})
    expression = {"Filters": [{"Name": "Parameters.lr", "Operator": operator, "Value": math.nan}]}

    found = store.search_components(search_expression=expression)

    assert sorted(record["name"] for record in found) == expected


def test_filter_metric_nan(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", [("loss", 0.5, 0, 1000.0)])
    expression = {
        "Filters": [{"Name": "Metrics.loss.Max", "Operator": "LessThan", "Value": math.nan}]
    }

    with pytest.raises(ValidationError, match="other than NaN"):
        store.search_components(search_expression=expression)


# -- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_class", "message", "retried"),
    [
        ("SerializationFailure", "konnte Zugriff nicht serialisieren wegen gleichzeitiger", True),
        ("DeadlockDetected", "Verklemmung (Deadlock) entdeckt", True),
        ("LockNotAvailable", "konnte Sperre für Zeile in Relation »runs« nicht setzen", True),
        ("QueryCanceled", "storniere Anfrage wegen Benutzeraufforderung", False),
    ],
)
def test_retry_by_sqlstate(error_class: str, message: str, retried: bool) -> None:
    # PostgreSQL words its messages in the server's lc_messages language; these are the German
    # ones of PostgreSQL 15.
    errors = pytest.importorskip("psycopg.errors")
    error = OperationalError("UPDATE ...", {}, getattr(errors, error_class)(message))

    assert TrackingStore._is_retryable(error) is retried


def test_retry_sqlite_busy() -> None:
    import sqlite3

    error = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    assert TrackingStore._is_retryable(error)


def test_serialization_failure_retried(store: TrackingStore) -> None:
    require_postgresql(store)
    store.create_experiment("e", description="first")
    attempts: list[int] = []

    def work(connection: sa.Connection) -> None:
        attempts.append(1)
        connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        connection.execute(sa.text("SELECT description FROM experiments WHERE name = 'e'"))
        if len(attempts) == 1:
            # Another writer changes the row after this transaction's snapshot was taken.
            with store.engine.begin() as other:
                other.execute(sa.text("UPDATE experiments SET description = 'other'"))
        connection.execute(sa.text("UPDATE experiments SET description = 'mine'"))

    store._write(work, "test write")

    assert len(attempts) == 2
    assert store.get_experiment("e")["description"] == "mine"


# -- concurrent writers ---------------------------------------------------------------------


def test_concurrent_associate(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    rounds = 20
    for index in range(rounds):
        store.create_component(f"c{index}")

    errors = []
    for index in range(rounds):
        errors += run_together(WRITERS, lambda _, index=index: store.associate("t", f"c{index}"))

    assert errors == []
    assert len(store.search_components(trial_names=["t"])) == rounds


def test_concurrent_job_settings_merge(store: TrackingStore) -> None:
    store.create_component("c", job_settings={"first": 0})

    errors = run_together(
        WRITERS, lambda index: store.update_component("c", job_settings={f"k{index}": index})
    )

    settings = store.get_component("c")["job_settings"]
    assert errors == []
    assert settings == {"first": 0, **{f"k{index}": index for index in range(WRITERS)}}


def test_concurrent_new_metric(store: TrackingStore) -> None:
    store.create_component("c")

    errors = run_together(
        WRITERS, lambda index: store.log_metrics("c", [("loss", float(index), index, 1000.0)])
    )

    summary = store.get_component("c")["metrics"]["loss"]
    assert errors == []
    assert summary["count"] == WRITERS
    assert summary["max"] == WRITERS - 1


def test_delete_experiment_waits_for_new_trial(store: TrackingStore) -> None:
    store.create_experiment("e")
    experiment_id = store.get_experiment("e")["id"]

    # Given: another writer is adding a trial to the experiment and has not committed yet
    with store.engine.begin() as other:
        other.execute(
            trials.insert().values(
                name="late", experiment_id=experiment_id, created_at=1.0, modified_at=1.0
            )
        )
        deletion = Background(lambda: store.delete_experiment("e", force=True))
        time.sleep(BLOCKED_WAIT_S)
        blocked = deletion.running

    # Then: the deletion waited for that trial, and deleted it as well
    deletion.join()
    assert blocked
    assert deletion.error is None
    assert deletion.result["trials"] == ["late"]


def test_delete_component_waits_for_association(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")
    trial_id = store.get_trial("t")["id"]
    component_id = store.get_component("c")["id"]

    # Given: another writer is adding the component to a trial and has not committed yet
    with store.engine.begin() as other:
        other.execute(
            trial_component_links.insert().values(
                trial_id=trial_id, component_id=component_id, created_at=1.0
            )
        )
        deletion = Background(lambda: store.delete_component("c"))
        time.sleep(BLOCKED_WAIT_S)

    # Then: the deletion saw the new link, so the component stays
    deletion.join()
    assert isinstance(deletion.error, ConflictError)
    assert store.component_exists("c")


# -- change events --------------------------------------------------------------------------


def test_change_events_commit_in_order(store: TrackingStore) -> None:
    release = threading.Event()

    def slow_work(connection: sa.Connection) -> None:
        store._record_change(connection, "experiment", "slow", "created")
        assert release.wait(timeout=30)

    # Given: a write that took the first change id and has not committed yet
    slow = Background(lambda: store._write(slow_work, "slow write"))
    time.sleep(BLOCKED_WAIT_S)

    # When: another write comes after it
    fast = Background(lambda: store.create_experiment("fast"))
    time.sleep(BLOCKED_WAIT_S)
    visible_before_commit = store.changes_since(0)
    release.set()
    slow.join()
    fast.join()

    # Then: the later event was not visible before the earlier one, and ids follow commits
    events = store.changes_since(0)
    assert visible_before_commit == []
    assert slow.error is None
    assert fast.error is None
    assert [event["resource_name"] for event in events] == ["slow", "fast"]


def test_change_notified(store: TrackingStore) -> None:
    require_postgresql(store)
    psycopg = pytest.importorskip("psycopg")
    url = store.engine.url
    arguments = store.engine.dialect.create_connect_args(url)[1]

    with psycopg.connect(**arguments, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANGE_NOTIFY_CHANNEL}")
        store.create_experiment("e")
        notices = list(listener.notifies(timeout=5, stop_after=1))

    assert [notice.channel for notice in notices] == [CHANGE_NOTIFY_CHANNEL]
    assert notices[0].payload == str(store.latest_change_id())


def test_dry_run_sends_no_notice(store: TrackingStore) -> None:
    require_postgresql(store)
    psycopg = pytest.importorskip("psycopg")
    store.create_experiment("e")
    arguments = store.engine.dialect.create_connect_args(store.engine.url)[1]

    with psycopg.connect(**arguments, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANGE_NOTIFY_CHANNEL}")
        store.delete_experiment("e", dry_run=True)
        notices = list(listener.notifies(timeout=0.5))

    assert notices == []
