"""The describe view of a trial component in a real JupyterLab page, in headless Chromium.

The component under test is the Training component of trial ``cnn-10``: a real local
``Estimator`` job that ran a one-second Python script printing metric lines, so its log,
job settings and host parameters come from the job itself (see ``seed_table.py``).
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Dialog, Locator, Page, expect
from seed_table import (
    DATASET_URL,
    EXPERIMENT,
    HOSTILE_ARTIFACT,
    JOB_CHANNELS,
    artifact_root,
    seed_table_store,
    trial_name,
)
from ui_support import LabServer, open_lab, running_lab

from jupyter_experiments.jobs import Estimator
from jupyter_experiments.sdk._store import get_store

DESCRIBE = "jupyter-experiments:describe"

#: A job that prints a line every 0.4 s for about three seconds.
SLOW_SCRIPT = textwrap.dedent(
    """\
    import time

    for step in range(8):
        print(f"step {step}: loss: {1.0 / (step + 1)};", flush=True)
        time.sleep(0.4)
    print("slow job done", flush=True)
    """
)


@dataclass
class OpenedDescribe:
    """A JupyterLab page with the describe view of the job's trial component open."""

    page: Page
    server: LabServer
    db_url: str
    folder: Path
    job_component: str

    @property
    def view(self) -> Locator:
        """The visible describe view."""
        return self.page.locator(".jp-DescribeComponent:visible")

    def section(self, name: str) -> Locator:
        """Return a section of the view: metrics, parameters, artifacts, job-settings, logs."""
        return self.view.locator(f"[data-section='{name}']")


def describe(page: Page, name: str) -> None:
    """Run the command that opens the describe view of ``name``."""
    page.evaluate(
        "([id, name]) => window.jupyterapp.commands.execute(id, { name }).then(() => undefined)",
        [DESCRIBE, name],
    )


@pytest.fixture(scope="module")
def lab(
    browser_context: BrowserContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenedDescribe]:
    """Seed a store, start JupyterLab on it and describe the job's trial component."""
    folder = tmp_path_factory.mktemp("describe")
    db_url = f"sqlite:///{folder / 'store.db'}"
    job_component = seed_table_store(db_url, folder / "lab" / "artifacts", folder / "scripts")

    with running_lab(folder / "lab", db_url) as server:
        page = browser_context.new_page()
        dialogs: list[str] = []

        def record_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", record_dialog)
        try:
            open_lab(page, server)
            describe(page, job_component)
            opened = OpenedDescribe(page, server, db_url, folder, job_component)
            expect(opened.view.locator(".jp-DescribeComponent-title")).to_have_text("Training")
            yield opened
            assert dialogs == []
        except Exception:
            failure = folder / "failure.png"
            page.screenshot(path=failure)
            print(f"Screenshot: {failure}\nJupyterLab log ({server.log_path}):")
            print(server.log_tail())
            raise
        finally:
            page.close()


def fact(lab: OpenedDescribe, label: str) -> Locator:
    """Return the value of a header fact such as Status or Trials."""
    return (
        lab.view.locator(".jp-DescribeComponent-fact")
        .filter(has=lab.page.locator("dt", has_text=label))
        .locator("dd")
    )


def test_header_name(lab: OpenedDescribe) -> None:
    expect(fact(lab, "Name")).to_have_text(lab.job_component)


def test_header_status(lab: OpenedDescribe) -> None:
    expect(fact(lab, "Status")).to_have_text("Completed")


def test_header_trial(lab: OpenedDescribe) -> None:
    expect(fact(lab, "Trials")).to_have_text(trial_name(JOB_CHANNELS))
    expect(fact(lab, "Experiments")).to_have_text(EXPERIMENT)


def test_header_duration(lab: OpenedDescribe) -> None:
    expect(fact(lab, "Duration")).to_have_text(re.compile(r"^\d+\.\d s$"))


def test_tab_title(lab: OpenedDescribe) -> None:
    tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(
        has_text="Describe: Training"
    )

    expect(tab).to_have_count(1)


def test_parameters_listed(lab: OpenedDescribe) -> None:
    table = lab.section("parameters")

    expect(table.locator("tr[data-parameter='hidden_channels'] td")).to_have_text(["10", "number"])
    expect(table.locator("tr[data-parameter='optimizer'] td")).to_have_text(["adam", "string"])
    expect(table.locator("tr[data-parameter='lr'] td")).to_have_text(["0.01", "number"])
    expect(table.locator("tr[data-parameter='host:python_version']")).to_have_count(1)


def test_metric_summary(lab: OpenedDescribe) -> None:
    row = lab.section("metrics").locator(
        ".jp-DescribeComponent-metrics tr[data-metric='test:accuracy'] td"
    )

    # Min, Max, Avg, StdDev, Last, Count of the points 80, 95, 88.
    expect(row).to_have_text(["80", "95", "87.6667", "7.50555", "88", "3"])


def test_metric_series_points(lab: OpenedDescribe) -> None:
    series = lab.section("metrics").locator(
        ".jp-DescribeComponent-series[data-metric='test:accuracy']"
    )

    expect(series.locator("tbody tr")).to_have_count(3)
    expect(series.locator("tbody tr").last.locator("td").nth(1)).to_have_text("88")


def test_metric_chart_container(lab: OpenedDescribe) -> None:
    charts = lab.section("metrics").locator(".jp-DescribeComponent-metricChart")

    expect(charts).to_have_count(2)
    expect(charts.first).to_have_attribute("data-metric", "test:accuracy")


def test_input_artifact_link(lab: OpenedDescribe) -> None:
    link = lab.section("artifacts").locator("tr[data-artifact='training'] a")

    expect(link).to_have_attribute("href", DATASET_URL)
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_text(DATASET_URL)


def test_artifact_text_not_html(lab: OpenedDescribe) -> None:
    cell = lab.section("artifacts").locator("tr[data-artifact='notes'] td").first

    expect(cell).to_have_text(HOSTILE_ARTIFACT)
    expect(lab.view.locator("img")).to_have_count(0)


def test_output_artifacts_listed(lab: OpenedDescribe) -> None:
    outputs = lab.section("artifacts").locator("[data-artifacts='output'] tbody tr")

    expect(outputs).to_have_count(2)
    expect(outputs.filter(has_text="log")).to_contain_text("text/plain")


def test_job_settings_listed(lab: OpenedDescribe) -> None:
    settings = lab.section("job-settings")

    expect(settings.locator("tr[data-setting='exit_code'] td")).to_have_text("0")
    expect(settings.locator("tr[data-setting='status'] td")).to_have_text("Completed")
    expect(settings.locator("tr[data-setting='job_name'] td")).to_contain_text("mnist-job")


def test_log_tail_shown(lab: OpenedDescribe) -> None:
    log = lab.section("logs").locator(".jp-DescribeComponent-log")

    expect(log).to_contain_text("Training with 10 channels")
    expect(log).to_contain_text("Epoch 1: Test Accuracy: 95.0%;")
    expect(log).to_contain_text("Training done")


def test_sections_collapse(lab: OpenedDescribe) -> None:
    section = lab.section("job-settings")

    section.locator("summary").click()
    expect(section.locator("table")).to_be_hidden()
    section.locator("summary").click()
    expect(section.locator("table")).to_be_visible()


def test_screenshot(lab: OpenedDescribe) -> None:
    path = lab.folder / "describe.png"
    lab.view.evaluate("node => node.scrollTo(0, 0)")
    lab.page.screenshot(path=path)
    print(f"Screenshot: {path}")

    assert path.stat().st_size > 0


def test_stages_switch(lab: OpenedDescribe) -> None:
    stages = lab.view.get_by_role("navigation", name="Trial stages")
    expect(stages.get_by_role("button")).to_have_count(2)

    stages.get_by_role("button", name="Preprocessing (Completed)").click()

    expect(lab.view.locator(".jp-DescribeComponent-title")).to_have_text("Preprocessing")
    expect(
        lab.section("parameters").locator("tr[data-parameter='normalization_mean'] td").first
    ).to_have_text("0.1307")
    expect(stages.get_by_role("button", name="Preprocessing (Completed)")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(lab.section("logs")).to_contain_text("no output artifact")
    stages.get_by_role("button", name="Training (Completed)").click()
    expect(lab.view.locator(".jp-DescribeComponent-title")).to_have_text("Training")


def test_unknown_component_error(lab: OpenedDescribe) -> None:
    describe(lab.page, "no-such-component")

    message = lab.page.locator(".jp-DescribeComponent:visible .jp-DescribeComponent-message")
    expect(message).to_contain_text("not found")


def test_running_job_refreshes(lab: OpenedDescribe) -> None:
    scripts = lab.folder / "slow"
    scripts.mkdir()
    (scripts / "slow.py").write_text(SLOW_SCRIPT, encoding="utf-8")
    estimator = Estimator(
        entry_point=scripts / "slow.py",
        metric_definitions=[{"Name": "train:loss", "Regex": r"loss: (.*?);"}],
        python=sys.executable,
        base_job_name="slow-job",
        store=lab.db_url,
    )
    with artifact_root(lab.folder / "lab" / "artifacts"):
        job = estimator.fit(wait=False, logs=False)
    try:
        describe(lab.page, job.trial_component_name)

        log = lab.view.locator(".jp-DescribeComponent-log")
        expect(fact(lab, "Status")).to_have_text("InProgress")
        expect(log).to_contain_text("step 0")
        expect(log).to_contain_text("slow job done", timeout=20_000)
        expect(fact(lab, "Status")).to_have_text("Completed", timeout=20_000)
    finally:
        job.wait(timeout=30)
        get_store(lab.db_url).dispose()
