"""TrialComponentTable: one page of trial components as a sortable grid with row selection.

The table is built from standard ipywidgets, so it needs no JavaScript of its own. Sorting and
paging run in the store, which sorts numbers as numbers and puts missing values last, so the
table keeps only one page of records in memory. Cells are ``Label`` widgets, which show their
value as text, so no value from the store is ever read as HTML.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from traitlets import Bool, Dict, Enum, Float, Int, List, TraitError, Unicode, observe, validate

from ..errors import ExperimentsError
from ..sdk._store import StoreLike
from ..sdk.search_expression import SearchExpression
from ..store.search import is_descending, order_by
from .columns import (
    Column,
    available_columns,
    cell_value,
    check_columns,
    default_columns,
    format_cell,
    parse_column,
    shorten,
)
from .live import MIN_INTERVAL_S, ChangePoller
from .refreshing import RefreshControl
from .selection import check_search_expression, resolve_source, search_arguments

if TYPE_CHECKING:
    from ..analytics import ExperimentAnalytics
    from .chart import MetricChart

log = logging.getLogger("jupyter_experiments.widgets")

#: Default ``page_size``: rows per page.
PAGE_SIZE = 50

#: Maximum ``page_size``, because each row is a checkbox plus one label per column in the browser.
MAX_PAGE_SIZE = 500

#: Default ``live_interval_s``: seconds between two polls of the change feed in live mode.
LIVE_INTERVAL_S = 2.0

#: Chooser groups in the order their columns are shown.
CHOOSER_GROUPS = ("Component", "Parameters", "Metrics", "Artifacts")

_ARROWS = {"Ascending": " \u25b2", "Descending": " \u25bc"}


class TrialComponentTable(RefreshControl, widgets.VBox):
    """A sortable, pageable table of trial components with a column chooser and row selection.

    Pass an experiment name, a search expression (both to search within the experiment), or an
    :class:`~jupyter_experiments.ExperimentAnalytics`, whose sort order and parameter and metric
    names the table adopts. With none of them it lists every trial component in the store.
    Other keyword arguments set traits, e.g. ``sort_by="Metrics.test:loss.Last"``.

    Click a column header to sort by it and again to reverse the order. Tick rows to select
    them; :attr:`selected` keeps the names across pages and can drive a
    :class:`~jupyter_experiments.widgets.MetricChart` through :meth:`link_chart`.
    """

    experiment_name = Unicode(
        None,
        allow_none=True,
        help="Experiment whose trial components are listed; None for no experiment filter.",
    ).tag(sync=True)
    search_expression = Dict(
        None,
        allow_none=True,
        help="Search expression in the SageMaker Search form that narrows the components.",
    ).tag(sync=True)
    sort_by = Unicode(
        "CreationTime",
        help="Column id or store sort key of the row order, e.g. 'Metrics.test:loss.Last'.",
    ).tag(sync=True)
    sort_order = Enum(
        ("Ascending", "Descending"),
        "Descending",
        help="Row order; in both orders, components without the sort value come last.",
    ).tag(sync=True)
    columns = List(
        Unicode(),
        help="Column ids shown, in order; empty shows a few fields, parameters and metrics.",
    ).tag(sync=True)
    available_columns = List(
        Unicode(),
        read_only=True,
        help="Column ids that the components in the selection have values for.",
    ).tag(sync=True)
    selected = List(
        Unicode(),
        help="Names of the selected trial components, on any page, in order of selection.",
    ).tag(sync=True)
    page = Int(0, help="Page shown, counted from 0.").tag(sync=True)
    page_size = Int(PAGE_SIZE, help=f"Rows per page, from 1 to {MAX_PAGE_SIZE}.").tag(sync=True)
    row_count = Int(0, read_only=True, help="Trial components in the selection, on all pages.").tag(
        sync=True
    )
    page_components = List(
        Unicode(),
        read_only=True,
        help="Names of the trial components on the page shown, in row order.",
    ).tag(sync=True)
    live = Bool(
        False, help="Whether to refresh when the store changes, by polling its change feed."
    ).tag(sync=True)
    live_interval_s = Float(
        LIVE_INTERVAL_S, help="Seconds between two polls of the change feed in live mode."
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

        source = resolve_source(experiment_name, search_expression, analytics, store)
        self._store = source.store
        self._parameter_names = source.parameter_names
        self._metric_names = source.metric_names
        self._lock = threading.RLock()
        self._ready = False
        # Per thread, so that a live refresh in the poller thread does not hide the user's
        # changes, which arrive in the kernel's main thread, from the observers.
        self._local = threading.local()
        self._batch_depth = 0
        self._refresh_pending = False
        self._shown: list[Column] = []
        self._build_widgets()

        traits: dict[str, Any] = {
            "experiment_name": source.experiment_name,
            "search_expression": source.search_expression,
        }
        if source.sort_by is not None:
            traits["sort_by"] = source.sort_by
        if source.sort_order is not None:
            descending = is_descending(source.sort_order, default=False)
            traits["sort_order"] = "Descending" if descending else "Ascending"
        traits.update(kwargs)
        super().__init__(children=[self._toolbar, self._chooser, self._grid], **traits)

        self._ready = True
        self.refresh()
        if self.live:
            self._start_live()

    def __repr__(self) -> str:
        return (
            f"TrialComponentTable(experiment_name={self.experiment_name!r}, "
            f"rows={self.row_count}, selected={len(self.selected)})"
        )

    # -- public API -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the page shown, the row count and the available columns from the store."""
        with self._lock:
            selection = search_arguments(self.experiment_name, self.search_expression)
            groups = available_columns(self._store.component_columns(**selection))
            total = self._store.count_components(**selection)
            page = min(self.page, max(0, (total - 1) // self.page_size))
            shown = [
                parse_column(column_id)
                for column_id in self.columns
                or default_columns(groups, self._parameter_names, self._metric_names)
            ]
            records = self._store.search_components(
                **selection,
                sort_by=self.sort_by,
                sort_order=self.sort_order,
                limit=self.page_size,
                offset=page * self.page_size,
                include=_include(shown),
            )
            with self._programmatic():
                with self.hold_sync():
                    self.set_trait("row_count", total)
                    self.set_trait(
                        "available_columns", [c for group in groups.values() for c in group]
                    )
                    self.set_trait("page_components", [record["name"] for record in records])
                    self.page = page
                self._shown = shown
                self._update_chooser(groups, [column.id for column in shown])
                self._update_grid(shown, records)
                self._update_status()

    def link_chart(self, chart: MetricChart) -> widgets.dlink:
        """Make ``chart`` plot the selected components; return the link (``unlink()`` ends it)."""
        return widgets.dlink((self, "selected"), (chart, "components"))

    def page_text(self) -> list[list[str]]:
        """Return the full text of the cells shown, one list per row (for tests and copying)."""
        width = len(self._shown)
        return [
            [label.tooltip or label.value for label in self._cells[row][:width]]
            for row in range(len(self.page_components))
        ]

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply a state from the front end, refreshing once for all of its changes."""
        with self._batch():
            super().set_state(sync_data)

    def close(self) -> None:
        """Stop live mode and close the table and every widget it created."""
        self._stop_live()
        for widget in self._owned:
            widget.close()
        super().close()

    # -- validation -------------------------------------------------------------------------

    @validate("experiment_name")
    def _check_experiment_name(self, proposal: dict[str, Any]) -> str | None:
        name = proposal["value"]
        if name is not None:
            try:
                self._store.get_experiment(name)
            except ExperimentsError as error:
                raise TraitError(str(error)) from None
        return name

    @validate("search_expression")
    def _check_search_expression(self, proposal: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return check_search_expression(proposal["value"])
        except ExperimentsError as error:
            raise TraitError(str(error)) from None

    @validate("sort_by")
    def _check_sort_by(self, proposal: dict[str, Any]) -> str:
        try:
            order_by("component", proposal["value"], None)
        except ExperimentsError as error:
            raise TraitError(str(error)) from None
        return str(proposal["value"])

    @validate("columns")
    def _check_columns(self, proposal: dict[str, Any]) -> list[str]:
        try:
            return check_columns(proposal["value"])
        except ExperimentsError as error:
            raise TraitError(str(error)) from None

    @validate("selected")
    def _check_selected(self, proposal: dict[str, Any]) -> list[str]:
        return list(dict.fromkeys(proposal["value"]))

    @validate("page")
    def _check_page(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] < 0:
            raise TraitError(f"Invalid page {proposal['value']}: pages are counted from 0.")
        return int(proposal["value"])

    @validate("page_size")
    def _check_page_size(self, proposal: dict[str, Any]) -> int:
        size = proposal["value"]
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise TraitError(
                f"Invalid page_size {size}: use 1 to {MAX_PAGE_SIZE} rows, and page through "
                "longer selections."
            )
        return int(size)

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
        "experiment_name",
        "search_expression",
        "sort_by",
        "sort_order",
        "columns",
        "page",
        "page_size",
    )
    def _on_query_change(self, change: dict[str, Any]) -> None:
        if not self._ready or self._syncing:
            return
        if self._batch_depth:
            self._refresh_pending = True
            return
        self.refresh()

    @observe("selected")
    def _on_selected(self, change: dict[str, Any]) -> None:
        if not self._ready:
            return
        with self._programmatic():
            self._update_checkboxes()
            self._update_status()

    @observe("live", "live_interval_s")
    def _on_live(self, change: dict[str, Any]) -> None:
        if not self._ready:
            return
        self._stop_live()
        if self.live:
            self._start_live()

    def _start_live(self) -> None:
        self._poller = ChangePoller(
            self._store,
            lambda events, skipped: self.refresh(),
            self.live_interval_s,
            name=f"table {self.model_id}",
        )
        self._poller.start()

    def _stop_live(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self._status = widgets.Label()
        self._previous = widgets.Button(description="Previous", icon="chevron-left")
        self._next = widgets.Button(description="Next", icon="chevron-right")
        self._reload = widgets.Button(description="Refresh", icon="refresh")
        self._previous.on_click(lambda _: self._turn_page(-1))
        self._next.on_click(lambda _: self._turn_page(1))
        self._reload.on_click(lambda _: self.refresh())
        self._toolbar = widgets.HBox([self._previous, self._next, self._reload, self._status])

        self._choosers = {
            group: widgets.SelectMultiple(
                description=group, rows=8, layout=widgets.Layout(width="auto")
            )
            for group in CHOOSER_GROUPS
        }
        for chooser in self._choosers.values():
            chooser.observe(self._on_chooser, names="value")
        self._chooser = widgets.Accordion(
            children=[widgets.HBox(list(self._choosers.values()))],
            titles=("Columns",),
            selected_index=None,
        )

        self._page_checkbox = widgets.Checkbox(
            indent=False, tooltip="Select every row on this page"
        )
        self._page_checkbox.observe(self._on_page_checkbox, names="value")
        self._headers: dict[str, widgets.Widget] = {}
        self._row_checkboxes: list[widgets.Checkbox] = []
        self._cells: list[list[widgets.Label]] = []
        self._grid = widgets.GridBox(layout=widgets.Layout(grid_gap="2px 12px"))
        self._owned += [
            self._status,
            self._previous,
            self._next,
            self._reload,
            self._toolbar,
            *self._choosers.values(),
            *self._chooser.children,
            self._chooser,
            self._page_checkbox,
            self._grid,
        ]

    def _header(self, column: Column) -> widgets.Widget:
        header = self._headers.get(column.id)
        if header is None:
            if column.sortable:
                header = widgets.Button(
                    tooltip=f"Sort by {column.header}",
                    layout=widgets.Layout(width="auto"),
                )
                header.on_click(lambda _, column_id=column.id: self._sort_by_column(column_id))
            else:
                header = widgets.Label(column.header)
            self._headers[column.id] = header
            self._owned.append(header)
        if column.sortable:
            arrow = _ARROWS[self.sort_order] if column.id == self.sort_by else ""
            header.description = column.header + arrow
        return header

    def _row_widgets(self, row: int, width: int) -> tuple[widgets.Checkbox, list[widgets.Label]]:
        # Widgets are reused from page to page, so a refresh sends changed values only.
        while len(self._row_checkboxes) <= row:
            checkbox = widgets.Checkbox(indent=False, layout=widgets.Layout(width="auto"))
            index = len(self._row_checkboxes)
            checkbox.observe(
                lambda change, index=index: self._on_row_checkbox(index, change["new"]),
                names="value",
            )
            self._row_checkboxes.append(checkbox)
            self._owned.append(checkbox)
            self._cells.append([])
        cells = self._cells[row]
        while len(cells) < width:
            cells.append(widgets.Label(layout=widgets.Layout(overflow="hidden")))
            self._owned.append(cells[-1])
        return self._row_checkboxes[row], cells[:width]

    def _update_grid(self, shown: Sequence[Column], records: Sequence[Mapping[str, Any]]) -> None:
        children: list[widgets.Widget] = [self._page_checkbox]
        children += [self._header(column) for column in shown]
        for row, record in enumerate(records):
            checkbox, cells = self._row_widgets(row, len(shown))
            children.append(checkbox)
            for label, column in zip(cells, shown, strict=True):
                text = format_cell(column, cell_value(column, record))
                short = shorten(text)
                with label.hold_sync():
                    label.value = short
                    label.tooltip = text if short != text else None
                children.append(label)
        self._update_checkboxes()
        self._grid.layout.grid_template_columns = (
            f"2em repeat({len(shown)}, minmax(4em, max-content))"
        )
        self._grid.children = children

    def _update_checkboxes(self) -> None:
        chosen = set(self.selected)
        names = self.page_components
        for checkbox, name in zip(self._row_checkboxes, names, strict=False):
            checkbox.value = name in chosen
        self._page_checkbox.value = bool(names) and all(name in chosen for name in names)

    def _update_chooser(self, groups: Mapping[str, Sequence[str]], shown: Sequence[str]) -> None:
        for group, chooser in self._choosers.items():
            options = [(parse_column(column_id).header, column_id) for column_id in groups[group]]
            # A chosen column that no component has yet stays listed, so it can be removed.
            listed = {column_id for _, column_id in options}
            options += [
                (parse_column(column_id).header, column_id)
                for column_id in shown
                if column_id not in listed and _group_of(column_id) == group
            ]
            with chooser.hold_sync():
                if list(chooser.options) != options:
                    chooser.options = options
                chooser.value = tuple(
                    column_id for _, column_id in options if column_id in set(shown)
                )

    def _update_status(self) -> None:
        total = self.row_count
        first = self.page * self.page_size
        on_page = len(self.page_components)
        if total == 0:
            text = "No trial components"
        else:
            text = f"Rows {first + 1}\u2013{first + on_page} of {total}"
        self._status.value = f"{text} \u00b7 {len(self.selected)} selected"
        self._previous.disabled = self.page == 0
        self._next.disabled = first + on_page >= total

    # -- user actions -----------------------------------------------------------------------

    def _turn_page(self, step: int) -> None:
        self.page = max(0, self.page + step)

    def _sort_by_column(self, column_id: str) -> None:
        with self._batch():
            if self.sort_by == column_id:
                self.sort_order = "Descending" if self.sort_order == "Ascending" else "Ascending"
            else:
                self.sort_by = column_id
                self.sort_order = "Ascending"

    def _on_row_checkbox(self, index: int, ticked: bool) -> None:
        if self._syncing or index >= len(self.page_components):
            return
        name = self.page_components[index]
        kept = [other for other in self.selected if other != name]
        self.selected = [*kept, name] if ticked else kept

    def _on_page_checkbox(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        names = list(self.page_components)
        kept = [name for name in self.selected if name not in set(names)]
        self.selected = kept + names if change["new"] else kept

    def _on_chooser(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        chosen = [column_id for chooser in self._choosers.values() for column_id in chooser.value]
        current = [column.id for column in self._shown]
        self.columns = [c for c in current if c in chosen] + [c for c in chosen if c not in current]


def _include(shown: Sequence[Column]) -> tuple[str, ...]:
    """Return what the store loads for the columns shown, so that a page reads no more."""
    kinds = {column.kind for column in shown}
    include = []
    if any(column.kind == "component" and column.name == "trials" for column in shown):
        include.append("parents")
    if "parameter" in kinds:
        include.append("parameters")
    if "metric" in kinds:
        include.append("metrics")
    if kinds & {"input", "output"}:
        include.append("artifacts")
    return tuple(include)


def _group_of(column_id: str) -> str:
    kind = parse_column(column_id).kind
    return {
        "component": "Component",
        "parameter": "Parameters",
        "metric": "Metrics",
    }.get(kind, "Artifacts")
