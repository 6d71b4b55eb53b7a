"""REST API of experiments and trials, against a real server under the base URL /a%40b/."""

from __future__ import annotations

import pytest
from server_helpers import Request, payload

from jupyter_experiments.store import TrackingStore

SCRIPT = "<script>alert(1)</script>"


async def test_experiment_create(api: Request) -> None:
    # When
    response = await api("POST", "experiments", {"name": "mnist", "description": "digits"})

    # Then
    assert response.code == 201
    assert response.headers["Location"] == "/a%40b/experiments/api/experiments/mnist"
    assert payload(response)["name"] == "mnist"
    assert payload(response)["description"] == "digits"
    assert payload(response)["trial_count"] == 0


async def test_experiment_get(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist", display_name="MNIST", tags={"team": "vision"})

    response = await api("GET", "experiments/mnist")

    assert response.code == 200
    assert payload(response)["display_name"] == "MNIST"
    assert payload(response)["tags"] == {"team": "vision"}


async def test_cache_buster_ignored(api: Request, tracking: TrackingStore) -> None:
    # JupyterLab's ServerConnection adds a bare timestamp to GET requests.
    tracking.create_experiment("mnist")

    response = await api("GET", "experiments", params=[("1796417015786", "")])

    assert response.code == 200
    assert [item["name"] for item in payload(response)["items"]] == ["mnist"]


async def test_experiment_duplicate_conflict(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")

    response = await api("POST", "experiments", {"name": "mnist"})

    assert response.code == 409
    assert "already exists" in payload(response)["message"]


async def test_experiment_missing_not_found(api: Request) -> None:
    response = await api("GET", "experiments/absent")

    assert response.code == 404
    assert "'absent' not found" in payload(response)["message"]


async def test_experiment_invalid_name(api: Request) -> None:
    response = await api("POST", "experiments", {"name": "a b"})

    assert response.code == 400
    assert payload(response)["message"].startswith("Invalid experiment name 'a b'")


async def test_experiment_missing_field(api: Request) -> None:
    response = await api("POST", "experiments", {"display_name": "x"})

    assert response.code == 400
    assert payload(response)["message"] == "Missing field in JSON body: name."


async def test_experiment_unknown_field(api: Request) -> None:
    response = await api("POST", "experiments", {"name": "a", "colour": "red"})

    assert response.code == 400
    assert "Unknown field 'colour'" in payload(response)["message"]


async def test_experiment_invalid_json(api: Request) -> None:
    response = await api("POST", "experiments", "{not json")

    assert response.code == 400
    assert payload(response)["message"].startswith("Invalid JSON body")


async def test_experiment_body_not_object(api: Request) -> None:
    response = await api("POST", "experiments", [1, 2])

    assert response.code == 400
    assert "expected a JSON object, got an array" in payload(response)["message"]


async def test_experiment_update(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist", description="old")

    response = await api("PATCH", "experiments/mnist", {"description": "new", "tags": {"a": "1"}})

    assert response.code == 200
    assert payload(response)["description"] == "new"
    assert tracking.get_experiment("mnist")["tags"] == {"a": "1"}


async def test_experiment_update_missing(api: Request) -> None:
    response = await api("PATCH", "experiments/absent", {"description": "new"})

    assert response.code == 404


async def test_experiment_list_pages(api: Request, tracking: TrackingStore) -> None:
    for index in range(5):
        tracking.create_experiment(f"e{index}")

    # When: walking the pages two by two, sorted by name
    names: list[str] = []
    params = {"sort_by": "Name", "sort_order": "Ascending", "limit": 2}
    pages = 0
    cursor = None
    while True:
        response = await api(
            "GET", "experiments", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        page = payload(response)
        names.extend(item["name"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    # Then
    assert names == ["e0", "e1", "e2", "e3", "e4"]
    assert pages == 3
    assert page["total"] == 5


async def test_experiment_list_name_contains(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist-a")
    tracking.create_experiment("other", display_name="MNIST b")
    tracking.create_experiment("cifar")

    page = payload(await api("GET", "experiments", params={"name_contains": "mnist"}))

    assert sorted(item["name"] for item in page["items"]) == ["mnist-a", "other"]
    assert page["total"] == 2


async def test_experiment_cursor_other_sort(api: Request, tracking: TrackingStore) -> None:
    for index in range(3):
        tracking.create_experiment(f"e{index}")
    first = payload(await api("GET", "experiments", params={"limit": 1, "sort_by": "Name"}))

    response = await api(
        "GET",
        "experiments",
        params={"limit": 1, "sort_by": "CreationTime", "cursor": first["next_cursor"]},
    )

    assert response.code == 400
    assert "issued for another query" in payload(response)["message"]


async def test_experiment_cursor_forged(api: Request, tracking: TrackingStore) -> None:
    for index in range(3):
        tracking.create_experiment(f"e{index}")
    first = payload(await api("GET", "experiments", params={"limit": 1}))
    body, _, signature = first["next_cursor"].partition(".")

    response = await api(
        "GET", "experiments", params={"limit": 1, "cursor": body + ".AAAA" + signature}
    )

    assert response.code == 400
    assert "did not issue it" in payload(response)["message"]


async def test_experiment_limit_invalid(api: Request) -> None:
    response = await api("GET", "experiments", params={"limit": "0"})

    assert response.code == 400
    assert payload(response)["message"] == (
        "Invalid query parameter 'limit' '0': use an integer from 1 to 1000."
    )


async def test_experiment_unknown_parameter(api: Request) -> None:
    response = await api("GET", "experiments", params={"sortby": "Name"})

    assert response.code == 400
    assert "Unknown query parameter 'sortby'" in payload(response)["message"]


async def test_experiment_delete_conflict(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")

    response = await api("DELETE", "experiments/mnist")

    assert response.code == 409
    assert "still has 1 trial(s)" in payload(response)["message"]


async def test_experiment_delete_force(api: Request, tracking: TrackingStore) -> None:
    # Given: a component only in mnist, and one that a trial of another experiment shares
    tracking.create_experiment("mnist")
    tracking.create_experiment("other")
    tracking.create_trial("t1", "mnist")
    tracking.create_trial("t2", "other")
    tracking.create_component("own")
    tracking.create_component("shared")
    tracking.associate("t1", "own")
    tracking.associate("t1", "shared")
    tracking.associate("t2", "shared")

    # When
    response = await api("DELETE", "experiments/mnist", params={"force": "true"})

    # Then
    assert response.code == 200
    assert payload(response) == {
        "experiment": "mnist",
        "trials": ["t1"],
        "trial_components": ["own"],
        "kept_trial_components": ["shared"],
    }
    assert not tracking.component_exists("own")
    assert tracking.component_exists("shared")


async def test_experiment_delete_dry_run(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_component("own")
    tracking.associate("t1", "own")

    response = await api("DELETE", "experiments/mnist", params={"force": "true", "dry_run": "true"})

    assert response.code == 200
    assert payload(response)["trial_components"] == ["own"]
    assert tracking.component_exists("own")
    assert tracking.get_experiment("mnist")["trial_count"] == 1


async def test_experiment_delete_empty(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")

    response = await api("DELETE", "experiments/mnist")

    assert response.code == 200
    assert payload(response)["trials"] == []


async def test_script_text_round_trips(api: Request) -> None:
    # When
    created = await api(
        "POST", "experiments", {"name": "x", "display_name": SCRIPT, "description": SCRIPT}
    )
    response = await api("GET", "experiments/x")

    # Then: the text comes back as a JSON string, never as markup
    assert created.code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert payload(response)["display_name"] == SCRIPT
    assert b'"display_name":"<script>alert(1)</script>"' in response.body


async def test_script_name_error_is_json(api: Request) -> None:
    response = await api("POST", "experiments", {"name": SCRIPT})

    assert response.code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert SCRIPT in payload(response)["message"]


async def test_trial_create(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")

    response = await api("POST", "experiments/mnist/trials", {"name": "t1", "tags": {"k": "v"}})

    assert response.code == 201
    assert response.headers["Location"] == "/a%40b/experiments/api/experiments/mnist/trials/t1"
    assert payload(response)["experiment"] == "mnist"
    assert payload(response)["tags"] == {"k": "v"}


async def test_trial_create_missing_experiment(api: Request) -> None:
    response = await api("POST", "experiments/absent/trials", {"name": "t1"})

    assert response.code == 404


async def test_trial_get(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_component("c1", status="Completed")
    tracking.associate("t1", "c1")

    response = await api("GET", "experiments/mnist/trials/t1")

    assert response.code == 200
    assert payload(response)["component_count"] == 1
    assert payload(response)["status_counts"] == {"Completed": 1}


async def test_trial_other_experiment(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_experiment("other")
    tracking.create_trial("t1", "other")

    response = await api("GET", "experiments/mnist/trials/t1")

    assert response.code == 404
    assert "belongs to experiment 'other'" in payload(response)["message"]


async def test_trial_list_pages(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_experiment("other")
    for index in range(3):
        tracking.create_trial(f"t{index}", "mnist")
    tracking.create_trial("elsewhere", "other")

    first = payload(
        await api("GET", "experiments/mnist/trials", params={"limit": 2, "sort_by": "Name"})
    )
    second = payload(
        await api(
            "GET",
            "experiments/mnist/trials",
            params={"limit": 2, "sort_by": "Name", "cursor": first["next_cursor"]},
        )
    )

    assert [t["name"] for t in first["items"] + second["items"]] == ["t0", "t1", "t2"]
    assert first["total"] == 3
    assert second["next_cursor"] is None


async def test_trial_list_missing_experiment(api: Request) -> None:
    response = await api("GET", "experiments/absent/trials")

    assert response.code == 404


async def test_trial_update(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")

    response = await api("PATCH", "experiments/mnist/trials/t1", {"display_name": "First"})

    assert response.code == 200
    assert payload(response)["display_name"] == "First"


async def test_trial_delete_keeps_components(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_component("c1")
    tracking.associate("t1", "c1")

    response = await api("DELETE", "experiments/mnist/trials/t1")

    assert response.code == 200
    assert payload(response)["trial_components"] == []
    assert tracking.component_exists("c1")


async def test_trial_delete_components(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_component("c1")
    tracking.associate("t1", "c1")

    response = await api(
        "DELETE", "experiments/mnist/trials/t1", params={"delete_components": "true"}
    )

    assert payload(response)["trial_components"] == ["c1"]
    assert not tracking.component_exists("c1")


async def test_associate_and_disassociate(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_component("c1")
    path = "experiments/mnist/trials/t1/trial-components/c1"

    added = await api("PUT", path)
    trials_after_add = tracking.get_component("c1")["trials"]
    removed = await api("DELETE", path)

    assert added.code == 204
    assert trials_after_add == ["t1"]
    assert removed.code == 204
    assert tracking.get_component("c1")["trials"] == []


async def test_associate_missing_component(api: Request, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")

    response = await api("PUT", "experiments/mnist/trials/t1/trial-components/absent")

    assert response.code == 404
    assert "Trial component 'absent' not found" in payload(response)["message"]


@pytest.mark.parametrize("depth", [40, 5000])
async def test_body_nested_too_deep(api: Request, depth: int) -> None:
    text = '{"name": "c1", "tags": ' + '{"a": ' * depth + "{}" + "}" * depth + "}"

    response = await api("POST", "experiments", text)

    assert response.code == 400
    assert "nest deeper than 32 levels" in payload(response)["message"]
