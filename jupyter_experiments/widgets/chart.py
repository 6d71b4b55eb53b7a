"""MetricChart: one metric of trial components on a bqplot figure.

The chart has two modes. A time series draws one line (or set of points) per component
against the step, the wall time or the time since the component's first point. A summary draws
one statistic per component (e.g. the last ``test:loss``) against a parameter (e.g.
``hidden_channels``). Colours
follow the trial, and the legend names the trials. What the chart leaves out, and why, is shown
in a notice under the figure; :mod:`.chart_data` decides it.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
from traitlets import Bool, Enum, Float, Int, List, TraitError, Unicode, observe, validate

from ..errors import ExperimentsError, NotFoundError
from ..sdk._store import StoreLike
from ..sdk.search_expression import SearchExpression
from .chart_data import (
    STATISTICS,
    X_AXES,
    ChartData,
    ComponentPoints,
    LeftOut,
    isolated_points,
    normalize_statistic,
    summary_data,
    time_series_data,
    trial_of,
)
from .live import MIN_INTERVAL_S, ChangePoller
from .refreshing import RefreshControl
from .selection import resolve_source, search_arguments

with warnings.catch_warnings():
    # bqscales 0.3 passes trait metadata to a constructor. traitlets 5 reports that with a
    # DeprecationWarning while bqplot is imported, which callers cannot act on.
    warnings.filterwarnings(
        "ignore", message="metadata .* was set from the constructor", category=DeprecationWarning
    )
    import bqplot

if TYPE_CHECKING:
    from ..analytics import ExperimentAnalytics

log = logging.getLogger("jupyter_experiments.widgets")

#: Maximum number of components plotted. A larger selection is cut, and the notice reports it.
MAX_COMPONENTS = 50

#: Default ``max_points``: points read per component. The store downsamples a longer series and
#: keeps each bucket's minimum and maximum.
MAX_POINTS = 1000

#: Default ``live_interval_s``: seconds between two polls of the change feed in live mode.
LIVE_INTERVAL_S = 2.0

MODES = ("time_series", "summary")
MARKS = ("line", "scatter", "bar")

_X_AXIS_LABELS = {
    "step": "Step",
    "wall_time": "Wall time (UTC)",
    "relative_time": "Seconds since the first point",
}


class MetricChart(RefreshControl, widgets.VBox):
    """A bqplot chart of one metric of trial components, coloured by trial.

    The components are those named in :attr:`components` (a table's selection can drive it,
    see :meth:`TrialComponentTable.link_chart`), or, while it is empty, the first
    :data:`MAX_COMPONENTS` of the experiment, search expression or analytics given. Passing
    ``x_parameter`` without ``mode`` makes a summary chart, drawn with scatter marks unless
    ``mark`` says otherwise. Other keyword arguments set traits.
    """

    components = List(
        Unicode(),
        help="Names of the trial components plotted; empty plots the chart's own selection.",
    ).tag(sync=True)
    metric = Unicode(
        "", help="Metric plotted, e.g. 'test:loss'; empty picks the first metric by name."
    ).tag(sync=True)
    mode = Enum(
        MODES,
        "time_series",
        help="'time_series' (the points over x_axis) or 'summary' (a statistic per component).",
    ).tag(sync=True)
    statistic = Unicode(
        "last", help=f"Summary statistic plotted in summary mode: {', '.join(STATISTICS)}."
    ).tag(sync=True)
    x_parameter = Unicode(
        "", help="Parameter on the x axis in summary mode, e.g. 'hidden_channels'."
    ).tag(sync=True)
    x_axis = Enum(
        X_AXES,
        "step",
        help="x axis of a time series: step, wall time (UTC) or seconds since the first point.",
    ).tag(sync=True)
    mark = Unicode(
        "line", help="Mark type: 'line', 'scatter' or 'bar' (bar in summary mode only)."
    ).tag(sync=True)
    log_x = Bool(
        False, help="Whether the x axis has a log scale, which leaves out values <= 0."
    ).tag(sync=True)
    log_y = Bool(
        False, help="Whether the y axis has a log scale, which leaves out values <= 0."
    ).tag(sync=True)
    max_points = Int(
        MAX_POINTS, help="Points read per component at most; longer series are downsampled."
    ).tag(sync=True)
    live = Bool(
        False, help="Whether to refresh when the store changes, by polling its change feed."
    ).tag(sync=True)
    live_interval_s = Float(
        LIVE_INTERVAL_S, help="Seconds between two polls of the change feed in live mode."
    ).tag(sync=True)
    notice = Unicode(
        "", read_only=True, help="What the chart leaves out and why, as shown under it."
    ).tag(sync=True)

    def __init__(
        self,
        experiment_name: str | None = None,
        *,
        search_expression: SearchExpression | Mapping[str, Any] | None = None,
        analytics: ExperimentAnalytics | None = None,
        store: StoreLike = None,
        **kwargs: Any,
    ) -> None:
        # Set first, because close() runs from __del__ even when __init__ raised.
        self._poller: ChangePoller | None = None
        self._owned: list[widgets.Widget] = []
        self._scales: dict[tuple[str, str], bqplot.Scale] = {}
        self._marks: dict[tuple[str, str], bqplot.Mark] = {}

        source = resolve_source(experiment_name, search_expression, analytics, store)
        self._store = source.store
        self._selection = search_arguments(source.experiment_name, source.search_expression)
        self._lock = threading.RLock()
        self._ready = False
        # Per thread, so that a live refresh in the poller thread does not hide the user's
        # changes, which arrive in the kernel's main thread, from the observers.
        self._local = threading.local()
        self._batch_depth = 0
        self._refresh_pending = False
        self._plotted: set[str] = set()
        self._build_widgets()

        if "mode" not in kwargs and kwargs.get("x_parameter"):
            kwargs["mode"] = "summary"
        if "mark" not in kwargs and kwargs.get("mode") == "summary":
            kwargs["mark"] = "scatter"
        super().__init__(children=[self._controls, self.figure, self._notice], **kwargs)

        if not self.metric:
            metrics = self._names()["metrics"]
            if metrics:
                self.metric = metrics[0]
        self._ready = True
        self.refresh()
        if self.live:
            self._start_live()

    def __repr__(self) -> str:
        return f"MetricChart(metric={self.metric!r}, mode={self.mode!r}, mark={self.mark!r})"

    # -- public API -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the components and their points from the store and redraw."""
        with self._lock:
            names = self._names()
            data, notices = self._collect(names)
            notice = " ".join(
                part
                for part in [data.left_out.notice(self.metric, self.x_parameter or None), *notices]
                if part
            )
            with self._programmatic():
                self._draw(data)
                self.set_trait("notice", notice)
                self._notice.value = notice
                self._notice.layout.display = None if notice else "none"
                self._update_controls(names)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply a state from the front end, refreshing once for all of its changes."""
        with self._batch():
            super().set_state(sync_data)

    def close(self) -> None:
        """Stop live mode and close the chart and every widget it created."""
        self._stop_live()
        for widget in [*self._marks.values(), *self._scales.values(), *self._owned]:
            widget.close()
        super().close()

    # -- validation -------------------------------------------------------------------------

    @validate("metric")
    def _check_metric(self, proposal: dict[str, Any]) -> str:
        metric = str(proposal["value"])
        known = self._names()["metrics"]
        # A metric that no component has logged yet is accepted while none has any metric,
        # so that a live chart can be set up before training starts.
        if metric and known and metric not in known:
            raise TraitError(
                f"Unknown metric {metric!r}: the trial components have {_quoted(known)}. "
                "Set metric to one of these."
            )
        return metric

    @validate("statistic")
    def _check_statistic(self, proposal: dict[str, Any]) -> str:
        try:
            return normalize_statistic(proposal["value"])
        except ExperimentsError as error:
            raise TraitError(str(error)) from None

    @validate("x_parameter")
    def _check_x_parameter(self, proposal: dict[str, Any]) -> str:
        parameter = str(proposal["value"])
        known = self._names()["parameters"]
        if parameter and known and parameter not in known:
            raise TraitError(
                f"Unknown x parameter {parameter!r}: the trial components have "
                f"{_quoted(known)}. Set x_parameter to one of these."
            )
        return parameter

    @validate("mark")
    def _check_mark(self, proposal: dict[str, Any]) -> str:
        mark = proposal["value"]
        if mark not in MARKS:
            raise TraitError(f"Invalid mark {mark!r}: use one of {_quoted(MARKS)}.")
        _check_mark_for_mode(mark, self.mode)
        return str(mark)

    @validate("mode")
    def _check_mode(self, proposal: dict[str, Any]) -> str:
        _check_mark_for_mode(self.mark, proposal["value"])
        return str(proposal["value"])

    @validate("max_points")
    def _check_max_points(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] < 3:
            raise TraitError(
                f"Invalid max_points {proposal['value']}: use at least 3, so that a "
                "downsampled series keeps its first point, minimum and maximum."
            )
        return int(proposal["value"])

    @validate("live_interval_s")
    def _check_live_interval(self, proposal: dict[str, Any]) -> float:
        interval = proposal["value"]
        if not interval >= MIN_INTERVAL_S:
            raise TraitError(
                f"Invalid live_interval_s {interval!r}: poll at most every {MIN_INTERVAL_S} s."
            )
        return float(interval)

    # -- reactions --------------------------------------------------------------------------

    @observe(
        "components",
        "metric",
        "mode",
        "statistic",
        "x_parameter",
        "x_axis",
        "mark",
        "log_x",
        "log_y",
        "max_points",
    )
    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._ready or self._syncing:
            return
        if self._batch_depth:
            self._refresh_pending = True
            return
        self.refresh()

    @observe("live", "live_interval_s")
    def _on_live(self, change: dict[str, Any]) -> None:
        if not self._ready:
            return
        self._stop_live()
        if self.live:
            self._start_live()

    def _start_live(self) -> None:
        self._poller = ChangePoller(
            self._store, self._on_store_changes, self.live_interval_s, name=f"chart {self.model_id}"
        )
        self._poller.start()

    def _stop_live(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None

    def _on_store_changes(self, events: list[dict[str, Any]], skipped: bool) -> None:
        # An explicit list of components changes only through their own events; a selection
        # may gain components through any event.
        if (
            skipped
            or not self.components
            or any(event["resource_name"] in self._plotted for event in events)
        ):
            self.refresh()

    # -- data -------------------------------------------------------------------------------

    def _names(self) -> dict[str, list[str]]:
        """Return the metric and parameter names of the components the chart plots."""
        if self.components:
            found = self._store.component_columns(names=list(self.components))
        else:
            found = self._store.component_columns(**self._selection)
        return {
            "metrics": sorted({name for name, _ in found["metrics"]}),
            "parameters": sorted({name for name, _ in found["parameters"]}),
        }

    def _records(self) -> tuple[list[dict[str, Any]], int, list[str]]:
        """Return the records plotted, how many components were asked for, and missing names."""
        include = ("parameters", "metrics", "parents")
        if self.components:
            wanted = list(self.components)[:MAX_COMPONENTS]
            found = {
                record["name"]: record
                for record in self._store.search_components(names=wanted, include=include)
            }
            records = [found[name] for name in wanted if name in found]
            return records, len(self.components), [name for name in wanted if name not in found]
        records = self._store.search_components(
            **self._selection,
            sort_by="CreationTime",
            sort_order="Ascending",
            limit=MAX_COMPONENTS,
            include=include,
        )
        total = len(records)
        if total == MAX_COMPONENTS:
            total = self._store.count_components(**self._selection)
        return records, total, []

    def _collect(self, names: Mapping[str, Sequence[str]]) -> tuple[ChartData, list[str]]:
        """Return the data to draw and the notices about the selection and the settings."""
        records, total, not_found = self._records()
        self._plotted = {record["name"] for record in records}
        notices: list[str] = []
        if not_found:
            notices.append(f"Not found: {', '.join(not_found)}.")
        if total > len(records) + len(not_found):
            hint = (
                "select fewer to see others"
                if self.components
                else "set components, or link a table, to choose which"
            )
            notices.append(f"Showing the first {MAX_COMPONENTS} of {total} components: {hint}.")
        if not records and not not_found:
            notices.append(
                "No trial components to plot: select rows in a table, or pass an experiment or "
                "components=."
            )

        if not self.metric:
            if records:
                notices.append(_choose("metric", names["metrics"]))
            return _empty(), notices
        if self.mode == "summary":
            data = self._summary(records, names, notices)
            if self.log_x and self.mark == "bar":
                notices.append("Bars stand on an axis of components, so log_x does not apply.")
            elif self.log_x and data.x_categories is not None:
                notices.append(f"log_x does not apply: {self.x_parameter!r} is not a number.")
            return data, notices
        if self.log_x and self.x_axis == "wall_time":
            notices.append("log_x does not apply to wall time.")
        return self._time_series(records), notices

    def _time_series(self, records: Sequence[Mapping[str, Any]]) -> ChartData:
        components = []
        for record in records:
            points = None
            if self.metric in record["metrics"]:
                try:
                    points = self._store.get_metric_series(
                        record["name"], self.metric, self.max_points
                    )
                except NotFoundError:
                    # Deleted since the search; the next refresh drops it from the list.
                    log.info("Trial component %s was deleted while plotting", record["name"])
            components.append(
                ComponentPoints(record["name"], record["display_name"], trial_of(record), points)
            )
        return time_series_data(components, self.x_axis, self.log_x, self.log_y)

    def _summary(
        self,
        records: Sequence[Mapping[str, Any]],
        names: Mapping[str, Sequence[str]],
        notices: list[str],
    ) -> ChartData:
        if not self.x_parameter:
            if records:
                notices.append(_choose("x_parameter", names["parameters"]))
            return _empty()
        bars = self.mark == "bar"
        if self.log_y and bars:
            notices.append("Bars start at 0, so their y axis stays linear.")
        return summary_data(
            records,
            self.metric,
            self.statistic,
            self.x_parameter,
            log_x=self.log_x and not bars,
            log_y=self.log_y and not bars,
        )

    # -- drawing ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self._x_axis = bqplot.Axis(scale=bqplot.LinearScale(), grid_lines="dashed")
        self._y_axis = bqplot.Axis(scale=bqplot.LinearScale(), side="left", grid_lines="dashed")
        self.figure = bqplot.Figure(
            axes=[self._x_axis, self._y_axis],
            marks=[],
            legend_location="top-right",
            animation_duration=0,
            fig_margin={"top": 40, "bottom": 50, "left": 70, "right": 20},
            layout=widgets.Layout(width="100%", height="420px"),
        )
        self._notice = widgets.Label(layout=widgets.Layout(display="none"))

        self._metric_control = widgets.Dropdown(description="Metric")
        self._x_control = widgets.Dropdown(description="x")
        self._statistic_control = widgets.Dropdown(description="Statistic", options=STATISTICS)
        self._mark_control = widgets.ToggleButtons(options=MARKS)
        self._log_control = widgets.Checkbox(description="Log y", indent=False)
        for control in (
            self._metric_control,
            self._x_control,
            self._statistic_control,
            self._mark_control,
            self._log_control,
        ):
            control.observe(self._on_control, names="value")
        self._controls = widgets.HBox(
            [
                self._metric_control,
                self._x_control,
                self._statistic_control,
                self._mark_control,
                self._log_control,
            ]
        )
        self._owned += [
            *self._controls.children,
            self._controls,
            self._x_axis.scale,
            self._y_axis.scale,
            self._x_axis,
            self._y_axis,
            self.figure,
            self._notice,
        ]

    def _on_control(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] is None:
            return
        control = change["owner"]
        if control is self._metric_control:
            self.metric = change["new"]
        elif control is self._x_control:
            if self.mode == "summary":
                self.x_parameter = change["new"]
            else:
                self.x_axis = change["new"]
        elif control is self._statistic_control:
            self.statistic = change["new"]
        elif control is self._mark_control:
            self.mark = change["new"]
        else:
            self.log_y = change["new"]

    def _update_controls(self, names: Mapping[str, Sequence[str]]) -> None:
        summary = self.mode == "summary"
        _set_options(self._metric_control, list(names["metrics"]), self.metric)
        if summary:
            _set_options(self._x_control, list(names["parameters"]), self.x_parameter)
        else:
            axes = [(_X_AXIS_LABELS[axis], axis) for axis in X_AXES]
            _set_options(self._x_control, axes, self.x_axis)
        self._statistic_control.value = self.statistic
        self._statistic_control.layout.display = None if summary else "none"
        _set_options(self._mark_control, list(MARKS if summary else MARKS[:2]), self.mark)
        self._log_control.value = self.log_y

    def _scale(self, axis: str, kind: str) -> bqplot.Scale:
        scale = self._scales.get((axis, kind))
        if scale is None:
            factory = {
                "linear": bqplot.LinearScale,
                "log": bqplot.LogScale,
                "date": bqplot.DateScale,
                "ordinal": bqplot.OrdinalScale,
            }[kind]
            scale = factory()
            self._scales[(axis, kind)] = scale
        return scale

    def _draw(self, data: ChartData) -> None:
        summary = self.mode == "summary"
        bars = summary and self.mark == "bar"
        if bars or data.x_categories is not None:
            x_kind = "ordinal"
        elif not summary and self.x_axis == "wall_time":
            x_kind = "date"
        else:
            x_kind = "log" if self.log_x else "linear"
        y_kind = "log" if self.log_y and not bars else "linear"
        scales = {"x": self._scale("x", x_kind), "y": self._scale("y", y_kind)}

        tick_labels: dict[str, str] | None = None
        if bars:
            specs, domain, tick_labels = _bar_specs(data)
            scales["x"].domain = domain
        else:
            if x_kind == "ordinal":
                scales["x"].domain = list(data.x_categories or [])
            specs = _point_specs(data, self.mark, as_dates=x_kind == "date")

        marks: dict[tuple[str, str], bqplot.Mark] = {}
        for key, mark_type, attributes in specs:
            marks[key] = self._reuse_mark(key, mark_type, {**attributes, "scales": scales})
        for key, mark in self._marks.items():
            if marks.get(key) is not mark:
                mark.close()
        self._marks = marks

        if summary:
            y_label = f"{self.metric} ({self.statistic})" if self.metric else ""
            x_label = self.x_parameter
        else:
            y_label = self.metric
            x_label = _X_AXIS_LABELS[self.x_axis]
        with self.figure.hold_sync():
            with self._x_axis.hold_sync():
                self._x_axis.scale = scales["x"]
                self._x_axis.label = x_label
                self._x_axis.tick_labels = tick_labels
            with self._y_axis.hold_sync():
                self._y_axis.scale = scales["y"]
                self._y_axis.label = y_label
            self.figure.marks = list(marks.values())
            self.figure.title = y_label

    def _reuse_mark(
        self, key: tuple[str, str], mark_type: type[bqplot.Mark], attributes: dict[str, Any]
    ) -> bqplot.Mark:
        # Updating a mark in place sends only its new data; a live chart does not flicker.
        mark = self._marks.get(key)
        if mark is None or type(mark) is not mark_type:
            return mark_type(**attributes)
        with mark.hold_sync():
            for name, value in attributes.items():
                setattr(mark, name, value)
        return mark


MarkSpec = tuple[tuple[str, str], type, dict[str, Any]]


def _point_specs(data: ChartData, mark: str, as_dates: bool) -> list[MarkSpec]:
    """Return lines (with a marker on isolated points) or scatter marks, one set per series."""
    specs: list[MarkSpec] = []
    for series in data.series:
        colour = data.colours.get(series.trial, data.colours.get(series.key, "#1f77b4"))
        x = _dates(series.x) if as_dates else series.x
        common = {"colors": [colour], "labels": [series.label]}
        if mark == "line":
            specs.append(
                (
                    ("line", series.key),
                    bqplot.Lines,
                    {**common, "x": x, "y": series.y, "display_legend": True},
                )
            )
            # A line needs two neighbouring points; a lone one gets a marker to stay visible.
            alone = isolated_points(series.y)
            if alone.any():
                specs.append(
                    (
                        ("isolated", series.key),
                        bqplot.Scatter,
                        {**common, "x": x[alone], "y": series.y[alone], "display_legend": False},
                    )
                )
        else:
            shown = np.isfinite(series.y)
            specs.append(
                (
                    ("scatter", series.key),
                    bqplot.Scatter,
                    {**common, "x": x[shown], "y": series.y[shown], "display_legend": True},
                )
            )
    return specs


def _bar_specs(data: ChartData) -> tuple[list[MarkSpec], list[str], dict[str, str]]:
    """Return one bar per component, ordered by x, with the x value as its tick label.

    Bars stand on an ordinal axis of component names so that two components with one
    parameter value get a bar each instead of hiding each other.
    """
    placed: list[tuple[Any, str, str]] = []
    specs: list[MarkSpec] = []
    categories = {category: index for index, category in enumerate(data.x_categories or [])}
    for series in data.series:
        shown = np.isfinite(series.y)
        names = [name for name, keep in zip(series.components, shown, strict=True) if keep]
        for name, x in zip(series.components, series.x, strict=True):
            order = categories[str(x)] if categories else float(x)
            placed.append((order, name, str(x) if categories else f"{float(x):g}"))
        specs.append(
            (
                ("bar", series.key),
                bqplot.Bars,
                {
                    "x": np.array(names, dtype=str),
                    "y": series.y[shown],
                    "colors": [data.colours[series.trial]],
                    "labels": [series.label],
                    "display_legend": True,
                },
            )
        )
    placed.sort(key=lambda item: item[0])
    domain = [name for _, name, _ in placed]
    return specs, domain, {name: label for _, name, label in placed}


def _dates(seconds: np.ndarray) -> np.ndarray:
    return (seconds * 1000).astype("int64").astype("datetime64[ms]")


def _set_options(control: widgets.Widget, options: list[Any], value: Any) -> None:
    """Set a selection widget's options and value, adding the value if it is not listed."""
    values = [option[1] if isinstance(option, tuple) else option for option in options]
    if value and value not in values:
        options = [*options, value]
    with control.hold_sync():
        if list(control.options) != options:
            control.options = options
        control.value = value if value else None


def _check_mark_for_mode(mark: str, mode: str) -> None:
    if mark == "bar" and mode == "time_series":
        raise TraitError(
            "Invalid mark 'bar' for a time series: bars show one value per component, so set "
            "mode='summary' or use mark 'line' or 'scatter'."
        )


def _choose(trait: str, names: Sequence[str]) -> str:
    if not names:
        return f"Nothing to plot: the components have no {trait.split('_')[-1]} yet."
    return f"Nothing to plot: set {trait} to one of {_quoted(names)}."


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _empty() -> ChartData:
    return ChartData(series=[], colours={}, left_out=LeftOut())
