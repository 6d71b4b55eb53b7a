"""The count of trial components that the store keeps for each experiment.

Every write that adds or removes a link between a trial and a component keeps
``experiments.component_count`` equal to the number of distinct components in the
experiment's trials. These tests check it against that number counted from the links, after
every kind of write, on every backend of the ``store`` fixture.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from test_store_backends import run_together

from jupyter_experiments.errors import ConflictError, NotFoundError
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.schema import experiments, trial_component_links, trials

#: Threads that associate components at once in the concurrency test.
WRITERS = 8

#: The writes of the random test, associations the most frequent.
ACTIONS = (
    "trial",
    "component",
    "associate",
    "associate",
    "associate",
    "disassociate",
    "delete trial",
    "delete component",
)


def kept_counts(store: TrackingStore) -> dict[str, int]:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(experiments.c.name, experiments.c.component_count))
        return {name: count for name, count in rows}


def counted_from_links(store: TrackingStore) -> dict[str, int]:
    distinct = sa.func.count(trial_component_links.c.component_id.distinct())
    query = (
        sa.select(experiments.c.name, distinct)
        .select_from(experiments)
        .outerjoin(trials, trials.c.experiment_id == experiments.c.id)
        .outerjoin(trial_component_links, trial_component_links.c.trial_id == trials.c.id)
        .group_by(experiments.c.name)
    )
    with store.engine.connect() as connection:
        return {name: count for name, count in connection.execute(query)}


def test_counts_follow_links(store: TrackingStore) -> None:
    # Given: two experiments, a component shared by two trials of one, and one in both
    store.create_experiment("a")
    store.create_experiment("b")
    for trial, experiment in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        store.create_trial(trial, experiment)
    for component in ("shared", "both", "own"):
        store.create_component(component)
    store.associate("a1", "shared")
    store.associate("a2", "shared")
    store.associate("a1", "both")
    store.associate("b1", "both")
    store.associate("a2", "own")
    store.associate("a2", "own")

    # Then: each component counts once per experiment
    assert kept_counts(store) == {"a": 3, "b": 1}

    # When: a shared component leaves one of its trials, it stays counted
    store.disassociate("a1", "shared")
    assert kept_counts(store)["a"] == 3

    # When: it leaves the last one, it is no longer counted
    store.disassociate("a2", "shared")
    store.disassociate("a2", "shared")
    assert kept_counts(store) == {"a": 2, "b": 1}

    # When: a component of two experiments is deleted, both lose it
    store.delete_component("both", force_disassociate=True)
    assert kept_counts(store) == {"a": 1, "b": 0}


def test_count_after_trial_deletion(store: TrackingStore) -> None:
    # Given: a component in two trials of one experiment and one only in the first trial
    store.create_experiment("e")
    store.create_trial("t1", "e")
    store.create_trial("t2", "e")
    store.create_component("shared")
    store.create_component("only")
    store.create_component("deleted")
    for trial, component in (("t1", "shared"), ("t2", "shared"), ("t1", "only")):
        store.associate(trial, component)
    store.associate("t2", "deleted")

    # When: the first trial is deleted, its components kept
    store.delete_trial("t1")

    # Then: only the component that no other trial contains leaves the count
    assert kept_counts(store) == {"e": 2}

    # When: the second trial is deleted with its components
    store.delete_trial("t2", delete_components=True)
    assert kept_counts(store) == {"e": 0}
    assert not store.component_exists("deleted")


def test_dry_run_and_rejected_writes_keep_count(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")
    store.associate("t", "c")

    store.delete_trial("t", delete_components=True, dry_run=True)
    store.delete_experiment("e", force=True, dry_run=True)
    with pytest.raises(ConflictError):
        store.delete_component("c")
    with pytest.raises(NotFoundError):
        store.associate("t", "missing")

    assert kept_counts(store) == {"e": 1}


def test_counts_after_random_writes(store: TrackingStore) -> None:
    """Interleave every write that changes links, and compare with the links after each."""
    chooser = random.Random(20261205)
    store.create_experiment("x")
    store.create_experiment("y")
    trial_names: list[str] = []
    component_names: list[str] = []
    for step in range(120):
        action = chooser.choice(ACTIONS)
        if action == "trial" or not trial_names:
            name = f"t{step}"
            store.create_trial(name, chooser.choice(["x", "y"]))
            trial_names.append(name)
        elif action == "component" or not component_names:
            name = f"c{step}"
            store.create_component(name)
            component_names.append(name)
        elif action == "associate":
            store.associate(chooser.choice(trial_names), chooser.choice(component_names))
        elif action == "disassociate":
            store.disassociate(chooser.choice(trial_names), chooser.choice(component_names))
        elif action == "delete trial":
            name = chooser.choice(trial_names)
            result = store.delete_trial(name, delete_components=chooser.random() < 0.5)
            trial_names.remove(name)
            for deleted in result["trial_components"]:
                component_names.remove(deleted)
        else:
            name = chooser.choice(component_names)
            store.delete_component(name, force_disassociate=True)
            component_names.remove(name)
        assert kept_counts(store) == counted_from_links(store), f"after step {step}: {action}"

    # The store's count of one experiment is the kept one, and equals the query's.
    for experiment in ("x", "y"):
        by_query = store.count_components(experiment_names=[experiment], created_after=0.0)
        assert store.kept_component_count(experiment_names=[experiment]) == by_query
        assert store.count_components(experiment_names=[experiment]) == by_query


def test_kept_count_only_for_one_experiment(store: TrackingStore) -> None:
    store.create_experiment("a")
    store.create_experiment("b")

    assert store.kept_component_count(experiment_names=["a"]) == 0
    assert store.kept_component_count(experiment_names=["a", "a"]) == 0
    assert store.kept_component_count(experiment_names=["a", "b"]) is None
    assert store.kept_component_count(experiment_names=["missing"]) is None
    assert store.kept_component_count(experiment_names=["a"], trial_names=["t"]) is None
    assert store.kept_component_count(experiment_names=["a"], unassigned=True) is None
    assert store.kept_component_count(experiment_names=["a"], name_contains="x") is None
    assert store.kept_component_count(experiment_names=["a"], search_expression={}) is None
    assert store.kept_component_count(trial_names=["t"]) is None
    assert store.count_components(experiment_names=["missing"]) == 0


def test_concurrent_associations_count_once(store: TrackingStore) -> None:
    """Writers that add one component to different trials of one experiment count it once."""
    store.create_experiment("e")
    store.create_component("c")
    for index in range(WRITERS):
        store.create_trial(f"t{index}", "e")
    errors = run_together(WRITERS, lambda index: store.associate(f"t{index}", "c"))

    assert errors == []
    assert kept_counts(store) == {"e": 1}

    # And writers that remove it from every trial at once leave none.
    errors = run_together(WRITERS, lambda index: store.disassociate(f"t{index}", "c"))

    assert errors == []
    assert kept_counts(store) == {"e": 0}


#: Seconds a link write waits, holding its first row lock, in the lock order test.
PAUSE_S = 0.5

#: Each write that changes links, run beside a forced deletion of its experiment.
LINK_WRITES = {
    "associate": lambda store: store.associate("t", "free"),
    "disassociate": lambda store: store.disassociate("t", "c"),
    "delete trial": lambda store: store.delete_trial("t", delete_components=True),
    "delete component": lambda store: store.delete_component("c", force_disassociate=True),
}


@pytest.mark.parametrize("write", list(LINK_WRITES))
def test_link_write_beside_experiment_deletion(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    """A link write and a deletion of its experiment lock rows in one order: no deadlock."""
    if store.dialect != "postgresql":
        pytest.skip("SQLite's write transactions exclude each other, so they take no row locks")
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")
    store.create_component("free")
    store.associate("t", "c")

    # The link write pauses after the first row it locks by name, the deletion starts then.
    retried: list[str | None] = []
    is_retryable = TrackingStore._is_retryable
    monkeypatch.setattr(
        TrackingStore,
        "_is_retryable",
        staticmethod(
            lambda error: (
                retried.append(getattr(error.orig, "sqlstate", None)) or is_retryable(error)
            )
        ),
    )
    id_of = TrackingStore._id_of
    paused = threading.Event()

    def pausing_id_of(*args: Any, **kwargs: Any) -> int:
        found = id_of(*args, **kwargs)
        if threading.current_thread().name == "link write" and not paused.is_set():
            paused.set()
            time.sleep(PAUSE_S)
        return found

    monkeypatch.setattr(TrackingStore, "_id_of", staticmethod(pausing_id_of))
    errors: list[BaseException] = []

    def link_write() -> None:
        try:
            LINK_WRITES[write](store)
        except (ConflictError, NotFoundError):
            pass
        except BaseException as error:
            errors.append(error)

    def deletion() -> None:
        paused.wait(timeout=30)
        try:
            store.delete_experiment("e", force=True)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=link_write, name="link write"),
        threading.Thread(target=deletion, name="deletion"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert retried == []
    assert kept_counts(store) == counted_from_links(store)
