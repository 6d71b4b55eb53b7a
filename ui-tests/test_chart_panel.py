"""Charts of trial components in a real JupyterLab page, in headless Chromium.

The tests select rows of a trial component list, run "Add chart" from the row context menu and
read what the chart draws from its Vega view (``view.data('source_0')``), which the chart tab
exposes through ``window.jupyterapp``. ``seed_chart.py`` describes the seeded values.
Screenshots in the light and dark theme go to ``ui-tests/artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from seed_chart import (
    AWKWARD_EXPERIMENT,
    CHANNELS,
    EXPERIMENT,
    FULL_LOAD_EXPERIMENT,
    FULL_LOAD_POINTS,
    LOAD_COMPONENTS,
    LOAD_EXPERIMENT,
    LOAD_POINTS,
    REVERSED_CHANNELS,
    STEPS,
    seed_chart_store,
)
from seed_table import TABLE_JS, body_cell, column_texts
from ui_support import LabServer, open_lab, running_lab

OPEN_TABLE = "jupyter-experiments:open-component-list"
DESCRIBE = "jupyter-experiments:describe"
ARTIFACTS = Path(__file__).parent / "artifacts"

#: Returns the ChartPanel with the given DOM id.
CHART_JS = """(id) => [...window.jupyterapp.shell.widgets('main')].find(w => w.id === id)"""

#: Returns the rows the chart's Vega view draws, or null before the first render.
CHART_ROWS_JS = f"""(id) => {{
  const view = ({CHART_JS})(id)?.content.view;
  return view ? view.data('source_0').map(row => ({{ ...row }})) : null;
}}"""


@dataclass
class OpenedLab:
    """A JupyterLab page on the seeded chart store."""

    page: Page
    server: LabServer
    folder: Path


@pytest.fixture(scope="module")
def lab(
    browser_context: BrowserContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenedLab]:
    """Seed a store and open JupyterLab on it."""
    folder = tmp_path_factory.mktemp("chart")
    db_url = f"sqlite:///{folder / 'store.db'}"
    seed_chart_store(db_url)

    with running_lab(folder / "lab", db_url) as server:
        page = browser_context.new_page()
        try:
            open_lab(page, server)
            yield OpenedLab(page=page, server=server, folder=folder)
        except Exception:
            failure = folder / "failure.png"
            page.screenshot(path=failure)
            print(f"Screenshot: {failure}\nJupyterLab log ({server.log_path}):")
            print(server.log_tail())
            raise
        finally:
            page.close()


def open_table(page: Page, experiment: str, rows: int) -> None:
    """Open the trial component list of an experiment and wait for its rows."""
    page.evaluate(
        "([id, args]) => window.jupyterapp.commands.execute(id, args).then(() => undefined)",
        [OPEN_TABLE, {"experiments": [experiment]}],
    )
    page.wait_for_function(
        f"([label, rows]) => ({TABLE_JS})(label)?.model.rowCount === rows",
        arg=[experiment, rows],
    )


def menu_item(page: Page, name: str) -> Locator:
    """Return the item of the open context menu labelled ``name``."""
    return page.locator(".lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(name)}$"))
    )


def add_chart_of_all_rows(page: Page, experiment: str, rows: int) -> str:
    """Select every row of a table, run "Add chart" on them, and return the chart's DOM id."""
    body_cell(page, experiment, "name", 0).click()
    body_cell(page, experiment, "name", rows - 1).click(modifiers=["Shift"])
    page.wait_for_function(
        f"([label, rows]) => ({TABLE_JS})(label).model.selectedNames.size === rows",
        arg=[experiment, rows],
    )
    body_cell(page, experiment, "name", rows - 1).click(button="right")
    charts = page.locator(".jp-ExperimentChartPanel").count()
    menu_item(page, "Add chart").click()
    expect(page.locator(".jp-ExperimentChartPanel")).to_have_count(charts + 1)
    chart_id = str(page.evaluate("() => window.jupyterapp.shell.currentWidget.id"))
    expect(page.locator(f"#{chart_id}.jp-ExperimentChartPanel")).to_be_visible()
    return chart_id


def properties(page: Page, chart_id: str) -> Locator:
    """Open the Chart properties pane of a chart by clicking the chart, and return it."""
    page.locator(f"#{chart_id} .jp-ExperimentChart-plot").click()
    pane = page.locator(f"#{chart_id}").get_by_role("region", name="Chart properties")
    expect(pane).to_be_visible()
    return pane


def wait_for_rows(page: Page, chart_id: str, predicate: str) -> list[dict[str, Any]]:
    """Wait until the chart's drawn rows satisfy a JavaScript predicate of ``rows``; return them."""
    try:
        page.wait_for_function(
            f"""(id) => {{
                const rows = ({CHART_ROWS_JS})(id);
                const plot = document.querySelector(`#${{id}} .jp-ExperimentChart-plot`);
                return rows !== null && plot.dataset.status === 'rendered' && ({predicate})(rows);
            }}""",
            arg=chart_id,
            timeout=20_000,
        )
    except PlaywrightTimeoutError:
        rows = page.evaluate(CHART_ROWS_JS, chart_id)
        notes = page.locator(f"#{chart_id} .jp-ExperimentChart-notes").inner_text()
        raise AssertionError(
            f"The chart's rows never matched {predicate}. Rows: {rows}. Notes: {notes!r}"
        ) from None
    return page.evaluate(CHART_ROWS_JS, chart_id)


def plot(page: Page, chart_id: str) -> Locator:
    """Return the plot element of a chart."""
    return page.locator(f"#{chart_id} .jp-ExperimentChart-plot")


def close_all(page: Page) -> None:
    """Close every tab of the main area, so that the next chart gets room."""
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
    expect(page.locator(".jp-ComponentTablePanel, .jp-ExperimentChartPanel")).to_have_count(0)


def set_theme(page: Page, theme: str, light: bool) -> None:
    """Switch JupyterLab's theme and wait until it is applied."""
    page.evaluate(
        "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })",
        theme,
    )
    page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === String(light)", arg=light
    )
    # JupyterLab covers the page with a splash screen while the theme loads.
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)


def wait_for_rerender(page: Page, chart_id: str, after: int) -> None:
    """Wait until a chart has rendered more than ``after`` times."""
    page.wait_for_function(
        """([id, after]) => {
            const plot = document.querySelector(`#${id} .jp-ExperimentChart-plot`);
            return Number(plot.dataset.renderCount ?? 0) > after
                && plot.dataset.status === 'rendered';
        }""",
        arg=[chart_id, after],
    )


@pytest.fixture(scope="module")
def summary_chart(lab: OpenedLab) -> str:
    """Chart the five Training components: test:loss_last against hidden_channels, as a line."""
    page = lab.page
    open_table(page, EXPERIMENT, len(CHANNELS))
    chart_id = add_chart_of_all_rows(page, EXPERIMENT, len(CHANNELS))

    pane = properties(page, chart_id)
    pane.get_by_label("Data type", exact=True).select_option(label="Summary statistics")
    pane.get_by_label("Chart type", exact=True).select_option(label="Line")
    pane.get_by_label("X axis", exact=True).select_option(label="hidden_channels")
    pane.get_by_label("Y axis 1", exact=True).select_option(label="test:loss_last")
    return chart_id


def test_chart_beside_table(lab: OpenedLab, summary_chart: str) -> None:
    table = lab.page.locator(".jp-ComponentTablePanel:visible")
    chart = lab.page.locator(f"#{summary_chart}")

    table_box = table.bounding_box()
    chart_box = chart.bounding_box()
    assert table_box is not None and chart_box is not None
    assert chart_box["x"] >= table_box["x"] + table_box["width"] - 1


def test_summary_five_points_in_order(lab: OpenedLab, summary_chart: str) -> None:
    rows = wait_for_rows(
        lab.page,
        summary_chart,
        "rows => rows.length === 5 && rows.every(r => r.series === 'test:loss_last')",
    )

    assert [row["x"] for row in rows] == list(CHANNELS)
    assert [row["trial"] for row in rows] == [f"cnn-{c}" for c in CHANNELS]


def test_summary_values_are_last_loss(lab: OpenedLab, summary_chart: str) -> None:
    rows = wait_for_rows(lab.page, summary_chart, "rows => rows.length === 5")

    expected = [(1 + 5 / c) / STEPS for c in CHANNELS]
    assert [row["y"] for row in rows] == pytest.approx(expected)


def test_summary_point_count(lab: OpenedLab, summary_chart: str) -> None:
    wait_for_rows(lab.page, summary_chart, "rows => rows.length === 5")

    expect(plot(lab.page, summary_chart)).to_have_attribute("data-point-count", "5")
    expect(plot(lab.page, summary_chart).locator("canvas")).to_have_count(1)


def test_summary_screenshots(lab: OpenedLab, summary_chart: str) -> None:
    page = lab.page
    wait_for_rows(page, summary_chart, "rows => rows.length === 5")
    ARTIFACTS.mkdir(exist_ok=True)

    light = ARTIFACTS / "chart-summary-light.png"
    page.screenshot(path=light)
    count = int(plot(page, summary_chart).get_attribute("data-render-count") or 0)
    set_theme(page, "JupyterLab Dark", light=False)
    wait_for_rerender(page, summary_chart, count)
    dark = ARTIFACTS / "chart-summary-dark.png"
    page.screenshot(path=dark)
    set_theme(page, "JupyterLab Light", light=True)
    print(f"Screenshots: {light} {dark}")

    assert light.stat().st_size > 0
    assert dark.stat().st_size > 0


def test_time_series_line_per_component(lab: OpenedLab, summary_chart: str) -> None:
    page = lab.page
    pane = properties(page, summary_chart)

    pane.get_by_label("Data type", exact=True).select_option(label="Time series")
    rows = wait_for_rows(
        page,
        summary_chart,
        "rows => rows.length === 25 && rows.every(r => r.series === 'test:loss')",
    )

    lines = {row["line"] for row in rows}
    assert len(lines) == len(CHANNELS)
    expect(plot(page, summary_chart)).to_have_attribute("data-point-count", "25")


def test_time_series_ordered_by_step(lab: OpenedLab, summary_chart: str) -> None:
    rows = wait_for_rows(lab.page, summary_chart, "rows => rows.length === 25")

    reversed_rows = [row for row in rows if row["trial"] == f"cnn-{REVERSED_CHANNELS}"]
    assert [row["step"] for row in reversed_rows] == list(range(STEPS))


def test_time_series_follows_selection(lab: OpenedLab, summary_chart: str) -> None:
    page = lab.page
    page.evaluate(
        f"(label) => window.jupyterapp.shell.activateById(({TABLE_JS})(label).parent.id)",
        EXPERIMENT,
    )
    body_cell(page, EXPERIMENT, "name", 0).click()

    rows = wait_for_rows(page, summary_chart, "rows => rows.length === 5")

    assert len({row["component"] for row in rows}) == 1


@pytest.fixture(scope="module")
def awkward_chart(lab: OpenedLab) -> str:
    """Chart the test:loss time series of the three components of the awkward experiment."""
    page = lab.page
    close_all(page)
    open_table(page, AWKWARD_EXPERIMENT, 3)
    chart_id = add_chart_of_all_rows(page, AWKWARD_EXPERIMENT, 3)
    pane = properties(page, chart_id)
    pane.get_by_label("Data type", exact=True).select_option(label="Time series")
    pane.locator("label", has_text="test:accuracy").locator("input").uncheck()
    pane.locator("label", has_text="test:loss").locator("input").check()
    return chart_id


def test_awkward_values(lab: OpenedLab, awkward_chart: str) -> None:
    page = lab.page
    chart_id = awkward_chart

    rows = wait_for_rows(page, chart_id, "rows => rows.length === 7")

    awkward = [row for row in rows if row["label"].startswith("Awkward")]
    assert [row["y"] for row in awkward] == [1.0, None, None, 0.5, None, 0.25]
    assert [row["value"] for row in awkward][1:3] == ["NaN", "Infinity"]
    notes = page.locator(f"#{chart_id} .jp-ExperimentChart-notes")
    expect(notes).to_contain_text("1 NaN and 2 infinite values are shown as gaps")
    expect(notes.locator("li")).to_have_text(["No loss (awkward): no test:loss"])


def test_awkward_log_scale_notice(lab: OpenedLab, awkward_chart: str) -> None:
    page = lab.page
    chart_id = awkward_chart
    pane = properties(page, chart_id)

    pane.get_by_label("Log scale X").check()

    notes = page.locator(f"#{chart_id} .jp-ExperimentChart-notes")
    expect(notes).to_contain_text(
        "2 points with values of 0 or less are left out of the log-scale X axis."
    )
    pane.get_by_label("Log scale X").uncheck()


def test_describe_metric_charts(lab: OpenedLab) -> None:
    page = lab.page
    open_table(page, EXPERIMENT, len(CHANNELS))
    names = column_texts(page, EXPERIMENT, "name")
    page.evaluate(
        "([id, name]) => window.jupyterapp.commands.execute(id, { name }).then(() => undefined)",
        [DESCRIBE, names[0]],
    )

    charts = page.locator(".jp-DescribeComponent:visible .jp-DescribeComponent-metricChart")
    expect(charts).to_have_count(2)
    for index in range(2):
        expect(charts.nth(index)).to_have_attribute("data-status", "rendered")
        expect(charts.nth(index)).to_have_attribute("data-point-count", str(STEPS))
        expect(charts.nth(index).locator("canvas")).to_have_count(1)


def measure_renders(page: Page, chart_id: str, times: int = 3) -> list[int]:
    """Render a chart again ``times`` times; return each render's milliseconds."""
    timings = []
    for _ in range(times):
        count = int(plot(page, chart_id).get_attribute("data-render-count") or 0)
        page.evaluate(f"(id) => ({CHART_JS})(id).content.rerender()", chart_id)
        wait_for_rerender(page, chart_id, count)
        timings.append(int(plot(page, chart_id).get_attribute("data-render-ms") or 0))
    return timings


def load_chart(page: Page, experiment: str) -> tuple[str, int]:
    """Chart the train:loss series of a load experiment; return the chart id and its points."""
    close_all(page)
    open_table(page, experiment, LOAD_COMPONENTS)
    chart_id = add_chart_of_all_rows(page, experiment, LOAD_COMPONENTS)
    pane = properties(page, chart_id)
    pane.get_by_label("Data type", exact=True).select_option(label="Time series")
    rows = wait_for_rows(
        page,
        chart_id,
        f"rows => new Set(rows.map(r => r.line)).size === {LOAD_COMPONENTS}",
    )
    return chart_id, len(rows)


def test_load_downsampled(lab: OpenedLab) -> None:
    chart_id, points = load_chart(lab.page, LOAD_EXPERIMENT)

    timings = measure_renders(lab.page, chart_id)
    print(f"Rendered {LOAD_COMPONENTS} series of {LOAD_POINTS} points as {points}: {timings} ms")

    # The server downsampled each series to about the chart's width in pixels. The render
    # times are printed, not asserted: benchmarks/bench_chart.py measures them.
    assert points <= LOAD_COMPONENTS * 1000


def test_load_render_time(lab: OpenedLab) -> None:
    chart_id, points = load_chart(lab.page, FULL_LOAD_EXPERIMENT)

    timings = measure_renders(lab.page, chart_id)
    print(f"Rendered {LOAD_COMPONENTS} series, {points} points: {timings} ms")

    assert points == LOAD_COMPONENTS * FULL_LOAD_POINTS
