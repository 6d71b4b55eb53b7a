"""The Idempotency-Key header of metric batches: a repeated key gets the first reply, no write."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from server_helpers import Request, payload

from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.schema import metric_batch_keys
from jupyter_experiments.store.store import METRIC_BATCH_KEY_RETENTION_S

POINTS = [("loss", 0.5, 0, 1.0), ("loss", 0.4, 1, 2.0)]

#: Requests, or threads, that send one batch at the same time.
CONCURRENT_REPEATS = 8

BATCH = {
    "metrics": [
        {"name": "loss", "value": 0.5, "step": 0},
        {"name": "loss", "value": 0.4, "step": 1},
    ]
}


def point_count(store: TrackingStore, component: str) -> int:
    return len(store.get_metric_series(component, "loss"))


def stored_keys(store: TrackingStore) -> set[str]:
    with store.engine.connect() as connection:
        return set(connection.execute(sa.select(metric_batch_keys.c.key)).scalars())


def age_key(store: TrackingStore, key: str, seconds: float) -> None:
    """Move a key's creation time ``seconds`` into the past."""
    column = metric_batch_keys.c.created_at
    with store.engine.begin() as connection:
        connection.execute(
            metric_batch_keys.update()
            .where(metric_batch_keys.c.key == key)
            .values(created_at=column - seconds)
        )


@pytest.fixture
def fresh(store: TrackingStore) -> Iterator[TrackingStore]:
    """A new store object on the fixture's database, which has not deleted old keys yet."""
    opened = TrackingStore(store.url)
    yield opened
    opened.dispose()


async def test_repeated_key_not_written(api: Request, tracking: TrackingStore) -> None:
    # Given: a component and one batch sent with a key
    tracking.create_component("job-1")
    key = str(uuid.uuid4())
    first = await api(
        "POST", "trial-components/job-1/metrics", BATCH, headers={"Idempotency-Key": key}
    )

    # When: the same batch comes again with the same key
    second = await api(
        "POST", "trial-components/job-1/metrics", BATCH, headers={"Idempotency-Key": key}
    )

    # Then: both get the first reply, and the points are stored once
    assert first.code == 200
    assert second.code == 200
    assert payload(second) == payload(first) == {"written": 2}
    assert point_count(tracking, "job-1") == 2
    assert tracking.get_component("job-1")["metrics"]["loss"]["count"] == 2


async def test_new_key_written_again(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("job-1")
    for _ in range(2):
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        response = await api("POST", "trial-components/job-1/metrics", BATCH, headers=headers)
        assert response.code == 200

    assert point_count(tracking, "job-1") == 4


async def test_no_key_written_again(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("job-1")
    for _ in range(2):
        response = await api("POST", "trial-components/job-1/metrics", BATCH)
        assert response.code == 200

    assert point_count(tracking, "job-1") == 4


async def test_key_of_other_component_conflicts(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("job-1")
    tracking.create_component("job-2")
    headers = {"Idempotency-Key": "batch-1"}
    await api("POST", "trial-components/job-1/metrics", BATCH, headers=headers)

    response = await api("POST", "trial-components/job-2/metrics", BATCH, headers=headers)

    assert response.code == 409
    assert "another trial component" in payload(response)["message"]
    assert tracking.get_component("job-2")["metrics"] == {}


async def test_invalid_key_rejected(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("job-1")
    headers = {"Idempotency-Key": "x" * 256}

    response = await api("POST", "trial-components/job-1/metrics", BATCH, headers=headers)

    assert response.code == 400
    assert "Invalid Idempotency-Key header" in payload(response)["message"]
    assert tracking.get_component("job-1")["metrics"] == {}


async def test_rejected_batch_key_unused(api: Request, tracking: TrackingStore) -> None:
    # Given: a batch that fails validation under a key
    tracking.create_component("job-1")
    headers = {"Idempotency-Key": "batch-1"}
    bad = {"metrics": [{"name": "loss", "value": "high", "step": 0}]}
    rejected = await api("POST", "trial-components/job-1/metrics", bad, headers=headers)

    # When: a valid batch comes with the same key
    accepted = await api("POST", "trial-components/job-1/metrics", BATCH, headers=headers)

    # Then: the key was not spent by the rejected batch
    assert rejected.code == 400
    assert payload(accepted) == {"written": 2}
    assert point_count(tracking, "job-1") == 2


async def test_key_goes_with_component(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("job-1")
    headers = {"Idempotency-Key": "batch-1"}
    await api("POST", "trial-components/job-1/metrics", BATCH, headers=headers)
    tracking.delete_component("job-1")
    tracking.create_component("job-1")

    response = await api("POST", "trial-components/job-1/metrics", BATCH, headers=headers)

    assert payload(response) == {"written": 2}
    assert point_count(tracking, "job-1") == 2


async def test_concurrent_repeats_written_once(api: Request, tracking: TrackingStore) -> None:
    # Given: a component, and one batch sent several times at once under one key
    tracking.create_component("job-1")
    headers = {"Idempotency-Key": str(uuid.uuid4())}

    # When: the server runs the requests in its thread pool at the same time
    responses = await asyncio.gather(
        *(
            api("POST", "trial-components/job-1/metrics", BATCH, headers=headers)
            for _ in range(CONCURRENT_REPEATS)
        )
    )

    # Then: each gets the reply of the one write, and the points are stored once
    assert [response.code for response in responses] == [200] * CONCURRENT_REPEATS
    assert all(payload(response) == {"written": 2} for response in responses)
    assert point_count(tracking, "job-1") == 2
    assert tracking.get_component("job-1")["metrics"]["loss"]["count"] == 2


def test_store_concurrent_repeats(store: TrackingStore) -> None:
    # Given: threads that each log the same batch under one key, released together
    store.create_component("job-1")
    start = threading.Barrier(CONCURRENT_REPEATS)

    def log_once() -> int:
        start.wait()
        return store.log_metrics("job-1", POINTS, idempotency_key="batch-1")

    # When: they write at the same time
    with ThreadPoolExecutor(CONCURRENT_REPEATS) as pool:
        counts = list(pool.map(lambda _: log_once(), range(CONCURRENT_REPEATS)))

    # Then: every call returns the count of the one write, which happened once
    assert counts == [2] * CONCURRENT_REPEATS
    assert point_count(store, "job-1") == 2
    assert store.get_component("job-1")["metrics"]["loss"]["count"] == 2


def test_store_key_recorded_meanwhile(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: a batch written under a key, and a check that misses the key once, as it would if
    # another transaction recorded the key between the check and the insert. The component's
    # row lock prevents that interleaving today, so the test brings it about this way.
    store.create_component("job-1")
    store.log_metrics("job-1", POINTS, idempotency_key="batch-1")
    real_check = TrackingStore._applied_batch
    checks: list[str] = []

    def check_missing_once(
        connection: sa.Connection, key: str, component_id: int, component_name: str
    ) -> int | None:
        checks.append(key)
        if len(checks) == 1:
            return None
        return real_check(connection, key, component_id, component_name)

    monkeypatch.setattr(TrackingStore, "_applied_batch", staticmethod(check_missing_once))

    # When: the batch comes again; its key insert fails on the recorded key
    written = store.log_metrics("job-1", POINTS, idempotency_key="batch-1")

    # Then: it returns the first write's count, and the second write was rolled back
    assert written == 2
    assert checks == ["batch-1", "batch-1"]
    assert point_count(store, "job-1") == 2
    assert store.get_component("job-1")["metrics"]["loss"]["count"] == 2


def test_old_keys_deleted_on_write(store: TrackingStore, fresh: TrackingStore) -> None:
    # Given: a key older than the retention, and a recent one
    store.create_component("job-1")
    store.log_metrics("job-1", POINTS, idempotency_key="old")
    store.log_metrics("job-1", POINTS, idempotency_key="recent")
    age_key(store, "old", METRIC_BATCH_KEY_RETENTION_S + 60)

    # When: a store object writes its first keyed batch
    fresh.log_metrics("job-1", POINTS, idempotency_key="new")

    # Then: only the old key is gone; the points stay
    assert stored_keys(store) == {"recent", "new"}
    assert point_count(store, "job-1") == 6


def test_keys_deleted_once_an_hour(fresh: TrackingStore) -> None:
    # Given: a store object that deleted old keys with its first keyed batch
    fresh.create_component("job-1")
    fresh.log_metrics("job-1", POINTS, idempotency_key="first")
    age_key(fresh, "first", METRIC_BATCH_KEY_RETENTION_S + 60)

    # When: it writes another keyed batch within the hour
    fresh.log_metrics("job-1", POINTS, idempotency_key="second")

    # Then: the old key is kept until the next deletion
    assert stored_keys(fresh) == {"first", "second"}


def test_prune_batch_keys(store: TrackingStore) -> None:
    store.create_component("job-1")
    store.log_metrics("job-1", POINTS, idempotency_key="old")
    store.log_metrics("job-1", POINTS, idempotency_key="recent")
    age_key(store, "old", 3600)

    removed = store.prune_batch_keys(older_than_s=60)

    assert removed == 1
    assert stored_keys(store) == {"recent"}
