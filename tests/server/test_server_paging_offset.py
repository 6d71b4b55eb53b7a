"""The ``offset`` field of the trial component query: fetch any page directly."""

from __future__ import annotations

import pytest
from server_helpers import Request, payload

from jupyter_experiments.store import TrackingStore

COMPONENTS = 25


@pytest.fixture
def numbered(tracking: TrackingStore) -> TrackingStore:
    """Trial components c00 to c24, in name order."""
    for index in range(COMPONENTS):
        tracking.create_component(f"c{index:02d}")
    return tracking


def names(response: object) -> list[str]:
    return [item["name"] for item in payload(response)["items"]]  # type: ignore[arg-type]


async def test_offset_post(api: Request, numbered: TrackingStore) -> None:
    response = await api(
        "POST", "query/trial-components", {"sort_by": "Name", "offset": 20, "limit": 3}
    )

    assert response.code == 200
    assert names(response) == ["c20", "c21", "c22"]
    assert payload(response)["total"] == COMPONENTS


async def test_offset_get(api: Request, numbered: TrackingStore) -> None:
    response = await api(
        "GET", "query/trial-components", params={"sort_by": "Name", "offset": "7", "limit": "2"}
    )

    assert response.code == 200
    assert names(response) == ["c07", "c08"]


async def test_offset_then_cursor(api: Request, numbered: TrackingStore) -> None:
    query = {"sort_by": "Name", "limit": 3}
    first = await api("POST", "query/trial-components", {**query, "offset": 10})
    cursor = payload(first)["next_cursor"]

    second = await api("POST", "query/trial-components", {**query, "cursor": cursor})

    assert names(second) == ["c13", "c14", "c15"]


async def test_offset_last_page(api: Request, numbered: TrackingStore) -> None:
    response = await api(
        "POST", "query/trial-components", {"sort_by": "Name", "offset": 24, "limit": 3}
    )

    assert names(response) == ["c24"]
    assert payload(response)["next_cursor"] is None


async def test_offset_at_total(api: Request, numbered: TrackingStore) -> None:
    response = await api("POST", "query/trial-components", {"offset": COMPONENTS})

    assert response.code == 200
    assert names(response) == []


async def test_offset_beyond_total(api: Request, numbered: TrackingStore) -> None:
    response = await api("POST", "query/trial-components", {"offset": COMPONENTS + 1})

    assert response.code == 400
    assert payload(response)["message"] == (
        "Invalid offset 26: the query has 25 trial components. Use an offset from 0 to 25."
    )


@pytest.mark.parametrize("offset", [-1, 1.5, "3", True])
async def test_offset_invalid(api: Request, offset: object) -> None:
    response = await api("POST", "query/trial-components", {"offset": offset})

    assert response.code == 400
    assert "'offset'" in payload(response)["message"]


async def test_offset_not_integer_get(api: Request) -> None:
    response = await api("GET", "query/trial-components", params={"offset": "ten"})

    assert response.code == 400
    assert "'offset'" in payload(response)["message"]


async def test_offset_with_cursor(api: Request, numbered: TrackingStore) -> None:
    first = await api("POST", "query/trial-components", {"limit": 5})
    cursor = payload(first)["next_cursor"]

    response = await api("POST", "query/trial-components", {"cursor": cursor, "offset": 5})

    assert response.code == 400
    assert "cursor and offset: give one of them" in payload(response)["message"]


async def test_offset_on_experiments(api: Request) -> None:
    response = await api("GET", "experiments", params={"offset": "5"})

    assert response.code == 400
    assert "Unknown query parameter 'offset'" in payload(response)["message"]
