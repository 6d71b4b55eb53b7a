"""The Idempotency-Key header of metric batches: a repeated key gets the first reply, no write."""

from __future__ import annotations

import uuid

from server_helpers import Request, payload

from jupyter_experiments.store import TrackingStore

BATCH = {
    "metrics": [
        {"name": "loss", "value": 0.5, "step": 0},
        {"name": "loss", "value": 0.4, "step": 1},
    ]
}


def point_count(store: TrackingStore, component: str) -> int:
    return len(store.get_metric_series(component, "loss"))


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
