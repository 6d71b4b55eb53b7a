"""REST API of trial components: the query endpoint, columns, series, job logs and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from server_helpers import Request, payload

from jupyter_experiments.sdk.artifacts import ARTIFACT_ROOT_ENV
from jupyter_experiments.store import TrackingStore


@pytest.fixture
def runs(tracking: TrackingStore) -> TrackingStore:
    """Four components of experiment mnist, created in the order a, b, c, d, and one unassigned.

    loss.min is 1.0 (a), 2.0 (b), NaN (c, all points NaN) and missing (d); lr is 0.1 (a),
    0.01 (b), "auto" (c) and missing (d).
    """
    tracking.create_experiment("mnist")
    tracking.create_trial("t1", "mnist")
    tracking.create_trial("t2", "mnist")
    specs: list[tuple[str, str, dict[str, Any], list[float]]] = [
        ("a", "t1", {"lr": 0.1, "optimizer": "adam"}, [3.0, 1.0]),
        ("b", "t1", {"lr": 0.01, "optimizer": "sgd"}, [2.0]),
        ("c", "t2", {"lr": "auto"}, [math.nan]),
        ("d", "t2", {}, []),
    ]
    for name, trial, parameters, losses in specs:
        tracking.create_component(name, parameters=parameters, status="Completed")
        tracking.associate(trial, name)
        if losses:
            points = [("loss", value, step, 1.0) for step, value in enumerate(losses)]
            tracking.log_metrics(name, points)
    tracking.create_component("u", parameters={"lr": 1.0})
    return tracking


def names_of(response_body: Any) -> list[str]:
    return [item["name"] for item in response_body["items"]]


async def query(api: Request, **params: Any) -> Any:
    response = await api("GET", "query/trial-components", params=params)
    assert response.code == 200, response.body
    return payload(response)


async def test_query_experiment(api: Request, runs: TrackingStore) -> None:
    page = await query(api, experiments="mnist")

    assert sorted(names_of(page)) == ["a", "b", "c", "d"]
    assert page["total"] == 4


async def test_query_unassigned(api: Request, runs: TrackingStore) -> None:
    page = await query(api, unassigned="true")

    assert names_of(page) == ["u"]


async def test_query_union(api: Request, runs: TrackingStore) -> None:
    response = await api(
        "GET",
        "query/trial-components",
        params=[("trials", "t1"), ("trials", "t2"), ("unassigned", "true")],
    )

    assert payload(response)["total"] == 5


@pytest.mark.parametrize("field", ["experiments", "trials"])
@pytest.mark.parametrize("value", ["", " , "])
async def test_query_empty_names_rejected(
    api: Request, runs: TrackingStore, field: str, value: str
) -> None:
    # An empty value named nothing, which selected every component of the store.
    response = await api("GET", "query/trial-components", params={field: value})

    assert response.code == 400
    message = payload(response)["message"]
    assert f"Invalid query parameter '{field}'" in message
    assert "leave the parameter out" in message


async def test_query_empty_columns_all(api: Request, runs: TrackingStore) -> None:
    # Unlike a selection, an empty list of columns still means every column.
    response = await api(
        "GET", "query/trial-components", params={"experiments": "mnist", "columns": ""}
    )

    assert response.code == 200
    assert "parameters" in payload(response)["items"][0]


async def test_query_names_missing_parents(api: Request, runs: TrackingStore) -> None:
    response = await api(
        "GET",
        "query/trial-components",
        params=[
            ("experiments", "mnist"),
            ("experiments", "deleted-experiment"),
            ("trials", "t1"),
            ("trials", "typo"),
        ],
    )

    page = payload(response)
    assert page["missing"] == {"experiments": ["deleted-experiment"], "trials": ["typo"]}
    assert page["total"] == 4


async def test_query_missing_empty_when_all_exist(api: Request, runs: TrackingStore) -> None:
    page = await query(api, experiments="mnist", unassigned="true")

    assert page["missing"] == {"experiments": [], "trials": []}


async def test_query_row_fields(api: Request, runs: TrackingStore) -> None:
    page = await query(api, experiments="mnist", sort_by="Name", sort_order="Ascending")

    row = page["items"][0]
    assert row["name"] == "a"
    assert row["trials"] == ["t1"]
    assert row["experiments"] == ["mnist"]
    assert row["status"] == "Completed"
    assert row["parameters"] == {"lr": 0.1, "optimizer": "adam"}
    assert row["metrics"]["loss"]["min"] == 1.0
    assert row["metrics"]["loss"]["count"] == 2
    assert set(row) >= {"created_at", "start_time", "source_arn", "job_settings", "tags"}


@pytest.mark.parametrize(
    ("sort_by", "order", "expected"),
    [
        ("metrics.loss.min", "Ascending", ["a", "b", "c", "d"]),
        ("metrics.loss.min", "Descending", ["b", "a", "d", "c"]),
        ("parameters.lr", "Ascending", ["b", "a", "c", "d"]),
        ("parameters.lr", "Descending", ["a", "b", "c", "d"]),
    ],
)
async def test_query_sort_missing_last(
    api: Request, runs: TrackingStore, sort_by: str, order: str, expected: list[str]
) -> None:
    # NaN (c) and missing (d) come last in both directions; ties follow creation order.
    page = await query(api, experiments="mnist", sort_by=sort_by, sort_order=order)

    assert names_of(page) == expected


async def test_query_sort_invalid(api: Request, runs: TrackingStore) -> None:
    response = await api("GET", "query/trial-components", params={"sort_by": "metrics.loss"})

    assert response.code == 400
    assert "Invalid metric key 'loss'" in payload(response)["message"]


async def test_query_pages(api: Request, runs: TrackingStore) -> None:
    # When: walking the pages of all five components two by two
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"sort_by": "Name", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await query(api, **params)
        seen.extend(names_of(page))
        cursor = page["next_cursor"]
        if cursor is None:
            break

    # Then
    assert seen == ["a", "b", "c", "d", "u"]
    assert page["total"] == 5


async def test_query_cursor_other_sort(api: Request, runs: TrackingStore) -> None:
    first = await query(api, sort_by="Name", limit=2)

    response = await api(
        "GET",
        "query/trial-components",
        params={"sort_by": "metrics.loss.min", "limit": 2, "cursor": first["next_cursor"]},
    )

    assert response.code == 400
    assert "issued for another query" in payload(response)["message"]


async def test_query_cursor_other_selection(api: Request, runs: TrackingStore) -> None:
    first = await query(api, sort_by="Name", limit=2)

    response = await api(
        "GET",
        "query/trial-components",
        params={"sort_by": "Name", "limit": 2, "trials": "t1", "cursor": first["next_cursor"]},
    )

    assert response.code == 400


async def test_query_cursor_get_then_post(api: Request, runs: TrackingStore) -> None:
    # The same query as a POST body accepts the cursor of its GET form.
    first = await query(api, sort_by="Name", sort_order="Ascending", limit=2)

    response = await api(
        "POST",
        "query/trial-components",
        {"sort_by": "Name", "sort_order": "ascending", "limit": 2, "cursor": first["next_cursor"]},
    )

    assert response.code == 200
    assert names_of(payload(response)) == ["c", "d"]


async def test_query_search_expression_get(api: Request, runs: TrackingStore) -> None:
    expression = {"Filters": [{"Name": "Parameters.lr", "Operator": "LessThan", "Value": 0.5}]}

    page = await query(api, search_expression=json.dumps(expression), sort_by="Name")

    assert names_of(page) == ["a", "b"]


async def test_query_search_expression_post(api: Request, runs: TrackingStore) -> None:
    expression = {
        "Filters": [{"Name": "Metrics.loss.Min", "Operator": "GreaterThan", "Value": 1.5}],
        "SubExpressions": [
            {"Filters": [{"Name": "Parameters.optimizer", "Operator": "Equals", "Value": "adam"}]}
        ],
        "Operator": "Or",
    }

    response = await api(
        "POST",
        "query/trial-components",
        {"experiments": ["mnist"], "search_expression": expression, "sort_by": "Name"},
    )

    assert names_of(payload(response)) == ["a", "b"]


async def test_query_search_expression_invalid(api: Request, runs: TrackingStore) -> None:
    expression = {"Filters": [{"Name": "Parameters.lr", "Operator": "Near", "Value": 1}]}

    response = await api(
        "GET", "query/trial-components", params={"search_expression": json.dumps(expression)}
    )

    assert response.code == 400
    assert "Invalid operator 'Near'" in payload(response)["message"]


async def test_query_search_expression_not_json(api: Request) -> None:
    response = await api("GET", "query/trial-components", params={"search_expression": "{"})

    assert response.code == 400
    assert "'search_expression': it is not valid JSON" in payload(response)["message"]


async def test_query_columns_groups(api: Request, runs: TrackingStore) -> None:
    page = await query(api, experiments="mnist", columns="parameters,status", sort_by="Name")

    assert page["items"][0] == {
        "name": "a",
        "parameters": {"lr": 0.1, "optimizer": "adam"},
        "status": "Completed",
        "status_message": None,
    }


async def test_query_columns_single_keys(api: Request, runs: TrackingStore) -> None:
    page = await query(api, experiments="mnist", columns="parameters.lr", sort_by="Name")

    assert page["items"][0] == {"name": "a", "parameters": {"lr": 0.1}}


async def test_query_columns_invalid(api: Request) -> None:
    response = await api("GET", "query/trial-components", params={"columns": "colour"})

    assert response.code == 400
    assert "Invalid columns entry 'colour'" in payload(response)["message"]


async def test_query_nan_encoding(api: Request, tracking: TrackingStore) -> None:
    # Given: a NaN minimum and infinite maximum
    tracking.create_component("x", parameters={"p": math.nan})
    tracking.log_metrics("x", [("m", math.inf, 0, 1.0), ("m", -math.inf, 1, 1.0)])
    tracking.log_metrics("x", [("n", math.nan, 0, 1.0)])

    # When
    response = await api("GET", "query/trial-components")

    # Then: the body parses without the NaN and Infinity tokens that JSON.parse rejects
    def reject(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    row = json.loads(response.body, parse_constant=reject)["items"][0]
    assert row["parameters"]["p"] is None
    assert row["metrics"]["m"]["max"] == "Infinity"
    assert row["metrics"]["m"]["min"] == "-Infinity"
    assert row["metrics"]["n"]["min"] is None


async def test_columns_endpoint(api: Request, runs: TrackingStore) -> None:
    runs.update_component("a", output_artifacts={"model": {"value": "s3://b/m"}})

    response = await api("GET", "query/columns", params={"experiments": "mnist"})

    assert payload(response) == {
        "parameters": [{"name": "lr", "type": "mixed"}, {"name": "optimizer", "type": "string"}],
        "metrics": [{"name": "loss"}],
        "artifacts": [{"name": "model", "kind": "output"}],
        "job_settings": [],
    }


async def test_columns_endpoint_types(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("x", parameters={"n": 1, "f": 0.5, "flag": True})

    response = await api("POST", "query/columns", {"unassigned": True})

    assert payload(response)["parameters"] == [
        {"name": "f", "type": "number"},
        {"name": "flag", "type": "boolean"},
        {"name": "n", "type": "number"},
    ]


async def test_columns_endpoint_selection(api: Request, runs: TrackingStore) -> None:
    response = await api("GET", "query/columns", params={"trials": "t2"})

    assert payload(response)["parameters"] == [{"name": "lr", "type": "string"}]


async def test_component_get(api: Request, runs: TrackingStore) -> None:
    response = await api("GET", "trial-components/a")

    assert response.code == 200
    assert payload(response)["parameters"]["optimizer"] == "adam"


async def test_component_get_trial_mappings(api: Request, runs: TrackingStore) -> None:
    # A component shared by trials of two experiments, as a preprocessing step often is
    runs.create_experiment("cifar")
    runs.create_trial("t3", "cifar")
    runs.associate("t3", "a")

    response = await api("GET", "trial-components/a")

    assert payload(response)["trial_mappings"] == [
        {"trial": "t1", "experiment": "mnist"},
        {"trial": "t3", "experiment": "cifar"},
    ]


async def test_component_get_parameter_types(api: Request, tracking: TrackingStore) -> None:
    parameters = {"flag": True, "epochs": 3, "lr": math.inf, "mean": math.nan, "note": "Infinity"}
    tracking.create_component("typed", parameters=parameters)

    response = await api("GET", "trial-components/typed")

    assert payload(response)["parameter_types"] == {
        "flag": "boolean",
        "epochs": "integer",
        "lr": "float",
        "mean": "float",
        "note": "string",
    }


async def test_component_get_unassigned_mappings(api: Request, runs: TrackingStore) -> None:
    response = await api("GET", "trial-components/u")

    assert payload(response)["trial_mappings"] == []


async def test_component_get_missing(api: Request) -> None:
    response = await api("GET", "trial-components/absent")

    assert response.code == 404


async def test_series_downsampled(api: Request, tracking: TrackingStore) -> None:
    # Given: 1000 points with one spike and one dip
    tracking.create_component("x")
    values = [float(step % 7) for step in range(1000)]
    values[500], values[700] = 100.0, -100.0
    tracking.log_metrics("x", [("loss", v, step, 1.0) for step, v in enumerate(values)])

    # When
    response = await api(
        "GET", "trial-components/x/metrics", params={"name": "loss", "max_points": 30}
    )

    # Then
    points = payload(response)["series"]["loss"]
    steps = [point["step"] for point in points]
    assert len(points) <= 30
    assert steps == sorted(steps)
    assert {100.0, -100.0} <= {point["value"] for point in points}
    assert set(points[0]) == {"step", "timestamp", "value"}


async def test_series_several_metrics(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("x")
    tracking.log_metrics("x", [("a", 1.0, 0, 1.0), ("b", 2.0, 0, 1.0), ("b", math.nan, 1, 1.0)])

    response = await api("GET", "trial-components/x/metrics", params=[("name", "a"), ("name", "b")])

    series = payload(response)["series"]
    assert [p["value"] for p in series["a"]] == [1.0]
    assert [p["value"] for p in series["b"]] == [2.0, None]


async def test_series_unknown_metric(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("x")

    response = await api("GET", "trial-components/x/metrics", params={"name": "loss"})

    assert response.code == 404
    assert "Metric 'loss' not found" in payload(response)["message"]


async def test_series_max_points_too_small(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("x")

    response = await api(
        "GET", "trial-components/x/metrics", params={"name": "loss", "max_points": 2}
    )

    assert response.code == 400
    assert "'max_points' 2: use at least 3" in payload(response)["message"]


async def test_series_missing_name(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("x")

    response = await api("GET", "trial-components/x/metrics")

    assert response.code == 400
    assert payload(response)["message"].startswith("Missing query parameter name")


def write_log(tracking: TrackingStore, name: str, path: Path, lines: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"line {i}\n" for i in range(lines)), encoding="utf-8")
    tracking.create_component(name, output_artifacts={"log": {"value": path.as_uri()}})


async def test_log_tail(api: Request, tracking: TrackingStore) -> None:
    root = Path(os.environ[ARTIFACT_ROOT_ENV])
    write_log(tracking, "job", root / "job" / "job.log", 500)

    response = await api("GET", "trial-components/job/log", params={"lines": 3})

    assert response.code == 200
    assert payload(response)["lines"] == ["line 497", "line 498", "line 499"]
    assert payload(response)["truncated"] is True


async def test_log_tail_whole_file(api: Request, tracking: TrackingStore) -> None:
    root = Path(os.environ[ARTIFACT_ROOT_ENV])
    write_log(tracking, "job", root / "job" / "job.log", 2)

    response = await api("GET", "trial-components/job/log")

    assert payload(response)["lines"] == ["line 0", "line 1"]
    assert payload(response)["truncated"] is False


async def test_log_tail_not_written_yet(api: Request, tracking: TrackingStore) -> None:
    root = Path(os.environ[ARTIFACT_ROOT_ENV])
    log_file = (root / "job" / "job.log").as_uri()
    tracking.create_component("job", output_artifacts={"log": {"value": log_file}})

    response = await api("GET", "trial-components/job/log")

    assert response.code == 200
    assert payload(response)["lines"] == []


async def test_log_tail_outside_root(api: Request, tracking: TrackingStore, tmp_path: Path) -> None:
    write_log(tracking, "job", tmp_path / "elsewhere" / "secret.log", 3)

    response = await api("GET", "trial-components/job/log")

    assert response.code == 400
    assert "only inside the artifact root" in payload(response)["message"]


async def test_log_tail_symlink_escape(
    api: Request, tracking: TrackingStore, tmp_path: Path
) -> None:
    # Given: a link inside the artifact root that points at a file outside it
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n", encoding="utf-8")
    link = Path(os.environ[ARTIFACT_ROOT_ENV]) / "job" / "job.log"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    tracking.create_component("job", output_artifacts={"log": {"value": link.as_uri()}})

    response = await api("GET", "trial-components/job/log")

    assert response.code == 400
    assert b"password" not in response.body


async def test_log_tail_dot_dot_escape(api: Request, tracking: TrackingStore) -> None:
    root = Path(os.environ[ARTIFACT_ROOT_ENV])
    value = f"{root}/../../../../etc/passwd"
    tracking.create_component("job", output_artifacts={"log": {"value": value}})

    response = await api("GET", "trial-components/job/log")

    assert response.code == 400


async def test_log_tail_no_log(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("job")

    response = await api("GET", "trial-components/job/log")

    assert response.code == 404
    assert "has no job log" in payload(response)["message"]


@pytest.mark.parametrize("lines", ["0", "10001", "many"])
async def test_log_tail_lines_invalid(api: Request, tracking: TrackingStore, lines: str) -> None:
    tracking.create_component("job")

    response = await api("GET", "trial-components/job/log", params={"lines": lines})

    assert response.code == 400
    assert "Invalid query parameter 'lines'" in payload(response)["message"]


async def test_csv_export(api: Request, tracking: TrackingStore) -> None:
    # Given: cells that a spreadsheet would run as formulas, and cells that need quoting
    tracking.create_component(
        "x",
        display_name='=HYPERLINK("http://evil","click")',
        parameters={"note": '+1, said "he"', "delta": -2.5},
    )
    tracking.log_metrics("x", [("loss", 0.5, 0, 1.0)])

    # When
    response = await api("GET", "query/csv", params={"unassigned": "true"})

    # Then
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    header, row = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["DisplayName"] == '\'=HYPERLINK("http://evil","click")'
    assert cells["note"] == '\'+1, said "he"'
    assert cells["delta"] == "-2.5"
    assert cells["loss - Min"] == "0.5"
    assert header[:4] == ["TrialComponentName", "DisplayName", "Status", "SourceArn"]


async def test_csv_export_post(api: Request, runs: TrackingStore) -> None:
    response = await api(
        "POST",
        "query/csv",
        {
            "experiments": ["mnist"],
            "sort_by": "Name",
            "sort_order": "Descending",
            "columns": ["parameters.lr"],
        },
    )

    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == [
        "TrialComponentName",
        "DisplayName",
        "Status",
        "SourceArn",
        "lr",
        "Trials",
        "Experiments",
    ]
    assert [row[0] for row in rows[1:]] == ["d", "c", "b", "a"]


async def test_unexpected_error_is_generic(
    api: Request, runs: TrackingStore, caplog: pytest.LogCaptureFixture
) -> None:
    # Given: a store whose metric summaries table was dropped behind the server's back
    with runs.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE metric_summaries"))

    # When
    response = await api("GET", "query/trial-components", params={"sort_by": "metrics.loss.min"})

    # Then: the client sees a generic message; the log has the request and the traceback
    assert response.code == 500
    assert payload(response) == {
        "message": "Unhandled error: the Jupyter server log has the details."
    }
    records = [r for r in caplog.records if r.getMessage().startswith("Unhandled error in GET")]
    assert len(records) == 1
    assert "/a%40b/experiments/api/query/trial-components" in records[0].getMessage()
    assert records[0].exc_info is not None
