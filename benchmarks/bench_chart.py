"""Benchmark the Lab chart panel in Chromium: a time series chart of many long series.

The store contains one experiment with ``--components`` trial components (one trial), each with
``--points`` points of the metric ``train:loss``, logged through the SDK's ``Tracker``.

Then JupyterLab starts on 127.0.0.1 (``ui-tests/ui_support.running_lab``), headless Chromium
opens it, and the page opens the experiment's trial component list, selects every row and runs
"Add chart" (``jupyter-experiments:add-chart``), which opens the chart beside the table. The
chart is measured twice in the same page:

- downsampled: what the panel does, the server downsamples each series to about the chart's
  width in pixels (``max_points``);
- every point: the same chart with ``ChartModel.downsample`` turned off, so the server sends
  every point (``max_points=0``). This is the baseline.

For each, measured in the page with ``performance.now()``:

- time to chart: from the options change to "Time series" until the view has rendered every
  series. This includes fetching the series over HTTP;
- re-renders: the Y axis is switched between linear and log scale ``--renders`` times, which
  renders the chart again without fetching. Reported are the view's ``data-render-ms``
  (building the Vega-Lite spec plus Vega's first render) and the time from the options change
  until the render finished, which includes the view's 50 ms delay that gathers changes.

Run from the repository root with the package installed (``pip install -e .``) and Debian's
Chromium at ``/usr/bin/chromium``::

    python benchmarks/bench_chart.py            # 20 x 10,000 points, about a minute on 2 cores
    python benchmarks/bench_chart.py --quick    # 5 x 2,000 points, a few seconds
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize, sync_playwright

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS.parent / "ui-tests"))

from ui_support import CHROMIUM_FLAGS, chromium_path, open_lab, running_lab  # noqa: E402

from jupyter_experiments import Experiment, Tracker  # noqa: E402
from jupyter_experiments.sdk._store import reset_stores  # noqa: E402

DEFAULT_COMPONENTS = 20
DEFAULT_POINTS = 10_000
DEFAULT_RENDERS = 5
DEFAULT_ROUNDS = 3
QUICK_COMPONENTS = 5
QUICK_POINTS = 2_000
QUICK_RENDERS = 3
QUICK_ROUNDS = 1

#: The target of the chart panel: 20 series of 10,000 points render within this many ms.
TARGET_RENDER_MS = 500

EXPERIMENT = "bench-chart"
METRIC = "train:loss"
#: A fixed start time, so that every run charts the same wall times.
START_TIME_S = 1_767_225_600.0
#: Milliseconds the page waits for a chart before the benchmark fails.
CHART_TIMEOUT_MS = 120_000

VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}

#: Opens the experiment's table, selects every row, runs "Add chart", waits for the chart's
#: first render, and resolves with the chart's DOM id.
ADD_CHART_JS = """async ([experiment, components]) => {
  const app = window.jupyterapp;
  const until = (check) => new Promise(resolve => {
    const poll = () => check() ? resolve() : requestAnimationFrame(poll);
    poll();
  });
  const table = await app.commands.execute(
    'jupyter-experiments:open-component-list', { experiments: [experiment] });
  const model = table.content.model;
  await until(() => model.rowCount === components && model.row(components - 1) !== undefined);
  await model.selectRow(0, 'replace');
  await model.selectRow(components - 1, 'range');
  app.shell.activateById(table.id);
  const chart = await app.commands.execute('jupyter-experiments:add-chart');
  await until(() => chart.content.build !== null && chart.content.model.status === 'ready');
  // The selection's signals reach the chart's model after a 100 ms debounce; its update
  // must not overlap the measured one.
  await new Promise(resolve => setTimeout(resolve, 500));
  window.benchChart = chart;
  return chart.id;
}"""

#: Switches the chart to a time series of `metric` with or without downsampling, and resolves
#: with the milliseconds until every series is drawn, and the series requests' sizes.
TIME_SERIES_JS = """async ([metric, downsample, components]) => {
  const view = window.benchChart.content;
  const model = view.model;
  model.setOptions({ dataType: 'summary' });
  model.downsample = downsample;
  // Forget the series fetched before; a summary chart fetches none.
  await model.refresh();
  performance.clearResourceTimings();
  const drawn = new Promise(resolve => {
    const onRendered = (_, build) => {
      const series = Object.values(model.series).filter(byMetric => byMetric[metric]);
      const points = series.reduce((sum, byMetric) => sum + byMetric[metric].length, 0);
      if (model.status === 'ready' && series.length === components
          && build.pointCount === points) {
        view.rendered.disconnect(onRendered);
        resolve(points);
      }
    };
    view.rendered.connect(onRendered);
  });
  const started = performance.now();
  model.setOptions({ dataType: 'series', chartType: 'line', metrics: [metric], logY: false });
  const points = await drawn;
  const ms = performance.now() - started;
  const requests = performance.getEntriesByType('resource')
    .filter(entry => entry.name.includes('/metrics?'));
  return {
    ms,
    points,
    drawn_rows: view.view.data('source_0').length,
    max_points: downsample ? model.maxPoints : 0,
    requests: requests.length,
    bytes: requests.reduce((sum, entry) => sum + entry.encodedBodySize, 0),
    slowest_request_ms: Math.max(0, ...requests.map(entry => entry.duration)),
    fetched_ms: Math.max(0, ...requests.map(entry => entry.responseEnd - started)),
    render_ms: Number(view.node.querySelector('.jp-ExperimentChart-plot').dataset.renderMs)
  };
}"""

#: Switches the Y axis between linear and log scale, and resolves with the milliseconds from
#: the change until the chart has rendered again, and the view's own render time.
RERENDER_JS = """async () => {
  const view = window.benchChart.content;
  const model = view.model;
  const drawn = new Promise(resolve => {
    const onRendered = () => {
      view.rendered.disconnect(onRendered);
      resolve();
    };
    view.rendered.connect(onRendered);
  });
  const started = performance.now();
  model.setOptions({ logY: !model.options.logY });
  await drawn;
  return {
    ms: performance.now() - started,
    render_ms: Number(view.node.querySelector('.jp-ExperimentChart-plot').dataset.renderMs)
  };
}"""


@dataclass
class Run:
    """The measurements of one chart, with or without downsampling, over every round."""

    label: str
    firsts: list[dict[str, Any]]
    renders: list[dict[str, float]]

    def first_ms(self) -> float:
        """Return the median time to chart over the rounds."""
        return statistics.median(first["ms"] for first in self.firsts)

    def render_ms(self) -> float:
        """Return the median of the view's render times over every re-render."""
        return statistics.median(render["render_ms"] for render in self.renders)

    def change_ms(self) -> float:
        """Return the median time from an options change until the chart rendered again."""
        return statistics.median(render["ms"] for render in self.renders)


def seed(db_url: str, components: int, points: int) -> float:
    """Log ``points`` points of ``METRIC`` for each of ``components`` components; return seconds."""
    started = time.perf_counter()
    experiment = Experiment.create(EXPERIMENT, store=db_url)
    trial = experiment.create_trial(trial_name=EXPERIMENT)
    for index in range(components):
        with Tracker.create(display_name=f"Run {index:02d}", store=db_url) as tracker:
            for step in range(points):
                value = 1 / (step + 1) + 0.01 * math.sin(step / 50 + index)
                tracker.log_metric(METRIC, value, START_TIME_S + step, step)
        trial.add_trial_component(tracker.trial_component)

    # The server opens the file itself; this process must not keep it busy.
    reset_stores()
    return time.perf_counter() - started


def measure(page: Page, run: Run, downsample: bool, components: int, renders: int) -> None:
    """Chart the series with or without downsampling, render the chart again, add to ``run``."""
    run.firsts.append(page.evaluate(TIME_SERIES_JS, [METRIC, downsample, components]))
    run.renders.extend(page.evaluate(RERENDER_JS) for _ in range(renders))


def measure_rounds(page: Page, components: int, renders: int, rounds: int) -> list[Run]:
    """Measure both charts ``rounds`` times, in turn, after one warm-up chart left out."""
    # The first time series chart of a page also compiles Vega's code paths for it.
    measure(page, Run("warm-up", [], []), True, components, 1)
    downsampled = Run("downsampled", [], [])
    full = Run("every point", [], [])
    for _ in range(rounds):
        measure(page, downsampled, True, components, renders)
        measure(page, full, False, components, renders)
    return [downsampled, full]


def report(runs: list[Run], components: int, points: int) -> None:
    """Print a table of both runs and the ratio of the baseline to the downsampled chart."""
    print(f"\n{components} series x {points:,} points of {METRIC}")
    print(
        f"{'chart':<13} {'points drawn':>12} {'max_points':>10} {'transfer':>9} "
        f"{'time to chart':>13} {'render (median)':>15} {'change to render':>16}"
    )
    for run in runs:
        first = run.firsts[-1]
        print(
            f"{run.label:<13} {first['points']:>12,} {first['max_points']:>10} "
            f"{first['bytes'] / 1e6:>7.1f}MB {run.first_ms():>10.0f} ms "
            f"{run.render_ms():>12.0f} ms {run.change_ms():>13.0f} ms"
        )
    for run in runs:
        firsts = ", ".join(f"{first['ms']:.0f}" for first in run.firsts)
        requests = ", ".join(
            f"{first['fetched_ms']:.0f} (slowest {first['slowest_request_ms']:.0f})"
            for first in run.firsts
        )
        values = ", ".join(f"{render['render_ms']:.0f}" for render in run.renders)
        print(f"  {run.label}: time to chart per round (ms): {firsts}")
        print(f"  {run.label}: every series fetched after, per round (ms): {requests}")
        print(f"  {run.label}: view's render ms per re-render: {values}")

    downsampled, full = runs
    print(
        f"\nevery point / downsampled: render {full.render_ms() / downsampled.render_ms():.1f}x, "
        f"time to chart {full.first_ms() / downsampled.first_ms():.1f}x"
    )
    met = "met" if downsampled.render_ms() <= TARGET_RENDER_MS else "not met"
    print(f"target: render within {TARGET_RENDER_MS} ms (downsampled median): {met}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--components", type=int, default=DEFAULT_COMPONENTS)
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS, help="points per series")
    parser.add_argument(
        "--renders", type=int, default=DEFAULT_RENDERS, help="re-renders measured per chart"
    )
    parser.add_argument(
        "--rounds", type=int, default=DEFAULT_ROUNDS, help="times each chart is measured"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_COMPONENTS} series of {QUICK_POINTS:,} points, {QUICK_RENDERS} re-renders, "
        f"{QUICK_ROUNDS} round",
    )
    arguments = parser.parse_args()
    components = QUICK_COMPONENTS if arguments.quick else arguments.components
    points = QUICK_POINTS if arguments.quick else arguments.points
    renders = QUICK_RENDERS if arguments.quick else arguments.renders
    rounds = QUICK_ROUNDS if arguments.quick else arguments.rounds

    with tempfile.TemporaryDirectory(prefix="bench-chart-") as name:
        work = Path(name)
        db_url = f"sqlite:///{work / 'store.db'}"
        seconds = seed(db_url, components, points)
        print(f"Store: {components} components x {points:,} points, logged in {seconds:.1f} s")
        print(
            f"Machine: {platform.system()} {platform.release()} {platform.machine()}, "
            f"Python {platform.python_version()}"
        )

        with running_lab(work / "lab", db_url) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=list(CHROMIUM_FLAGS)
            )
            try:
                page = browser.new_page(viewport=VIEWPORT)
                page.set_default_timeout(CHART_TIMEOUT_MS)
                open_lab(page, server)
                print(f"Chromium {browser.version}")
                page.evaluate(ADD_CHART_JS, [EXPERIMENT, components])
                runs = measure_rounds(page, components, renders, rounds)
            finally:
                browser.close()

    report(runs, components, points)


if __name__ == "__main__":
    main()
