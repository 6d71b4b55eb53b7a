"""Tests of TrialComponentTable and MetricChart against a real store, without a kernel.

The widgets are driven the way a front end drives them, through ``set_state`` and button clicks,
and checked through ``get_state``, the text of their cells and the data of their bqplot marks.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import ipywidgets as widgets
import numpy as np
import pytest
from traitlets import TraitError

from jupyter_experiments import (
    Experiment,
    ExperimentAnalytics,
    Filter,
    NotFoundError,
    Operator,
    SearchExpression,
    Tracker,
    Trial,
    TrialComponent,
)
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.widgets import MetricChart, TrialComponentTable

# Imported through the chart module, which silences the DeprecationWarning that bqscales 0.3
# raises at import under traitlets 5 (this suite turns warnings into errors).
from jupyter_experiments.widgets.chart import bqplot
from jupyter_experiments.widgets.live import ChangePoller

#: Start of the seeded metric timestamps, in UTC epoch seconds.
BASE_TIME = 1_700_000_000.0

#: Seconds a live-mode test waits for a refresh before it fails.
LIVE_TIMEOUT_S = 10.0


def seed(
    name: str,
    trial: str | None,
    parameters: dict[str, Any],
    metrics: dict[str, list[tuple[int, float]]],
    display_name: str | None = None,
) -> None:
    """Create a component through the SDK, logging each (step, value) in the order given."""
    component = TrialComponent.create(name, display_name=display_name or name)
    with Tracker(component) as tracker:
        tracker.log_parameters(parameters)
        for metric, rows in metrics.items():
            for step, value in rows:
                tracker.log_metric(
                    metric, value, timestamp=BASE_TIME + 10 * step, iteration_number=step
                )
    if trial is not None:
        Trial.create("mnist", trial, trial_components=[name])


@pytest.fixture
def mnist(store: TrackingStore) -> TrackingStore:
    """Experiment 'mnist': four trials of one component each, with awkward test:loss series.

    ``train-a`` logs its steps out of order, ``train-b`` has NaN and infinite values, ``train-c``
    has a single point and ``train-d`` has no test:loss but a train:loss with 0 and -0.5.
    """
    Experiment.create("mnist")
    seed(
        "train-a",
        "trial-a",
        {"hidden_channels": 16, "optimizer": "sgd"},
        {"test:loss": [(2, 0.4), (0, 0.9), (1, 0.6)], "train:loss": [(0, 2.0), (1, 1.0)]},
    )
    seed(
        "train-b",
        "trial-b",
        {"hidden_channels": 32, "optimizer": "adam"},
        {"test:loss": [(0, 0.8), (1, math.nan), (2, math.inf), (3, 0.3)]},
    )
    seed("train-c", "trial-c", {"hidden_channels": 64}, {"test:loss": [(0, 0.2)]})
    seed(
        "train-d",
        "trial-d",
        {"hidden_channels": 128},
        {"train:loss": [(0, 1.0), (1, 0.0), (2, -0.5)]},
    )
    return store


@pytest.fixture
def closing() -> Iterator[Callable[[Any], Any]]:
    """Return a function that registers a widget to be closed after the test."""
    opened: list[Any] = []

    def register(widget: Any) -> Any:
        opened.append(widget)
        return widget

    yield register
    for widget in opened:
        widget.close()


def descendants(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def header(table: TrialComponentTable, text: str) -> widgets.Button:
    return next(
        w
        for w in descendants(table)
        if isinstance(w, widgets.Button) and w.description.startswith(text)
    )


def row_checkboxes(table: TrialComponentTable) -> list[widgets.Checkbox]:
    grid = next(w for w in descendants(table) if isinstance(w, widgets.GridBox))
    # The first checkbox of the grid is the header's "select the page" box.
    return [w for w in grid.children if isinstance(w, widgets.Checkbox)][1:]


def chooser(table: TrialComponentTable, group: str) -> widgets.SelectMultiple:
    return next(
        w
        for w in descendants(table)
        if isinstance(w, widgets.SelectMultiple) and w.description == group
    )


def first_column(table: TrialComponentTable) -> list[str]:
    return [row[0] for row in table.page_text()]


def marks(chart: MetricChart, kind: type = bqplot.Mark) -> list[Any]:
    return [mark for mark in chart.figure.marks if isinstance(mark, kind)]


def by_label(chart: MetricChart, kind: type = bqplot.Lines) -> dict[str, Any]:
    return {mark.labels[0]: mark for mark in marks(chart, kind) if mark.display_legend}


def serialized_array(state: dict[str, Any]) -> np.ndarray:
    """Decode an array as bqplot sends it to the front end."""
    return np.frombuffer(state["value"], dtype=state["dtype"]).reshape(state["shape"])


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + LIVE_TIMEOUT_S
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


# -- table: rows and sorting ------------------------------------------------------------------


def test_table_one_row_per_component(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    assert table.row_count == 4
    assert sorted(table.page_components) == ["train-a", "train-b", "train-c", "train-d"]


def test_table_default_columns(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    assert table.page_text()[0][:3] == ["train-d", "Completed", "trial-d"]
    assert "Metrics.test:loss.Last" in table.available_columns
    assert "Parameters.optimizer" in table.available_columns


def test_table_sorts_parameters_as_numbers(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    table.set_state({"sort_by": "Parameters.hidden_channels", "sort_order": "Ascending"})

    assert first_column(table) == ["train-a", "train-b", "train-c", "train-d"]


def test_table_sort_missing_last_ascending(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    table.set_state({"sort_by": "Metrics.test:loss.Last", "sort_order": "Ascending"})

    assert first_column(table) == ["train-c", "train-b", "train-a", "train-d"]


def test_table_sort_missing_last_descending(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    table.set_state({"sort_by": "Metrics.test:loss.Last", "sort_order": "Descending"})

    assert first_column(table) == ["train-a", "train-b", "train-c", "train-d"]


def test_table_header_click_sorts(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    header(table, "hidden_channels").click()

    assert table.sort_by == "Parameters.hidden_channels"
    assert table.sort_order == "Ascending"
    assert first_column(table) == ["train-a", "train-b", "train-c", "train-d"]
    assert header(table, "hidden_channels").description == "hidden_channels \u25b2"


def test_table_second_click_reverses(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    header(table, "hidden_channels").click()
    header(table, "hidden_channels").click()

    assert table.sort_order == "Descending"
    assert first_column(table) == ["train-d", "train-c", "train-b", "train-a"]


def test_table_invalid_sort_key(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    with pytest.raises(TraitError, match="Invalid sort key 'Trials'"):
        table.sort_by = "Trials"


def test_table_cells_formatted(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(
        TrialComponentTable(
            "mnist",
            columns=["TrialComponentName", "Metrics.test:loss.Count", "Metrics.test:loss.Max"],
            sort_by="Name",
            sort_order="Ascending",
        )
    )

    assert table.page_text() == [
        ["train-a", "3", "0.9"],
        ["train-b", "3", "inf"],
        ["train-c", "1", "0.2"],
        ["train-d", "", ""],
    ]


def test_table_cells_are_text(store: TrackingStore, closing: Callable) -> None:
    Experiment.create("mnist")
    seed("html", "trial-html", {"note": "<img src=x onerror=alert(1)>"}, {}, "<b>bold</b>")

    table = closing(TrialComponentTable("mnist", columns=["DisplayName", "Parameters.note"]))

    assert table.page_text() == [["<b>bold</b>", "<img src=x onerror=alert(1)>"]]
    assert not any(isinstance(w, widgets.HTML) for w in descendants(table))


# -- table: sources ---------------------------------------------------------------------------


def test_table_from_search_expression(mnist: TrackingStore, closing: Callable) -> None:
    expression = SearchExpression(
        filters=[Filter("Parameters.hidden_channels", Operator.GREATER_THAN, 32)]
    )

    table = closing(TrialComponentTable(search_expression=expression))

    assert sorted(table.page_components) == ["train-c", "train-d"]


def test_table_from_analytics(mnist: TrackingStore, closing: Callable) -> None:
    analytics = ExperimentAnalytics(
        experiment_name="mnist",
        sort_by="Metrics.test:loss.Last",
        sort_order="Ascending",
        parameter_names=["hidden_channels"],
        metric_names=["test:loss"],
    )

    table = closing(TrialComponentTable(analytics=analytics))

    assert table.sort_by == "Metrics.test:loss.Last"
    assert first_column(table) == ["train-c", "train-b", "train-a", "train-d"]
    assert chooser(table, "Parameters").value == ("Parameters.hidden_channels",)
    assert chooser(table, "Metrics").value == ("Metrics.test:loss.Last",)


def test_table_unknown_experiment(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope' not found"):
        TrialComponentTable("nope")


def test_table_invalid_search_expression(store: TrackingStore) -> None:
    with pytest.raises(ValueError, match="Invalid operator 'Like'"):
        TrialComponentTable(search_expression={"Filters": [{"Name": "Name", "Operator": "Like"}]})


# -- table: columns ---------------------------------------------------------------------------


def test_table_chooser_sets_columns(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist", columns=["DisplayName"]))

    chooser(table, "Metrics").value = ("Metrics.train:loss.Min",)

    assert table.columns == ["DisplayName", "Metrics.train:loss.Min"]
    assert header(table, "train:loss - Min").description == "train:loss - Min"


def test_table_chooser_shows_columns(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist", columns=["Status", "Parameters.optimizer"]))

    assert chooser(table, "Component").value == ("Status",)
    assert chooser(table, "Parameters").value == ("Parameters.optimizer",)


def test_table_invalid_column(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    with pytest.raises(TraitError, match=r"Invalid column 'Metrics.loss.Median'.*Parameters"):
        table.columns = ["Metrics.loss.Median"]


# -- table: selection and paging --------------------------------------------------------------


def test_table_checkbox_selects(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist", sort_by="Name", sort_order="Ascending"))

    row_checkboxes(table)[1].value = True
    row_checkboxes(table)[3].value = True

    assert table.selected == ["train-b", "train-d"]


def test_table_state_selects(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist", sort_by="Name", sort_order="Ascending"))

    table.set_state({"selected": ["train-c"]})

    assert [box.value for box in row_checkboxes(table)] == [False, False, True, False]


def test_table_unticking_deselects(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist", sort_by="Name", sort_order="Ascending"))
    table.selected = ["train-a", "train-b"]

    row_checkboxes(table)[0].value = False

    assert table.selected == ["train-b"]


def test_table_paging(store: TrackingStore, closing: Callable) -> None:
    Experiment.create("mnist")
    trial = Trial.create("mnist", "sweep")
    for index in range(7):
        trial.add_trial_component(TrialComponent.create(f"run-{index}"))

    table = closing(
        TrialComponentTable("mnist", page_size=3, sort_by="Name", sort_order="Ascending")
    )
    header_names = [table.page_components]
    next(w for w in descendants(table) if getattr(w, "description", "") == "Next").click()
    header_names.append(table.page_components)
    table.page = 2
    header_names.append(table.page_components)

    assert header_names == [
        ["run-0", "run-1", "run-2"],
        ["run-3", "run-4", "run-5"],
        ["run-6"],
    ]
    assert table.row_count == 7


def test_table_selection_kept_across_pages(store: TrackingStore, closing: Callable) -> None:
    Experiment.create("mnist")
    trial = Trial.create("mnist", "sweep")
    for index in range(4):
        trial.add_trial_component(TrialComponent.create(f"run-{index}"))
    table = closing(
        TrialComponentTable("mnist", page_size=2, sort_by="Name", sort_order="Ascending")
    )

    row_checkboxes(table)[0].value = True
    table.page = 1
    row_checkboxes(table)[1].value = True

    assert table.selected == ["run-0", "run-3"]


def test_table_page_clamped(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist", page_size=2))

    table.page = 9

    assert table.page == 1


def test_table_page_size_limit(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))

    with pytest.raises(TraitError, match="Invalid page_size 5000"):
        table.page_size = 5000


# -- table: state, refresh and live mode ------------------------------------------------------


def test_table_state_round_trip(mnist: TrackingStore, closing: Callable) -> None:
    first = closing(
        TrialComponentTable(
            "mnist",
            sort_by="Parameters.hidden_channels",
            sort_order="Descending",
            columns=["TrialComponentName", "Parameters.optimizer"],
            selected=["train-b"],
            page_size=2,
        )
    )
    state = first.get_state()
    second = closing(TrialComponentTable("mnist"))

    second.set_state(
        {
            key: state[key]
            for key in ("sort_by", "sort_order", "columns", "selected", "page_size", "page")
        }
    )

    assert second.page_text() == first.page_text()
    assert second.get_state()["selected"] == ["train-b"]
    assert json.loads(json.dumps(state))["page_components"] == ["train-d", "train-c"]


def test_table_refresh_finds_new_component(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))
    seed("train-e", "trial-e", {"hidden_channels": 256}, {})

    table.refresh()

    assert table.row_count == 5


def test_table_live_refreshes(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist", live=True, live_interval_s=0.1))

    seed("train-e", "trial-e", {"hidden_channels": 256}, {})

    assert wait_for(lambda: table.row_count == 5)


def test_table_close_stops_live(mnist: TrackingStore) -> None:
    table = TrialComponentTable("mnist", live=True, live_interval_s=0.1)

    table.close()

    assert not any(t.name.startswith("jupyter-experiments-live") for t in threading.enumerate())


def test_poller_quiet_without_changes(mnist: TrackingStore) -> None:
    calls: list[int] = []
    poller = ChangePoller(mnist, lambda events, skipped: calls.append(len(events)), 1.0)
    poller.last_change_id = mnist.latest_change_id()

    assert poller.poll() is False
    assert calls == []


def test_poller_reports_changes(mnist: TrackingStore) -> None:
    calls: list[int] = []
    poller = ChangePoller(mnist, lambda events, skipped: calls.append(len(events)), 1.0)
    poller.last_change_id = mnist.latest_change_id()

    mnist.log_metrics("train-c", [("test:loss", 0.1, 1, BASE_TIME)])

    assert poller.poll() is True
    assert calls == [1]


# -- chart: time series -----------------------------------------------------------------------


def test_chart_line_per_component(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    assert sorted(by_label(chart)) == ["trial-a", "trial-b", "trial-c"]


def test_chart_points_ordered_by_step(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    line = by_label(chart)["trial-a"]

    assert line.x.tolist() == [0.0, 1.0, 2.0]
    assert line.y.tolist() == [0.9, 0.6, 0.4]


def test_chart_gaps_for_nan_and_infinity(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    state = by_label(chart)["trial-b"].get_state()
    y = serialized_array(state["y"])

    assert np.isnan(y).tolist() == [False, True, True, False]
    assert "2 NaN or infinite values" in chart.notice


def test_chart_missing_metric_in_notice(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    assert "1 component without metric 'test:loss' (train-d)" in chart.notice
    assert chart.get_state()["notice"] == chart.notice


def test_chart_single_point_marker(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    markers = [mark for mark in marks(chart, bqplot.Scatter) if mark.labels == ["trial-c"]]

    assert len(markers) == 1
    assert markers[0].x.tolist() == [0.0]
    assert markers[0].y.tolist() == [0.2]


def test_chart_colours_by_trial(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    colours = {label: mark.get_state()["colors"][0] for label, mark in by_label(chart).items()}

    assert len(set(colours.values())) == 3
    assert by_label(chart)["trial-a"].get_state()["labels"] == ["trial-a"]


def test_chart_log_y_leaves_out_non_positive(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="train:loss", components=["train-d"], log_y=True))

    (line,) = by_label(chart).values()

    assert np.isnan(line.y).tolist() == [False, True, True]
    assert isinstance(line.scales["y"], bqplot.LogScale)
    assert "2 values <= 0 on a log scale" in chart.notice


def test_chart_relative_time(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss", x_axis="relative_time"))

    assert by_label(chart)["trial-a"].x.tolist() == [0.0, 10.0, 20.0]


def test_chart_wall_time(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss", x_axis="wall_time"))

    line = by_label(chart)["trial-a"]

    assert isinstance(line.scales["x"], bqplot.DateScale)
    assert line.x[0] == np.datetime64(int(BASE_TIME * 1000), "ms")


def test_chart_scatter_drops_gaps(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss", mark="scatter"))

    points = by_label(chart, bqplot.Scatter)["trial-b"]

    assert points.y.tolist() == [0.8, 0.3]
    assert points.x.tolist() == [0.0, 3.0]


def test_chart_default_metric(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist"))

    assert chart.metric == "test:loss"


# -- chart: summary ---------------------------------------------------------------------------


def test_chart_summary_last_vs_parameter(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss", x_parameter="hidden_channels"))

    points = by_label(chart, bqplot.Scatter)

    assert chart.mode == "summary"
    assert points["trial-a"].x.tolist() == [16.0]
    assert points["trial-a"].y.tolist() == [0.4]
    assert points["trial-b"].y.tolist() == [0.3]
    assert "train-d" in chart.notice


def test_chart_summary_statistic(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(
        MetricChart("mnist", metric="test:loss", x_parameter="hidden_channels", statistic="Max")
    )

    points = by_label(chart, bqplot.Scatter)

    assert chart.statistic == "max"
    assert points["trial-a"].y.tolist() == [0.9]
    assert points["trial-b"].y.tolist() == []
    assert "1 NaN or infinite value" in chart.notice


def test_chart_summary_bars(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(
        MetricChart("mnist", metric="test:loss", x_parameter="hidden_channels", mark="bar")
    )

    bars = by_label(chart, bqplot.Bars)
    x_axis = chart.figure.axes[0]

    assert bars["trial-c"].x.tolist() == ["train-c"]
    assert bars["trial-c"].y.tolist() == [0.2]
    assert x_axis.scale.domain == ["train-a", "train-b", "train-c"]
    assert x_axis.tick_labels == {"train-a": "16", "train-b": "32", "train-c": "64"}


def test_chart_bars_keep_linear_y(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(
        MetricChart(
            "mnist", metric="test:loss", x_parameter="hidden_channels", mark="bar", log_y=True
        )
    )

    assert isinstance(chart.figure.axes[1].scale, bqplot.LinearScale)
    assert "Bars start at 0, so their y axis stays linear." in chart.notice


def test_chart_summary_categories(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss", x_parameter="optimizer"))

    points = by_label(chart, bqplot.Scatter)

    assert chart.figure.axes[0].scale.domain == ["adam", "sgd"]
    assert points["trial-a"].x.tolist() == ["sgd"]
    assert "without parameter 'optimizer' (train-c, train-d)" in chart.notice


# -- chart: validation ------------------------------------------------------------------------


def test_chart_unknown_metric(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist"))

    with pytest.raises(TraitError, match=r"Unknown metric 'tset:loss'.*'test:loss', 'train:loss'"):
        chart.metric = "tset:loss"


def test_chart_unknown_statistic(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist"))

    with pytest.raises(TraitError, match=r"Unknown statistic 'median'.*std_dev"):
        chart.statistic = "median"


def test_chart_invalid_mark(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist"))

    with pytest.raises(TraitError, match=r"Invalid mark 'pie'.*'line', 'scatter', 'bar'"):
        chart.mark = "pie"


def test_chart_bar_needs_summary(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist"))

    with pytest.raises(TraitError, match="mode='summary'"):
        chart.mark = "bar"


def test_chart_unknown_x_parameter(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist"))

    with pytest.raises(TraitError, match=r"Unknown x parameter 'width'.*'hidden_channels'"):
        chart.x_parameter = "width"


def test_chart_state_switches_to_bars(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    chart.set_state({"mode": "summary", "x_parameter": "hidden_channels", "mark": "bar"})

    assert len(marks(chart, bqplot.Bars)) == 3
    assert marks(chart, bqplot.Lines) == []


# -- chart: components and linking ------------------------------------------------------------


def test_chart_components_trait(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart("mnist", metric="test:loss"))

    chart.set_state({"components": ["train-b", "train-a"]})

    assert list(by_label(chart)) == ["trial-b", "trial-a"]


def test_chart_component_not_found(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(MetricChart(metric="test:loss", components=["train-a", "gone"]))

    assert "Not found: gone." in chart.notice


def test_chart_follows_table_selection(mnist: TrackingStore, closing: Callable) -> None:
    table = closing(TrialComponentTable("mnist"))
    chart = closing(MetricChart("mnist", metric="test:loss"))
    table.link_chart(chart)

    table.set_state({"selected": ["train-c"]})

    assert chart.components == ["train-c"]
    assert list(by_label(chart)) == ["trial-c"]


def test_chart_caps_components(store: TrackingStore, closing: Callable) -> None:
    names = [f"run-{index:02d}" for index in range(52)]
    for name in names:
        TrialComponent.create(name)

    chart = closing(MetricChart(components=names))

    assert "Showing the first 50 of 52 components" in chart.notice


def test_chart_live_refreshes(mnist: TrackingStore, closing: Callable) -> None:
    chart = closing(
        MetricChart(metric="test:loss", components=["train-c"], live=True, live_interval_s=0.1)
    )

    mnist.log_metrics("train-c", [("test:loss", 0.1, 1, BASE_TIME + 10)])

    assert wait_for(lambda: by_label(chart)["trial-c"].y.tolist() == [0.2, 0.1])
