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
from ui_support import LabServer, open_lab, running_lab, set_checked

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
    rows = wait_for_rows(
        lab.page,
        summary_chart,
        "rows => rows.length === 5 && rows.every(r => r.series === 'test:loss_last')",
    )

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
    rows = wait_for_rows(
        lab.page,
        summary_chart,
        "rows => rows.length === 25 && rows.every(r => r.series === 'test:loss')",
    )

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
    set_checked(pane.locator("label", has_text="test:accuracy").locator("input"), False)
    set_checked(pane.locator("label", has_text="test:loss").locator("input"), True)
    return chart_id


def test_awkward_values(lab: OpenedLab, awkward_chart: str) -> None:
    page = lab.page
    chart_id = awkward_chart

    rows = wait_for_rows(page, chart_id, "rows => rows.length === 7")

    awkward = [row for row in rows if row["label"].startswith("Awkward")]
    assert [row["y"] for row in awkward] == [1.0, None, None, 0.5, None, 0.25]
    assert [row["value"] for row in awkward][1:3] == ["NaN", "Infinity"]
    assert [row.get("edge") for row in awkward] == [None, None, "+∞", None, "−∞", None]
    notes = page.locator(f"#{chart_id} .jp-ExperimentChart-notes")
    expect(notes).to_contain_text("1 NaN value is shown as a gap in its line.")
    expect(notes).to_contain_text(
        "2 infinite values are marked with triangles at the top (+∞) or bottom (−∞) edge."
    )
    expect(notes.locator("li")).to_have_text(["No loss (awkward): no test:loss"])


#: The maximum distance in pixels between an infinity's triangle and its edge of the plot.
EDGE_INSET_PX = 10

#: Returns the shape and vertical pixel position of every symbol the chart's Vega view drew,
#: and the plot's height.
SYMBOLS_JS = f"""(id) => {{
  const view = ({CHART_JS})(id).content.view;
  const symbols = [];
  const walk = (mark) => {{
    for (const item of mark.items ?? []) {{
      if (mark.marktype === 'symbol') {{
        symbols.push({{ shape: item.shape, y: item.y }});
      }}
      (item.items ?? []).forEach(walk);
    }}
  }};
  walk(view.scenegraph().root);
  return {{ symbols, height: view.height() }};
}}"""


def test_awkward_infinity_marks(lab: OpenedLab, awkward_chart: str) -> None:
    page = lab.page
    wait_for_rows(page, awkward_chart, "rows => rows.length === 7")

    drawn = page.evaluate(SYMBOLS_JS, awkward_chart)

    edges = [s for s in drawn["symbols"] if s["shape"] in ("triangle-up", "triangle-down")]
    assert [s["shape"] for s in edges] == ["triangle-up", "triangle-down"]
    # Each triangle sits just inside its edge of the plot.
    assert 0 < edges[0]["y"] <= EDGE_INSET_PX
    assert drawn["height"] - EDGE_INSET_PX <= edges[1]["y"] < drawn["height"]


def test_awkward_log_scale_notice(lab: OpenedLab, awkward_chart: str) -> None:
    page = lab.page
    chart_id = awkward_chart
    pane = properties(page, chart_id)

    set_checked(pane.get_by_label("Log scale X"), True)

    notes = page.locator(f"#{chart_id} .jp-ExperimentChart-notes")
    expect(notes).to_contain_text(
        "2 points with values of 0 or less are left out of the log-scale X axis."
    )
    set_checked(pane.get_by_label("Log scale X"), False)


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


def test_describe_charts_follow_theme(lab: OpenedLab) -> None:
    page = lab.page
    charts = page.locator(".jp-DescribeComponent:visible .jp-DescribeComponent-metricChart")
    expect(charts).to_have_count(2)
    expect(charts.first).to_have_attribute("data-render-count", re.compile(r"^\d+$"))
    before = [int(charts.nth(index).get_attribute("data-render-count") or 0) for index in (0, 1)]

    set_theme(page, "JupyterLab Dark", light=False)
    try:
        for index in (0, 1):
            expect(charts.nth(index)).to_have_attribute("data-render-count", str(before[index] + 1))
            expect(charts.nth(index)).to_have_attribute("data-status", "rendered")
    finally:
        set_theme(page, "JupyterLab Light", light=True)


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


#: Returns the DOM id of the first chart tab, or null.
FIRST_CHART_JS = """() => [...window.jupyterapp.shell.widgets('main')]
  .find(w => w.hasClass('jp-ExperimentChartPanel'))?.id ?? null"""

#: Resolves with true once the saved workspace contains a chart whose options are `options`,
#: placed in the main area's layout, and a trial component list only if `table` is true; or
#: with false after 20 s. (`wait_for_function` would take the pending promise as true.)
CHART_SAVED_JS = """async ([options, table]) => {
  const app = window.jupyterapp;
  const saved = async () => {
    const workspace = await app.serviceManager.workspaces.fetch('default');
    const layout = JSON.stringify(workspace.data['layout-restorer:data'] ?? {});
    const chart = Object.entries(workspace.data).some(([key, value]) =>
      key.startsWith('jupyter-experiments-chart:')
      && layout.includes(key)
      && JSON.stringify(value.data.options) === JSON.stringify(options));
    return chart && layout.includes('jupyter-experiments-component-table:') === table;
  };
  const started = performance.now();
  while (!(await saved())) {
    if (performance.now() - started > 20000) {
      return false;
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  return true;
}"""


#: Resolves with the saved workspace's chart states and main area layout.
SAVED_CHARTS_JS = """async () => {
  const workspace = await window.jupyterapp.serviceManager.workspaces.fetch('default');
  return {
    charts: Object.entries(workspace.data)
      .filter(([key]) => key.startsWith('jupyter-experiments-chart:')),
    main: workspace.data['layout-restorer:data']?.main ?? null
  };
}"""


def chart_state(page: Page, chart_id: str) -> dict[str, Any]:
    """Return a chart's title, options, names and drawn point count."""
    return dict(
        page.evaluate(
            f"""(id) => {{
                const panel = ({CHART_JS})(id);
                return {{
                    label: panel.title.label,
                    options: panel.content.model.options,
                    names: panel.content.model.components.map(c => c.name),
                    points: panel.content.build?.pointCount ?? null
                }};
            }}""",
            chart_id,
        )
    )


def reload_lab(lab: OpenedLab, options: dict[str, Any], table: bool) -> str:
    """Wait until the workspace has saved a chart with ``options`` (and a table if ``table``),
    reload the page and return the DOM id of the restored chart."""
    page = lab.page
    if not page.evaluate(CHART_SAVED_JS, [options, table]):
        saved = page.evaluate(SAVED_CHARTS_JS)
        raise AssertionError(
            f"The workspace never saved a chart with options {options} (table open: {table}). "
            f"Saved: {saved}"
        )
    open_lab(page, lab.server)
    page.wait_for_function(f"() => ({FIRST_CHART_JS})() !== null")
    return str(page.evaluate(FIRST_CHART_JS))


@pytest.fixture(scope="module")
def restored_chart(lab: OpenedLab) -> tuple[dict[str, Any], str]:
    """Chart the Training components with changed options, reload the page; return the state
    before the reload and the DOM id of the restored chart."""
    page = lab.page
    close_all(page)
    open_table(page, EXPERIMENT, len(CHANNELS))
    chart_id = add_chart_of_all_rows(page, EXPERIMENT, len(CHANNELS))
    pane = properties(page, chart_id)
    pane.get_by_label("Data type", exact=True).select_option(label="Time series")
    set_checked(pane.get_by_label("Log scale Y"), True)
    # Time series start with the first metric, test:accuracy; both metrics are drawn.
    set_checked(pane.locator("label", has_text="test:loss").locator("input"), True)
    wait_for_rows(page, chart_id, "rows => rows.length === 50")
    before = chart_state(page, chart_id)

    return before, reload_lab(lab, before["options"], table=True)


def test_restored_chart_options(lab: OpenedLab, restored_chart: tuple[dict[str, Any], str]) -> None:
    before, chart_id = restored_chart

    wait_for_rows(lab.page, chart_id, "rows => rows.length === 50")
    after = chart_state(lab.page, chart_id)

    assert after["options"] == before["options"]
    assert after["options"]["logY"] is True
    assert after["label"] == before["label"]


def test_restored_chart_points(lab: OpenedLab, restored_chart: tuple[dict[str, Any], str]) -> None:
    before, chart_id = restored_chart

    wait_for_rows(lab.page, chart_id, "rows => rows.length === 50")
    after = chart_state(lab.page, chart_id)

    assert after["points"] == before["points"]
    assert sorted(after["names"]) == sorted(before["names"])
    expect(plot(lab.page, chart_id)).to_have_attribute("data-point-count", "50")


def test_restored_chart_follows_table(
    lab: OpenedLab, restored_chart: tuple[dict[str, Any], str]
) -> None:
    page = lab.page
    _, chart_id = restored_chart
    page.wait_for_function(
        f"(label) => ({TABLE_JS})(label)?.model.rowCount === {len(CHANNELS)}", arg=EXPERIMENT
    )
    page.evaluate(
        f"(label) => window.jupyterapp.shell.activateById(({TABLE_JS})(label).parent.id)",
        EXPERIMENT,
    )

    body_cell(page, EXPERIMENT, "name", 0).click()

    rows = wait_for_rows(page, chart_id, "rows => rows.length === 10")
    assert len({row["component"] for row in rows}) == 1


def test_restored_chart_without_table(
    lab: OpenedLab, restored_chart: tuple[dict[str, Any], str]
) -> None:
    page = lab.page
    before, chart_id = restored_chart
    page.evaluate(f"(label) => ({TABLE_JS})(label).parent.close()", EXPERIMENT)
    expect(page.locator(".jp-ComponentTablePanel")).to_have_count(0)
    options = chart_state(page, chart_id)["options"]

    restored_id = reload_lab(lab, options, table=False)

    rows = wait_for_rows(page, restored_id, "rows => rows.length === 50")
    expect(page.locator(".jp-ComponentTablePanel")).to_have_count(0)
    assert len({row["component"] for row in rows}) == len(before["names"])


def test_chart_follows_its_table_opened_again(
    lab: OpenedLab, restored_chart: tuple[dict[str, Any], str]
) -> None:
    page = lab.page
    chart_id = str(page.evaluate(FIRST_CHART_JS))

    # After a reload without the table, and again after closing the table it followed.
    for _ in range(2):
        open_table(page, EXPERIMENT, len(CHANNELS))
        body_cell(page, EXPERIMENT, "name", 0).click()

        # The table opens as a tab over the chart; a hidden chart does not draw.
        page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", chart_id)
        rows = wait_for_rows(page, chart_id, "rows => rows.length === 10")
        assert len({row["component"] for row in rows}) == 1

        page.evaluate(f"(label) => ({TABLE_JS})(label).parent.close()", EXPERIMENT)
        expect(page.locator(".jp-ComponentTablePanel")).to_have_count(0)
