"""Job setting keys in the columns endpoint (``query/columns``), with their JSON types."""

from __future__ import annotations

from server_helpers import Request, payload

from jupyter_experiments.store import TrackingStore


async def test_columns_job_settings(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component(
        "job-a",
        job_settings={
            "host": "gpu-1",
            "exit_code": 0,
            "training_time_s": 12.5,
            "spot": True,
            "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*)"}],
            "resources": {"gpus": 1},
            "end_time": None,
        },
    )

    response = await api("POST", "query/columns", {"unassigned": True})

    assert response.code == 200
    assert payload(response)["job_settings"] == [
        {"name": "end_time", "type": "null"},
        {"name": "exit_code", "type": "number"},
        {"name": "host", "type": "string"},
        {"name": "metric_definitions", "type": "array"},
        {"name": "resources", "type": "object"},
        {"name": "spot", "type": "boolean"},
        {"name": "training_time_s", "type": "number"},
    ]


async def test_columns_job_settings_mixed(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("a", job_settings={"code": 1, "end_time": None})
    tracking.create_component("b", job_settings={"code": "x", "end_time": "2026-01-01"})

    response = await api("GET", "query/columns", params={"unassigned": "true"})

    assert payload(response)["job_settings"] == [
        {"name": "code", "type": "mixed"},
        {"name": "end_time", "type": "string"},
    ]


async def test_columns_job_settings_selection(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("e")
    tracking.create_trial("t", "e")
    tracking.create_component("in-trial", job_settings={"inside": 1})
    tracking.create_component("outside", job_settings={"outside": 1})
    tracking.create_component("without")
    tracking.associate("t", "in-trial")

    response = await api("POST", "query/columns", {"trials": ["t"]})

    assert payload(response)["job_settings"] == [{"name": "inside", "type": "number"}]
