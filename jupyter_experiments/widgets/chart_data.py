"""Turn trial component records and metric points into the series that a chart plots.

Pure functions with no widget import, so the rules that decide what is plotted and what is left
out are tested on their own:

* points are ordered by step (or by time on a time axis), whatever order they were logged in;
* NaN and infinite values are left out, and so are values <= 0 on a log axis. A left-out y value
  stays in the series as NaN, so that a line shows a gap there instead of a drop to 0; a point
  whose x is left out has no position and is dropped;
* every left-out value and every component without the metric or the parameter is counted in a
  :class:`LeftOut`, whose :meth:`LeftOut.notice` the chart shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ValidationError
from ..store.search import METRIC_STATISTICS

#: Summary statistics a chart can plot, as the store's record keys.
STATISTICS = ("min", "max", "avg", "std_dev", "last", "first", "count")

#: x axes of a time series: the step, the wall time (UTC) or the seconds since the component's
#: first point.
X_AXES = ("step", "wall_time", "relative_time")

#: Legend entry of the components that belong to no trial.
NO_TRIAL = "(no trial)"

#: Trial colours in order of first appearance: d3's category10 palette, which bqplot uses too.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

#: Maximum number of component names a notice lists before "and N more".
MAX_LISTED_NAMES = 5


def normalize_statistic(name: str) -> str:
    """Return the record key of a statistic given as e.g. 'Last', 'StdDev' or 'mean'."""
    key = METRIC_STATISTICS.get(str(name).lower())
    if key is None:
        raise ValidationError(f"Unknown statistic {name!r}: use one of {', '.join(STATISTICS)}.")
    return key


@dataclass
class LeftOut:
    """Values and components that a chart leaves out, counted for its notice."""

    non_finite: int = 0
    non_positive: int = 0
    missing_metric: list[str] = field(default_factory=list)
    missing_parameter: list[str] = field(default_factory=list)
    non_numeric_parameter: list[str] = field(default_factory=list)

    def notice(self, metric: str, parameter: str | None = None) -> str:
        """Return one sentence that lists what is left out, or '' when nothing is."""
        parts = []
        if self.non_finite:
            parts.append(f"{_count(self.non_finite, 'NaN or infinite value')}")
        if self.non_positive:
            parts.append(f"{_count(self.non_positive, 'value')} <= 0 on a log scale")
        if self.missing_metric:
            parts.append(
                f"{_count(len(self.missing_metric), 'component')} without metric {metric!r} "
                f"({_list_names(self.missing_metric)})"
            )
        if self.missing_parameter:
            parts.append(
                f"{_count(len(self.missing_parameter), 'component')} without parameter "
                f"{parameter!r} ({_list_names(self.missing_parameter)})"
            )
        if self.non_numeric_parameter:
            parts.append(
                f"{_count(len(self.non_numeric_parameter), 'component')} whose parameter "
                f"{parameter!r} is not a number ({_list_names(self.non_numeric_parameter)})"
            )
        if not parts:
            return ""
        return "Left out: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class Series:
    """One line or set of points: x and y arrays of equal length, NaN in y where left out."""

    key: str
    trial: str
    label: str
    x: np.ndarray
    y: np.ndarray
    components: tuple[str, ...]


@dataclass
class ChartData:
    """The series of a chart, their colours by trial, and what was left out.

    ``x_categories`` is the ordered list of x values when the x axis shows categories (a
    parameter whose values are strings or booleans), None when it shows numbers.
    """

    series: list[Series]
    colours: dict[str, str]
    left_out: LeftOut
    x_categories: list[str] | None = None


@dataclass(frozen=True)
class ComponentPoints:
    """A component's points of one metric; ``points`` is None when it lacks the metric."""

    name: str
    display_name: str
    trial: str
    points: Sequence[Mapping[str, Any]] | None


def trial_of(record: Mapping[str, Any]) -> str:
    """Return the trial a component is shown under: its first trial, or :data:`NO_TRIAL`."""
    trials = record.get("trials") or []
    return str(trials[0]) if trials else NO_TRIAL


def assign_colours(trials: Iterable[str]) -> dict[str, str]:
    """Give each distinct trial a palette colour, in order of first appearance."""
    colours: dict[str, str] = {}
    for trial in trials:
        if trial not in colours:
            colours[trial] = PALETTE[len(colours) % len(PALETTE)]
    return colours


def plottable(values: np.ndarray, log_scale: bool) -> np.ndarray:
    """Return a mask of the values a scale can show: finite, and > 0 on a log scale."""
    mask = np.isfinite(values)
    if log_scale:
        mask &= values > 0
    return mask


def isolated_points(y: np.ndarray) -> np.ndarray:
    """Return a mask of the finite values with no finite neighbour.

    A line draws nothing for such a point, so the chart adds a marker there.
    """
    finite = np.isfinite(y)
    before = np.concatenate(([False], finite[:-1]))
    after = np.concatenate((finite[1:], [False]))
    return finite & ~before & ~after


def time_series_data(
    components: Sequence[ComponentPoints],
    x_axis: str = "step",
    log_x: bool = False,
    log_y: bool = False,
) -> ChartData:
    """Return one series per component that has the metric, coloured by trial.

    Parameters
    ----------
    components:
        The components in legend order, each with its points as the store returns them
        (``step``, ``timestamp`` in UTC epoch seconds, ``value``).
    x_axis:
        One of :data:`X_AXES`. ``wall_time`` x values are epoch seconds; ``relative_time``
        ones are seconds since the component's first point.
    log_x, log_y:
        Whether that axis has a log scale, on which values <= 0 are left out.
    """
    if x_axis not in X_AXES:
        raise ValidationError(f"Unknown x axis {x_axis!r}: use one of {', '.join(X_AXES)}.")
    left_out = LeftOut()
    present = [c for c in components if c.points]
    left_out.missing_metric = [c.name for c in components if not c.points]

    per_trial: dict[str, int] = {}
    for component in present:
        per_trial[component.trial] = per_trial.get(component.trial, 0) + 1

    series = []
    for component in present:
        assert component.points is not None
        steps = np.array([p["step"] for p in component.points], dtype=float)
        times = np.array([p["timestamp"] for p in component.points], dtype=float)
        values = np.array([p["value"] for p in component.points], dtype=float)

        # Out-of-order logging is common (resumed runs, several writers), so order here
        # rather than trust the input; mergesort keeps the write order of equal keys.
        if x_axis == "step":
            order = np.argsort(steps, kind="mergesort")
            x = steps[order]
        else:
            order = np.lexsort((steps, times))
            x = times[order] - (times.min() if x_axis == "relative_time" else 0.0)
        y = values[order]

        x_kept = plottable(x, log_x and x_axis != "wall_time")
        x_dropped = ~x_kept
        left_out.non_finite += int(np.count_nonzero(x_dropped & ~np.isfinite(x)))
        left_out.non_positive += int(np.count_nonzero(x_dropped & np.isfinite(x)))
        x, y = x[x_kept], y[x_kept]

        y, non_finite, non_positive = _blank_unplottable(y, log_y)
        left_out.non_finite += non_finite
        left_out.non_positive += non_positive

        label = component.display_name
        if component.trial != NO_TRIAL:
            label = component.trial
            if per_trial[component.trial] > 1:
                label = f"{component.trial} / {component.display_name}"
        series.append(
            Series(
                key=component.name,
                trial=component.trial,
                label=label,
                x=x,
                y=y,
                components=(component.name,),
            )
        )
    colours = assign_colours(s.trial if s.trial != NO_TRIAL else s.key for s in series)
    return ChartData(series=series, colours=colours, left_out=left_out)


def summary_data(
    records: Sequence[Mapping[str, Any]],
    metric: str,
    statistic: str,
    parameter: str,
    log_x: bool = False,
    log_y: bool = False,
) -> ChartData:
    """Return a summary statistic against a parameter, one series per trial.

    ``records`` are trial components as :meth:`TrackingStore.search_components` returns them.
    A parameter that is a number on at least one component gives a numeric x axis, and the
    components with a string or boolean value are then left out. Otherwise the x axis shows the
    values as sorted categories. Each series is ordered by x.
    """
    key = normalize_statistic(statistic)
    left_out = LeftOut()

    with_parameter = []
    for record in records:
        if parameter not in record["parameters"]:
            left_out.missing_parameter.append(record["name"])
        else:
            with_parameter.append(record)
    numeric = any(_is_number(r["parameters"][parameter]) for r in with_parameter)

    # (trial, x, category, y, component) per component that has both values.
    rows: list[tuple[str, float, str, float, str]] = []
    for record in with_parameter:
        value = record["parameters"][parameter]
        if numeric and not _is_number(value):
            left_out.non_numeric_parameter.append(record["name"])
            continue
        summary = record["metrics"].get(metric)
        if summary is None:
            left_out.missing_metric.append(record["name"])
            continue
        x = float(value) if numeric else math.nan
        if numeric and not (math.isfinite(x) and (x > 0 or not log_x)):
            if math.isfinite(x):
                left_out.non_positive += 1
            else:
                left_out.non_finite += 1
            continue
        rows.append((trial_of(record), x, str(value), float(summary[key]), record["name"]))

    categories = None if numeric else sorted({category for _, _, category, _, _ in rows})
    position = {category: index for index, category in enumerate(categories or [])}

    by_trial: dict[str, list[tuple[str, float, str, float, str]]] = {}
    for row in rows:
        by_trial.setdefault(row[0], []).append(row)

    series = []
    for trial, members in by_trial.items():
        members.sort(key=lambda row: row[1] if numeric else position[row[2]])
        x_values = (
            np.array([row[1] for row in members], dtype=float)
            if numeric
            else np.array([row[2] for row in members], dtype=str)
        )
        y, non_finite, non_positive = _blank_unplottable(
            np.array([row[3] for row in members], dtype=float), log_y
        )
        left_out.non_finite += non_finite
        left_out.non_positive += non_positive
        series.append(
            Series(
                key=trial,
                trial=trial,
                label=trial,
                x=x_values,
                y=y,
                components=tuple(row[4] for row in members),
            )
        )
    colours = assign_colours(s.trial for s in series)
    return ChartData(series=series, colours=colours, left_out=left_out, x_categories=categories)


def _blank_unplottable(y: np.ndarray, log_scale: bool) -> tuple[np.ndarray, int, int]:
    """Return y with NaN where a value cannot be shown, and the non-finite and <= 0 counts."""
    kept = plottable(y, log_scale)
    non_finite = int(np.count_nonzero(~np.isfinite(y)))
    non_positive = int(np.count_nonzero(~kept)) - non_finite
    return np.where(kept, y, np.nan), non_finite, non_positive


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _list_names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED_NAMES])
    if len(names) > MAX_LISTED_NAMES:
        shown += f" and {len(names) - MAX_LISTED_NAMES} more"
    return shown
