"""Benchmark the trial component list in Chromium: time to first rows and scroll frames.

The store contains one experiment with ``--components`` trial components (100 per trial), each
with ``--parameters`` parameters and ``--metrics`` metrics of ``--points`` points, written
straight into the tables by ``bench_api.build_our_store`` (SQLAlchemy Core ``executemany`` in
one transaction), because writing them through the SDK one call at a time takes minutes and is
not what is measured.

Then JupyterLab starts on 127.0.0.1 (``ui-tests/ui_support.running_lab``), headless Chromium
opens it, and the page runs the command ``jupyter-experiments:open-component-list`` for the
experiment. Measured in the page with ``performance.now()``:

- time to first rows: from the command until the first rows are loaded and painted (the grid
  module, the column names and the first page of 100 rows are fetched in that time);
- a jump to the last rows: ``scrollToRow`` near the end, until those rows are loaded;
- vertical scroll: the grid scrolls from the top to the bottom by ``--rows-per-frame`` rows,
  then again by 3 rows (about a wheel notch), on every animation frame; reported are the frame
  intervals (median, 95th percentile, longest, count over 50 ms) and how many frames showed
  rows in view that were still loading;
- horizontal scroll: the grid scrolls across every column, 200 px per frame;
- time for a sort: a click on the header of the metric column ``m0`` (sorted by its default
  statistic, descending), until the first row's name cell shows the first row of the new
  order; then a second click (ascending), and a click on the ``Name`` header. The duration of
  the query request the click sent (``performance.getEntriesByType('resource')``) is reported
  next to it, to tell the server's share from the browser's.

Run from the repository root with the package installed (``pip install -e .``) and Debian's
Chromium at ``/usr/bin/chromium``::

    python benchmarks/bench_table.py            # about a minute on 2 cores
    python benchmarks/bench_table.py --quick    # 1,000 components, a few seconds
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize, sync_playwright

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(0, str(BENCHMARKS.parent / "ui-tests"))

from bench_api import Dataset, build_our_store  # noqa: E402
from ui_support import CHROMIUM_FLAGS, chromium_path, open_lab, running_lab  # noqa: E402

DEFAULT_COMPONENTS = 10_000
DEFAULT_PARAMETERS = 30
DEFAULT_METRICS = 10
DEFAULT_POINTS = 2
DEFAULT_ROWS_PER_FRAME = 20
#: About what one notch of a mouse wheel scrolls, 3 rows, on every frame.
SLOW_ROWS_PER_FRAME = 3
#: The grid's row height, ComponentGrid.ROW_HEIGHT, in CSS pixels.
ROW_HEIGHT = 24
QUICK_COMPONENTS = 1000

#: The experiment bench_api.build_our_store creates.
EXPERIMENT = "bench"

VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}

#: Opens the table and resolves with the milliseconds until its first rows are painted.
FIRST_ROWS_JS = """async (experiment) => {
  const app = window.jupyterapp;
  const started = performance.now();
  const panel = await app.commands.execute(
    'jupyter-experiments:open-component-list', { experiments: [experiment] });
  const table = panel.content;
  // Done when the first row's name cell shows its value, which needs the column names, the
  // first page and a render.
  await new Promise(resolve => {
    const check = () => {
      const name = table.model.row(0)?.name;
      const cell = table.grid.node.querySelector(
        '[aria-rowindex="3"] [data-column-key="name"]');
      if (name !== undefined && cell !== null && cell.textContent === name) {
        resolve();
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  });
  window.benchTable = table;
  return {
    ms: performance.now() - started,
    rows: table.model.rowCount,
    columns: table.model.visibleColumns.length
  };
}"""

#: Scrolls the grid by `step` pixels per frame along one axis; returns the frame intervals.
SCROLL_JS = """async ([axis, step]) => {
  const table = window.benchTable;
  const grid = table.grid;
  grid.scrollTo(0, 0);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const intervals = [];
  let loadingFrames = 0;
  let last = performance.now();
  await new Promise(resolve => {
    const frame = now => {
      intervals.push(now - last);
      last = now;
      if (axis === 'y') {
        // The rows in view, without the ones the grid renders beyond it.
        const first = Math.floor(grid.scrollY / 24);
        const last = Math.min(
          table.model.rowCount - 1,
          first + Math.floor((grid.node.clientHeight - 48) / 24));
        for (let row = first; row <= last; row++) {
          if (table.model.row(row) === undefined) {
            loadingFrames++;
            break;
          }
        }
      }
      const done = axis === 'y'
        ? grid.scrollY >= grid.maxScrollY
        : grid.scrollX >= grid.maxScrollX;
      if (done) {
        resolve();
        return;
      }
      if (axis === 'y') {
        grid.scrollBy(0, step);
      } else {
        grid.scrollBy(step, 0);
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return { intervals: intervals.slice(1), loadingFrames };
}"""

#: Jumps to a row near the end and resolves with the milliseconds until it is loaded.
JUMP_JS = """async (row) => {
  const table = window.benchTable;
  const started = performance.now();
  table.grid.scrollToRow(row);
  await new Promise(resolve => {
    const check = () => {
      if (table.model.row(row) !== undefined) {
        resolve();
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  });
  return performance.now() - started;
}"""


#: Clicks a column header and resolves with the milliseconds until the first row of the new
#: order shows, and the duration of the query request the sort sent.
SORT_JS = """async (key) => {
  const table = window.benchTable;
  const grid = table.grid;
  grid.scrollTo(0, 0);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const header = grid.node.querySelector(
    `[role="columnheader"][data-column-key="${CSS.escape(key)}"]`);
  if (header === null) {
    throw new Error(`No header for column ${key}`);
  }
  performance.clearResourceTimings();
  const started = performance.now();
  header.click();
  await new Promise(resolve => {
    const check = () => {
      const name = table.model.row(0)?.name;
      const cell = grid.node.querySelector('[aria-rowindex="3"] [data-column-key="name"]');
      if (table.model.sort?.key === key && name !== undefined && cell !== null
          && cell.textContent === name) {
        resolve();
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  });
  const ms = performance.now() - started;
  const queries = performance.getEntriesByType('resource')
    .filter(entry => entry.name.includes('query/trial-components'));
  return {
    ms,
    order: table.model.sort.order,
    first: table.model.row(0).name,
    request_ms: queries.length > 0 ? queries[0].duration : null
  };
}"""

#: The metric column the sort is measured on; bench_api names metrics m0, m1, ...
SORT_COLUMN = "metrics.m0"


@dataclass
class Frames:
    """Frame intervals of one scroll, in milliseconds."""

    label: str
    intervals: list[float]
    loading_frames: int

    def line(self) -> str:
        ordered = sorted(self.intervals)
        p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
        slow = sum(1 for value in ordered if value > 50)
        return (
            f"{self.label:<34} {len(ordered):5d} frames   median "
            f"{statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   max "
            f"{ordered[-1]:6.1f} ms   >50 ms: {slow}   frames with loading rows: "
            f"{self.loading_frames}"
        )


def measure(page: Page, rows_per_frame: int) -> dict[str, Any]:
    """Open the table in ``page`` and return the measurements."""
    first = page.evaluate(FIRST_ROWS_JS, EXPERIMENT)
    # Jump and fast scroll first, while most pages are not loaded yet; the slow scroll then
    # measures rendering alone.
    jump_row = first["rows"] - 50
    jump_ms = page.evaluate(JUMP_JS, jump_row)
    fast = page.evaluate(SCROLL_JS, ["y", rows_per_frame * ROW_HEIGHT])
    slow = page.evaluate(SCROLL_JS, ["y", SLOW_ROWS_PER_FRAME * ROW_HEIGHT])
    horizontal = page.evaluate(SCROLL_JS, ["x", 200])
    sorts = [
        page.evaluate(SORT_JS, SORT_COLUMN),
        page.evaluate(SORT_JS, SORT_COLUMN),
        page.evaluate(SORT_JS, "name"),
    ]
    return {
        "first": first,
        "scrolls": [
            Frames(
                f"vertical, {rows_per_frame} rows per frame",
                fast["intervals"],
                fast["loadingFrames"],
            ),
            Frames(
                f"vertical, {SLOW_ROWS_PER_FRAME} rows per frame",
                slow["intervals"],
                slow["loadingFrames"],
            ),
            Frames("horizontal, 200 px per frame", horizontal["intervals"], 0),
        ],
        "jump_ms": jump_ms,
        "jump_row": jump_row,
        "sorts": list(zip([SORT_COLUMN, SORT_COLUMN, "name"], sorts, strict=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--components", type=int, default=DEFAULT_COMPONENTS)
    parser.add_argument("--parameters", type=int, default=DEFAULT_PARAMETERS)
    parser.add_argument("--metrics", type=int, default=DEFAULT_METRICS)
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS)
    parser.add_argument("--rows-per-frame", type=int, default=DEFAULT_ROWS_PER_FRAME)
    parser.add_argument("--quick", action="store_true", help=f"use {QUICK_COMPONENTS} components")
    arguments = parser.parse_args()
    components = QUICK_COMPONENTS if arguments.quick else arguments.components

    with tempfile.TemporaryDirectory(prefix="bench-table-") as name:
        work = Path(name)
        data = Dataset(components, arguments.parameters, arguments.metrics, arguments.points)
        seconds = build_our_store(work / "store.db", data)
        print(
            f"Store: {components} components x {arguments.parameters} parameters x "
            f"{arguments.metrics} metrics ({arguments.points} points each), "
            f"written in {seconds:.1f} s"
        )
        print(
            f"Machine: {platform.system()} {platform.release()} {platform.machine()}, "
            f"Python {platform.python_version()}"
        )

        with (
            running_lab(work / "lab", f"sqlite:///{work / 'store.db'}") as server,
            sync_playwright() as playwright,
        ):
            context = playwright.chromium.launch_persistent_context(
                user_data_dir=work / "chromium-profile",
                executable_path=chromium_path(),
                headless=True,
                args=list(CHROMIUM_FLAGS),
                viewport=VIEWPORT,
            )
            try:
                page = context.new_page()
                open_lab(page, server)
                print(f"Chromium {context.browser.version if context.browser else '(persistent)'}")
                cold = measure(page, arguments.rows_per_frame)
                # The same table closed and opened again in the same page: the server and
                # the browser have served the same requests once.
                page.evaluate("() => window.benchTable.parent.close()")
                warm = measure(page, arguments.rows_per_frame)
            finally:
                context.close()

    for label, result in (("first open", cold), ("second open", warm)):
        first = result["first"]
        print(f"\n{label}: {first['rows']} rows, {first['columns']} columns")
        print(f"  time to first rows {first['ms']:7.0f} ms")
        for frames in result["scrolls"]:
            print(f"  {frames.line()}")
        print(f"  jump to row {result['jump_row']}: loaded after {result['jump_ms']:.0f} ms")
        for key, sort in result["sorts"]:
            request = sort["request_ms"]
            request_text = f"{request:.0f} ms" if request is not None else "not recorded"
            print(
                f"  sort by {key} {sort['order']}: first row {sort['first']} after "
                f"{sort['ms']:.0f} ms (query request {request_text})"
            )


if __name__ == "__main__":
    main()
