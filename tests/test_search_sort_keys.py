"""Derived sort keys: trial, experiment, duration, artifact values and job settings.

Each sort puts components without the value last in both directions, as the other sort keys do.
"""

from __future__ import annotations

import time

import pytest

from jupyter_experiments.errors import ValidationError
from jupyter_experiments.store import TrackingStore


def sorted_names(store: TrackingStore, sort_by: str, sort_order: str) -> list[str]:
    records = store.search_components(sort_by=sort_by, sort_order=sort_order)
    return [record["name"] for record in records]


@pytest.fixture
def parented(store: TrackingStore) -> TrackingStore:
    """Components in trials of two experiments, one in two trials, one in none."""
    store.create_experiment("zeta")
    store.create_experiment("Alpha")
    store.create_trial("t-b", "zeta")
    store.create_trial("t-a", "Alpha")
    store.create_trial("t-c", "Alpha")
    for name in ("in-b", "in-a-and-c", "in-c", "alone"):
        store.create_component(name)
    store.associate("t-b", "in-b")
    store.associate("t-a", "in-a-and-c")
    store.associate("t-c", "in-a-and-c")
    store.associate("t-c", "in-c")
    return store


@pytest.mark.parametrize(
    ("sort_order", "expected"),
    [
        ("Ascending", ["in-a-and-c", "in-b", "in-c", "alone"]),
        ("Descending", ["in-c", "in-b", "in-a-and-c", "alone"]),
    ],
)
def test_sort_by_trial(parented: TrackingStore, sort_order: str, expected: list[str]) -> None:
    assert sorted_names(parented, "trial", sort_order) == expected


@pytest.mark.parametrize(
    ("sort_order", "expected"),
    [
        # Code point order puts "Alpha" before "zeta"; ties keep creation order.
        ("Ascending", ["in-a-and-c", "in-c", "in-b", "alone"]),
        ("Descending", ["in-b", "in-c", "in-a-and-c", "alone"]),
    ],
)
def test_sort_by_experiment(parented: TrackingStore, sort_order: str, expected: list[str]) -> None:
    assert sorted_names(parented, "experiment", sort_order) == expected


@pytest.fixture
def timed(store: TrackingStore) -> TrackingStore:
    """Components that took 30 s and 5 s, one running for about 100 s, and two without one."""
    now = time.time()
    store.create_component("thirty", status="Completed", start_time=now - 60, end_time=now - 30)
    store.create_component("five", status="Failed", start_time=now - 10, end_time=now - 5)
    store.create_component("running", status="InProgress", start_time=now - 100)
    store.create_component("no-start", status="Completed", end_time=now)
    store.create_component("no-end", status="Completed", start_time=now - 1000)
    return store


@pytest.mark.parametrize(
    ("sort_order", "expected"),
    [
        ("Ascending", ["five", "thirty", "running", "no-start", "no-end"]),
        # Ties, here the missing values, follow creation order in the sort's direction.
        ("Descending", ["running", "thirty", "five", "no-end", "no-start"]),
    ],
)
def test_sort_by_duration(timed: TrackingStore, sort_order: str, expected: list[str]) -> None:
    assert sorted_names(timed, "duration", sort_order) == expected


@pytest.fixture
def with_artifacts(store: TrackingStore) -> TrackingStore:
    """Components a and b with input 'data' and output 'model', and two without those."""
    store.create_component(
        "b",
        input_artifacts={"data": {"value": "s3://bucket/b"}},
        output_artifacts={"model": {"value": "file:///m/2"}},
    )
    store.create_component(
        "a",
        input_artifacts={"data": {"value": "s3://bucket/a"}},
        output_artifacts={"model": {"value": "file:///m/1"}},
    )
    store.create_component("none")
    # An output with the input's name must not count as the input.
    store.create_component("output-only", output_artifacts={"data": {"value": "s3://0"}})
    return store


@pytest.mark.parametrize(
    ("sort_by", "sort_order", "expected"),
    [
        ("input_artifacts.data", "Ascending", ["a", "b", "none", "output-only"]),
        ("input_artifacts.data", "Descending", ["b", "a", "output-only", "none"]),
        ("output_artifacts.model", "Ascending", ["a", "b", "none", "output-only"]),
        ("output_artifacts.model", "Descending", ["b", "a", "output-only", "none"]),
        ("output_artifacts.data", "Ascending", ["output-only", "b", "a", "none"]),
    ],
)
def test_sort_by_artifact(
    with_artifacts: TrackingStore, sort_by: str, sort_order: str, expected: list[str]
) -> None:
    assert sorted_names(with_artifacts, sort_by, sort_order) == expected


def test_sort_by_artifact_pages(with_artifacts: TrackingStore) -> None:
    first = with_artifacts.search_components(
        sort_by="input_artifacts.data", sort_order="Descending", limit=2
    )
    rest = with_artifacts.search_components(
        sort_by="input_artifacts.data", sort_order="Descending", offset=2
    )

    assert [record["name"] for record in first + rest] == ["b", "a", "output-only", "none"]


@pytest.mark.parametrize("sort_by", ["input_artifacts.", "artifacts.data", "trials"])
def test_sort_derived_invalid(store: TrackingStore, sort_by: str) -> None:
    with pytest.raises(ValidationError, match=r"input_artifacts\.<name>"):
        store.search_components(sort_by=sort_by)


@pytest.fixture
def configured(store: TrackingStore) -> TrackingStore:
    """Components whose job setting ``epochs`` is 10, 2.5, "auto", true, null or missing."""
    settings = {
        "ten": {"epochs": 10, "host": "b"},
        "half": {"epochs": 2.5, "host": "a"},
        "auto": {"epochs": "auto"},
        "flag": {"epochs": True},
        "null": {"epochs": None},
        "none": {"host": "c"},
        "bare": None,
    }
    for name, job_settings in settings.items():
        store.create_component(name, job_settings=job_settings)
    return store


@pytest.mark.parametrize(
    ("sort_order", "expected"),
    [
        # Numbers as numbers, then text by code point ("auto" < "true"), then the missing
        # ones in creation order, which ties follow in the sort's direction.
        ("Ascending", ["half", "ten", "auto", "flag", "null", "none", "bare"]),
        ("Descending", ["ten", "half", "flag", "auto", "bare", "none", "null"]),
    ],
)
def test_sort_by_job_setting(
    configured: TrackingStore, sort_order: str, expected: list[str]
) -> None:
    assert sorted_names(configured, "job_settings.epochs", sort_order) == expected


def test_sort_by_job_setting_text(configured: TrackingStore) -> None:
    names = sorted_names(configured, "job_settings.host", "Ascending")

    assert names[:3] == ["half", "ten", "none"]


def test_sort_by_job_setting_quote_rejected(configured: TrackingStore) -> None:
    with pytest.raises(ValidationError, match="without double quotes"):
        configured.search_components(sort_by='job_settings.a"b')
