"""Error replies of the REST API: unknown paths and conflicts name what to do in REST terms."""

from __future__ import annotations

from server_helpers import Request, payload

from jupyter_experiments.store import TrackingStore


async def test_unknown_path_json(api: Request) -> None:
    response = await api("GET", "nope")

    assert response.code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert "experiments/api/nope" in payload(response)["message"]


async def test_unknown_nested_path_json(api: Request) -> None:
    response = await api("POST", "trial-components/c1/nope", body={})

    assert response.code == 404
    assert "openapi.json" in payload(response)["message"]


async def test_known_path_unchanged(api: Request) -> None:
    response = await api("GET", "experiments/absent")

    assert response.code == 404
    assert "absent" in payload(response)["message"]


async def test_delete_in_trial_names_force(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_component("c1")
    tracking.associate("t1", "c1")

    response = await api("DELETE", "trial-components/c1")
    message = payload(response)["message"]

    assert response.code == 409
    assert "force=true" in message
    assert "force_disassociate" not in message
    assert "t1" in message
