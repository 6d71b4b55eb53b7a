"""Writes of remote clients: create trial components, log parameters, metrics and status."""

from __future__ import annotations

import math

import pytest
from server_helpers import Request, payload, server_config
from traitlets.config import Config

from jupyter_experiments.store import TrackingStore

MAX_BATCH = 50
MAX_BODY = 4096


@pytest.fixture
def jp_server_config(server_backend: str) -> Config:
    return server_config(max_metric_batch=MAX_BATCH, max_body_bytes=MAX_BODY)


async def test_create_component(api: Request, tracking: TrackingStore) -> None:
    # When
    response = await api(
        "POST",
        "trial-components",
        {
            "name": "remote-1",
            "status": "InProgress",
            "start_time": "2024-05-01T12:00:00Z",
            "parameters": {"lr": 0.1, "layers": 3, "tuned": True},
            "input_artifacts": {
                "data": {"value": "s3://bucket/train.csv", "media_type": "text/csv"}
            },
            "source_type": "remote",
        },
    )

    # Then
    assert response.code == 201
    assert response.headers["Location"] == "/a%40b/experiments/api/trial-components/remote-1"
    stored = tracking.get_component("remote-1")
    assert stored["parameters"] == {"lr": 0.1, "layers": 3, "tuned": True}
    assert stored["start_time"] == 1714564800.0
    assert stored["input_artifacts"]["data"]["media_type"] == "text/csv"


async def test_create_component_in_trial(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")

    response = await api(
        "POST", "trial-components", {"name": "c1", "experiment": "mnist", "trial": "t1"}
    )

    assert response.code == 201
    assert payload(response)["trials"] == ["t1"]


async def test_create_component_trial_without_experiment(api: Request) -> None:
    response = await api("POST", "trial-components", {"name": "c1", "trial": "t1"})

    assert response.code == 400
    assert "give both" in payload(response)["message"]


async def test_create_component_duplicate(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("c1")

    response = await api("POST", "trial-components", {"name": "c1"})

    assert response.code == 409


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "c1", "status": "Done"}, "Invalid status 'Done'"),
        ({"name": "c1", "start_time": "yesterday"}, "Invalid field 'start_time'"),
        ({"name": "c1", "parameters": [1]}, "Invalid field 'parameters'"),
        ({"name": "c1", "parameters": {"p": [1]}}, "Invalid value [1] for parameter 'p'"),
        ({"name": "c1", "output_artifacts": {"m": 5}}, "Invalid output artifact 'm'"),
    ],
)
async def test_create_component_invalid(
    api: Request, body: dict[str, object], message: str
) -> None:
    response = await api("POST", "trial-components", body)

    assert response.code == 400
    assert message in payload(response)["message"]


async def test_update_parameters_and_status(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("c1", parameters={"lr": 0.1, "old": 1})

    response = await api(
        "PATCH",
        "trial-components/c1",
        {
            "parameters": {"batch": 32},
            "parameters_to_remove": ["old"],
            "output_artifacts": {"model": {"value": "file:///tmp/m.pt"}},
            "status": "Completed",
            "status_message": "done",
            "end_time": 1714564800.5,
        },
    )

    assert response.code == 200
    stored = tracking.get_component("c1")
    assert stored["parameters"] == {"lr": 0.1, "batch": 32}
    assert stored["status"] == "Completed"
    assert stored["status_message"] == "done"
    assert stored["output_artifacts"]["model"]["value"] == "file:///tmp/m.pt"
    assert stored["end_time"] == 1714564800.5


async def test_update_missing_component(api: Request) -> None:
    response = await api("PATCH", "trial-components/absent", {"status": "Completed"})

    assert response.code == 404


async def test_log_metrics(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("c1")

    response = await api(
        "POST",
        "trial-components/c1/metrics",
        {
            "metrics": [
                {"name": "loss", "value": 2.0, "step": 0, "timestamp": 1.0},
                {"name": "loss", "value": None, "step": 1},
                {"name": "loss", "value": "-Infinity", "step": 2},
            ]
        },
    )

    assert response.code == 200
    assert payload(response) == {"written": 3}
    values = [p["value"] for p in tracking.get_metric_series("c1", "loss")]
    assert values[0] == 2.0
    assert math.isnan(values[1])
    assert values[2] == -math.inf


async def test_log_metrics_batch_limit(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("c1")
    points = [{"name": "m", "value": 1.0, "step": i} for i in range(MAX_BATCH + 1)]

    response = await api("POST", "trial-components/c1/metrics", {"metrics": points})

    assert response.code == 400
    assert payload(response)["message"] == (
        f"Too many metric points in one request: {MAX_BATCH + 1}, the limit is {MAX_BATCH} "
        "(JupyterExperiments.max_metric_batch). Split the batch."
    )
    assert tracking.list_metric_names("c1") == []


async def test_log_metrics_body_limit(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("c1")
    body = '{"metrics": [' + ",".join(['{"name":"m","value":1,"step":0}'] * 200) + "]}"

    response = await api("POST", "trial-components/c1/metrics", body)

    assert response.code == 413
    assert payload(response)["message"] == (
        f"Request body too large: {len(body)} bytes, the limit is {MAX_BODY} "
        "(JupyterExperiments.max_body_bytes)."
    )


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"name": "m", "value": "high", "step": 0}, "Invalid metrics[0].value 'high'"),
        ({"name": "m", "value": 1.0, "step": 1.5}, "Invalid metrics[0].step 1.5"),
        ({"name": "m", "value": 1.0}, "Missing field in JSON body: metrics[0].step."),
        ({"name": "m", "value": 1.0, "step": 0, "unit": "s"}, "Unknown field 'unit'"),
        ({"name": "a\nb", "value": 1.0, "step": 0}, "names may not contain control characters"),
        ({"name": "m", "value": 1.0, "step": 2**63}, "steps are 64-bit integers"),
    ],
)
async def test_log_metrics_invalid(
    api: Request, tracking: TrackingStore, point: dict[str, object], message: str
) -> None:
    tracking.create_component("c1")

    response = await api("POST", "trial-components/c1/metrics", {"metrics": [point]})

    assert response.code == 400
    assert message in payload(response)["message"]


async def test_log_metrics_missing_component(api: Request) -> None:
    response = await api(
        "POST",
        "trial-components/absent/metrics",
        {"metrics": [{"name": "m", "value": 1, "step": 0}]},
    )

    assert response.code == 404


async def test_delete_component_in_trial(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_component("c1")
    tracking.associate("t1", "c1")

    refused = await api("DELETE", "trial-components/c1")
    forced = await api("DELETE", "trial-components/c1", params={"force": "true"})

    assert refused.code == 409
    assert forced.code == 204
    assert not tracking.component_exists("c1")


async def test_delete_component_missing(api: Request) -> None:
    response = await api("DELETE", "trial-components/absent")

    assert response.code == 404


async def test_cookie_write_needs_xsrf(api: Request, tracking: TrackingStore) -> None:
    # Given: the session cookie that a token-authenticated request receives
    login = await api("GET", "experiments")
    cookie_only = {"Authorization": "", "Cookie": login.headers["Set-Cookie"].split(";")[0]}

    # When: reading, then writing with the cookie alone, as a forged cross-site form would
    read = await api("GET", "experiments", headers=cookie_only)
    write = await api("POST", "experiments", {"name": "forged"}, headers=cookie_only)

    # Then: the cookie authenticates, but a write without the _xsrf token is refused
    assert read.code == 200
    assert write.code == 403
    assert "_xsrf" in payload(write)["message"]
    assert tracking.list_experiments(names=["forged"]) == []


async def test_body_missing(api: Request) -> None:
    response = await api("POST", "trial-components")

    assert response.code == 400
    assert payload(response)["message"] == "Missing JSON body: send a JSON object."
