"""Tests of the chart data functions: ordering, gaps, log scales, notices and colours."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from jupyter_experiments import ValidationError
from jupyter_experiments.widgets.chart_data import (
    NO_TRIAL,
    PALETTE,
    ComponentPoints,
    LeftOut,
    isolated_points,
    normalize_statistic,
    summary_data,
    time_series_data,
)


def points(*rows: tuple[int, float, float]) -> list[dict[str, float]]:
    return [{"step": step, "timestamp": time, "value": value} for step, time, value in rows]


def component(
    name: str, trial: str = "trial-1", rows: list[dict[str, float]] | None = None
) -> ComponentPoints:
    return ComponentPoints(name=name, display_name=name.upper(), trial=trial, points=rows)


def record(
    name: str,
    trial: str | None,
    parameters: dict[str, Any],
    metrics: dict[str, dict[str, float]],
) -> dict[str, Any]:
    return {
        "name": name,
        "trials": [trial] if trial else [],
        "parameters": parameters,
        "metrics": metrics,
    }


def loss(last: float) -> dict[str, dict[str, float]]:
    return {"loss": {"last": last, "min": last - 1.0, "count": 3}}


# -- time series ------------------------------------------------------------------------------


def test_series_ordered_by_step() -> None:
    rows = points((2, 30.0, 0.2), (0, 10.0, 0.9), (1, 20.0, 0.5))

    (series,) = time_series_data([component("a", rows=rows)]).series

    assert series.x.tolist() == [0.0, 1.0, 2.0]
    assert series.y.tolist() == [0.9, 0.5, 0.2]


def test_series_wall_time_ordered_by_time() -> None:
    rows = points((0, 30.0, 0.3), (1, 10.0, 0.1), (2, 20.0, 0.2))

    (series,) = time_series_data([component("a", rows=rows)], x_axis="wall_time").series

    assert series.x.tolist() == [10.0, 20.0, 30.0]
    assert series.y.tolist() == [0.1, 0.2, 0.3]


def test_series_relative_time_starts_at_zero() -> None:
    rows = points((0, 100.0, 1.0), (1, 103.5, 2.0))

    (series,) = time_series_data([component("a", rows=rows)], x_axis="relative_time").series

    assert series.x.tolist() == [0.0, 3.5]


def test_series_nan_and_infinity_become_gaps() -> None:
    rows = points(
        (0, 1.0, 0.5), (1, 2.0, math.nan), (2, 3.0, math.inf), (3, 4.0, -math.inf), (4, 5.0, 0.1)
    )

    data = time_series_data([component("a", rows=rows)])
    y = data.series[0].y

    assert np.isnan(y[1:4]).all()
    assert y[0] == 0.5
    assert y[4] == 0.1
    assert data.left_out.non_finite == 3


def test_series_gaps_never_zero() -> None:
    rows = points((0, 1.0, math.nan), (1, 2.0, math.inf))

    y = time_series_data([component("a", rows=rows)]).series[0].y

    assert not (y == 0).any()


def test_series_log_y_blanks_non_positive() -> None:
    rows = points((0, 1.0, 1.0), (1, 2.0, 0.0), (2, 3.0, -2.0), (3, 4.0, 0.5))

    data = time_series_data([component("a", rows=rows)], log_y=True)

    assert np.isnan(data.series[0].y).tolist() == [False, True, True, False]
    assert data.left_out.non_positive == 2
    assert data.left_out.non_finite == 0


def test_series_log_x_drops_step_zero() -> None:
    rows = points((0, 1.0, 1.0), (1, 2.0, 0.5), (2, 3.0, 0.2))

    data = time_series_data([component("a", rows=rows)], log_x=True)

    assert data.series[0].x.tolist() == [1.0, 2.0]
    assert data.left_out.non_positive == 1


def test_series_missing_metric_listed() -> None:
    data = time_series_data([component("a", rows=points((0, 1.0, 1.0))), component("b")])

    assert [series.key for series in data.series] == ["a"]
    assert data.left_out.missing_metric == ["b"]


def test_series_empty_points_count_as_missing() -> None:
    data = time_series_data([component("a", rows=[])])

    assert data.left_out.missing_metric == ["a"]


def test_series_unknown_x_axis() -> None:
    with pytest.raises(ValidationError, match="step, wall_time, relative_time"):
        time_series_data([], x_axis="epoch")


def test_series_label_is_trial() -> None:
    data = time_series_data([component("a", trial="t1", rows=points((0, 1.0, 1.0)))])

    assert data.series[0].label == "t1"


def test_series_label_names_component_when_trial_shared() -> None:
    rows = points((0, 1.0, 1.0))

    data = time_series_data([component("a", rows=rows), component("b", rows=rows)])

    assert [series.label for series in data.series] == ["trial-1 / A", "trial-1 / B"]


def test_series_colour_by_trial() -> None:
    rows = points((0, 1.0, 1.0))

    data = time_series_data(
        [
            component("a", trial="t1", rows=rows),
            component("b", trial="t2", rows=rows),
            component("c", trial="t1", rows=rows),
        ]
    )

    assert data.colours == {"t1": PALETTE[0], "t2": PALETTE[1]}


def test_series_without_trial_own_colour() -> None:
    rows = points((0, 1.0, 1.0))

    data = time_series_data(
        [component("a", trial=NO_TRIAL, rows=rows), component("b", trial=NO_TRIAL, rows=rows)]
    )

    assert data.colours == {"a": PALETTE[0], "b": PALETTE[1]}
    assert [series.label for series in data.series] == ["A", "B"]


# -- isolated points --------------------------------------------------------------------------


def test_isolated_single_point() -> None:
    assert isolated_points(np.array([0.5])).tolist() == [True]


def test_isolated_between_gaps() -> None:
    y = np.array([1.0, np.nan, 2.0, np.nan, 3.0, 4.0])

    assert isolated_points(y).tolist() == [True, False, True, False, False, False]


def test_isolated_none_in_line() -> None:
    assert not isolated_points(np.array([1.0, 2.0, 3.0])).any()


# -- summary ----------------------------------------------------------------------------------


def test_summary_sorted_by_parameter() -> None:
    records = [
        record("c", "t1", {"hidden": 64}, loss(0.1)),
        record("a", "t1", {"hidden": 16}, loss(0.3)),
        record("b", "t1", {"hidden": 32}, loss(0.2)),
    ]

    (series,) = summary_data(records, "loss", "last", "hidden").series

    assert series.x.tolist() == [16.0, 32.0, 64.0]
    assert series.y.tolist() == [0.3, 0.2, 0.1]
    assert series.components == ("a", "b", "c")


def test_summary_one_series_per_trial() -> None:
    records = [
        record("a", "t1", {"hidden": 16}, loss(0.3)),
        record("b", "t2", {"hidden": 32}, loss(0.2)),
        record("c", None, {"hidden": 64}, loss(0.1)),
    ]

    data = summary_data(records, "loss", "last", "hidden")

    assert [series.label for series in data.series] == ["t1", "t2", NO_TRIAL]
    assert data.colours == {"t1": PALETTE[0], "t2": PALETTE[1], NO_TRIAL: PALETTE[2]}


def test_summary_statistic_spellings() -> None:
    records = [record("a", "t1", {"hidden": 16}, loss(0.3))]

    (series,) = summary_data(records, "loss", "Min", "hidden").series

    assert series.y.tolist() == [pytest.approx(-0.7)]


def test_summary_missing_metric_listed() -> None:
    records = [
        record("a", "t1", {"hidden": 16}, loss(0.3)),
        record("b", "t1", {"hidden": 32}, {}),
    ]

    data = summary_data(records, "loss", "last", "hidden")

    assert data.left_out.missing_metric == ["b"]
    assert data.series[0].components == ("a",)


def test_summary_missing_parameter_listed() -> None:
    records = [
        record("a", "t1", {"hidden": 16}, loss(0.3)),
        record("b", "t1", {}, loss(0.2)),
    ]

    data = summary_data(records, "loss", "last", "hidden")

    assert data.left_out.missing_parameter == ["b"]


def test_summary_non_numeric_parameter_listed() -> None:
    records = [
        record("a", "t1", {"hidden": 16}, loss(0.3)),
        record("b", "t1", {"hidden": "wide"}, loss(0.2)),
    ]

    data = summary_data(records, "loss", "last", "hidden")

    assert data.left_out.non_numeric_parameter == ["b"]
    assert data.x_categories is None


def test_summary_string_parameter_categories() -> None:
    records = [
        record("a", "t1", {"optimizer": "sgd"}, loss(0.3)),
        record("b", "t1", {"optimizer": "adam"}, loss(0.2)),
    ]

    data = summary_data(records, "loss", "last", "optimizer")

    assert data.x_categories == ["adam", "sgd"]
    assert data.series[0].x.tolist() == ["adam", "sgd"]


def test_summary_nan_value_is_gap() -> None:
    records = [
        record("a", "t1", {"hidden": 16}, loss(0.3)),
        record("b", "t1", {"hidden": 32}, loss(math.nan)),
        record("c", "t1", {"hidden": 64}, loss(math.inf)),
    ]

    data = summary_data(records, "loss", "last", "hidden")

    assert np.isnan(data.series[0].y).tolist() == [False, True, True]
    assert data.left_out.non_finite == 2


def test_summary_log_x_drops_non_positive() -> None:
    records = [
        record("a", "t1", {"lr": 0.0}, loss(0.3)),
        record("b", "t1", {"lr": 0.1}, loss(0.2)),
    ]

    data = summary_data(records, "loss", "last", "lr", log_x=True)

    assert data.series[0].x.tolist() == [0.1]
    assert data.left_out.non_positive == 1


def test_summary_log_y_blanks_non_positive() -> None:
    records = [record("a", "t1", {"hidden": 16}, loss(-0.5))]

    data = summary_data(records, "loss", "last", "hidden", log_y=True)

    assert np.isnan(data.series[0].y).all()
    assert data.left_out.non_positive == 1


def test_summary_unknown_statistic() -> None:
    with pytest.raises(ValidationError, match=r"median.*min, max, avg"):
        summary_data([], "loss", "median", "hidden")


# -- statistics and notices -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"), [("Last", "last"), ("StdDev", "std_dev"), ("mean", "avg"), ("count", "count")]
)
def test_normalize_statistic(name: str, key: str) -> None:
    assert normalize_statistic(name) == key


def test_notice_empty() -> None:
    assert LeftOut().notice("loss") == ""


def test_notice_counts() -> None:
    notice = LeftOut(non_finite=2, non_positive=1).notice("loss")

    assert "2 NaN or infinite values" in notice
    assert "1 value <= 0 on a log scale" in notice


def test_notice_names_missing_metric() -> None:
    notice = LeftOut(missing_metric=["train-3"]).notice("test:loss")

    assert "1 component without metric 'test:loss' (train-3)" in notice


def test_notice_shortens_long_lists() -> None:
    names = [f"c{index}" for index in range(8)]

    notice = LeftOut(missing_parameter=names).notice("loss", "hidden")

    assert "c0, c1, c2, c3, c4 and 3 more" in notice
