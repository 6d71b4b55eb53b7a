"""The describe view of a trial component in a real JupyterLab page, in headless Chromium.

The component under test is the Training component of trial ``cnn-10``: a real local
``Estimator`` job that ran a one-second Python script printing metric lines, so its log,
job settings and host parameters come from the job itself (see ``seed_table.py``). The Stop job
tests start their own jobs in a child process that writes to the Lab's store.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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
from ui_support import LabServer, open_lab, running_lab, save_screenshots

from jupyter_experiments import Experiment, Trial
from jupyter_experiments.jobs import Estimator
from jupyter_experiments.sdk._store import get_store, reset_stores
from jupyter_experiments.sdk.artifacts import ARTIFACT_ROOT_ENV

DESCRIBE = "jupyter-experiments:describe"

#: The second experiment of the trial-mapping test, and its trial.
OTHER_EXPERIMENT = "fashion-demo"
OTHER_TRIAL = "fashion-baseline"

#: A job that prints a metric line every 0.2 s for a minute, long enough to be stopped.
ENDLESS_SCRIPT = textwrap.dedent(
    """\
    import time

    for step in range(300):
        print(f"step {step}: loss: {1.0 / (step + 1)};", flush=True)
        time.sleep(0.2)
    """
)

#: Runs ENDLESS_SCRIPT as an Estimator job (argv: script, store URL), prints the trial
#: component's name, then the job's final status once it has ended.
JOB_RUNNER = textwrap.dedent(
    """\
    import sys

    from jupyter_experiments.jobs import Estimator

    estimator = Estimator(
        entry_point=sys.argv[1],
        metric_definitions=[{"Name": "train:loss", "Regex": r"loss: (.*?);"}],
        python=sys.executable,
        base_job_name="endless-job",
        store=sys.argv[2],
    )
    job = estimator.fit(wait=False, logs=False)
    print(job.trial_component_name, flush=True)
    print(job.wait(), flush=True)
    """
)

#: Seconds the job runner may take to end once its job was stopped.
RUNNER_EXIT_TIMEOUT_S = 30

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

    expect(table.locator("tr[data-parameter='hidden_channels'] td")).to_have_text(["10", "integer"])
    expect(table.locator("tr[data-parameter='optimizer'] td")).to_have_text(["adam", "string"])
    expect(table.locator("tr[data-parameter='lr'] td")).to_have_text(["0.01", "float"])
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


def test_remote_artifact_plain_text(lab: OpenedDescribe) -> None:
    cell = lab.section("artifacts").locator("tr[data-artifact='training'] td").first

    expect(cell).to_have_text(DATASET_URL)
    expect(cell.locator("a")).to_have_count(0)
    expect(cell.locator("button")).to_have_count(0)


def preprocessing_of(lab: OpenedDescribe, channels: int) -> str:
    """Return the name of the Preprocessing component of trial ``cnn-<channels>``."""
    components = Trial.load(trial_name(channels), store=lab.db_url).list_trial_components()
    return next(
        component.trial_component_name
        for component in components
        if component.trial_component_name.startswith("preprocessing")
    )


def test_artifact_outside_root(lab: OpenedDescribe) -> None:
    describe(lab.page, preprocessing_of(lab, JOB_CHANNELS))
    cell = lab.section("artifacts").locator("tr[data-artifact='raw'] td").first
    value = cell.locator(".jp-DescribeComponent-localPath")

    expect(value).to_have_text("file:///data/mnist/raw")
    expect(value).to_have_attribute("title", re.compile("outside the Jupyter server root"))
    expect(cell.locator("button")).to_have_count(0)
    describe(lab.page, lab.job_component)


def test_artifact_opens_file_browser(lab: OpenedDescribe) -> None:
    row = lab.section("artifacts").locator("[data-artifacts='output'] tr[data-artifact='log']")
    button = row.get_by_role("button")
    expect(button).to_have_attribute("data-path", re.compile(r"^artifacts/.+/job\.log$"))
    path = button.get_attribute("data-path") or ""

    button.click()

    selected = lab.page.locator("#filebrowser .jp-DirListing-item.jp-mod-selected")
    expect(selected).to_have_text(re.compile(r"job\.log"))
    expect(lab.page.locator("#filebrowser .jp-BreadCrumbs")).to_contain_text(path.split("/")[-2])


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


def mapping_rows(lab: OpenedDescribe) -> Locator:
    """Return the rows of the Trial mappings section."""
    return lab.section("trial-mappings").locator("tbody tr")


def test_trial_mappings_listed(lab: OpenedDescribe) -> None:
    rows = mapping_rows(lab)

    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text([trial_name(JOB_CHANNELS), EXPERIMENT])


def test_trial_mapping_opens_list(lab: OpenedDescribe) -> None:
    tabs = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab")
    trial = trial_name(JOB_CHANNELS)

    mapping_rows(lab).first.get_by_role("button", name=trial).click()
    expect(tabs.filter(has_text=re.compile(rf"^{trial}$"))).to_have_count(1)
    describe(lab.page, lab.job_component)
    mapping_rows(lab).first.get_by_role("button", name=EXPERIMENT).click()
    expect(tabs.filter(has_text=re.compile(rf"^{EXPERIMENT}$"))).to_have_count(1)

    describe(lab.page, lab.job_component)
    expect(lab.view.locator(".jp-DescribeComponent-title")).to_have_text("Training")


def test_mappings_two_experiments(lab: OpenedDescribe) -> None:
    preprocessing = preprocessing_of(lab, 2)
    other = Experiment.create(OTHER_EXPERIMENT, store=lab.db_url)
    other.create_trial(trial_name=OTHER_TRIAL).add_trial_component(preprocessing)
    reset_stores()

    describe(lab.page, preprocessing)

    expect(mapping_rows(lab).locator("td")).to_have_text(
        [trial_name(2), EXPERIMENT, OTHER_TRIAL, OTHER_EXPERIMENT]
    )
    lab.section("trial-mappings").scroll_into_view_if_needed()
    save_screenshots(lab.page, "two-experiments")
    describe(lab.page, lab.job_component)


def test_sections_collapse(lab: OpenedDescribe) -> None:
    section = lab.section("job-settings")

    section.locator("summary").click()
    expect(section.locator("table")).to_be_hidden()
    section.locator("summary").click()
    expect(section.locator("table")).to_be_visible()


def test_screenshots(lab: OpenedDescribe) -> None:
    lab.view.evaluate("node => node.scrollTo(0, 0)")
    top = save_screenshots(lab.page, "header")
    lab.section("artifacts").scroll_into_view_if_needed()
    artifacts = save_screenshots(lab.page, "artifacts")

    for path in top + artifacts:
        assert path.read_bytes().startswith(b"\x89PNG")


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


@contextmanager
def endless_job(lab: OpenedDescribe) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start ENDLESS_SCRIPT as a job in a child process; yield its trial component and process."""
    folder = lab.folder / "endless"
    folder.mkdir(exist_ok=True)
    script = folder / "endless.py"
    script.write_text(ENDLESS_SCRIPT, encoding="utf-8")
    runner = folder / "runner.py"
    runner.write_text(JOB_RUNNER, encoding="utf-8")
    env = {**os.environ, ARTIFACT_ROOT_ENV: str(lab.folder / "lab" / "artifacts")}
    with subprocess.Popen(
        [sys.executable, str(runner), str(script), lab.db_url],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            name = process.stdout.readline().strip()
            assert name, f"The job runner exited with code {process.wait()} before its job started."
            yield name, process
        finally:
            if process.poll() is None:
                # NOTE: killing the runner leaves its training process to end on its own (60 s).
                process.kill()


def stop_button(lab: OpenedDescribe) -> Locator:
    """Return the Stop job button of the describe view's header."""
    return lab.view.locator(".jp-DescribeComponent-titleBar").get_by_role("button")


def stop_through_api(lab: OpenedDescribe, name: str) -> int:
    """Stop a job with the REST API, as another client would; return the HTTP status."""
    request = urllib.request.Request(
        f"{lab.server.url}experiments/api/trial-components/{name}/stop",
        method="POST",
        headers={"Authorization": f"token {lab.server.token}"},
    )
    # The URL is the loopback server that the fixture started.
    with urllib.request.urlopen(request, timeout=10) as response:
        json.load(response)
        return int(response.status)


def test_stop_job(lab: OpenedDescribe) -> None:
    with endless_job(lab) as (name, process):
        describe(lab.page, name)
        expect(fact(lab, "Status")).to_have_text("InProgress")
        expect(lab.section("logs").locator(".jp-DescribeComponent-log")).to_contain_text("step 0")

        stop_button(lab).click()
        dialog = lab.page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Stop the job of Training?")
        save_screenshots(lab.page, "confirm")
        dialog.get_by_role("button", name="Stop job").click()

        expect(fact(lab, "Status")).to_have_text(re.compile("^Stopped"), timeout=20_000)
        expect(stop_button(lab)).to_have_count(0)
        save_screenshots(lab.page, "stopped")
        assert process.stdout is not None
        assert process.wait(timeout=RUNNER_EXIT_TIMEOUT_S) == 0
        assert process.stdout.read().strip() == "Stopped"


def test_stop_cancelled(lab: OpenedDescribe) -> None:
    with endless_job(lab) as (name, _process):
        describe(lab.page, name)
        expect(fact(lab, "Status")).to_have_text("InProgress")

        stop_button(lab).click()
        lab.page.locator(".jp-Dialog").get_by_role("button", name="Cancel").click()

        expect(lab.page.locator(".jp-Dialog")).to_have_count(0)
        expect(fact(lab, "Status")).to_have_text("InProgress")
        assert stop_through_api(lab, name) == 202


def test_stop_refused_shows_message(lab: OpenedDescribe) -> None:
    with endless_job(lab) as (name, process):
        describe(lab.page, name)
        expect(fact(lab, "Status")).to_have_text("InProgress")
        stop_button(lab).click()
        dialog = lab.page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Stop the job of Training?")

        # Another client stops the job while the confirmation is open, so the server refuses.
        assert stop_through_api(lab, name) == 202
        dialog.get_by_role("button", name="Stop job").click()

        error = lab.page.locator(".jp-Dialog")
        expect(error).to_contain_text("Could not stop the job of Training")
        expect(error).to_contain_text(f"Job '{name}'")
        save_screenshots(lab.page, "error")
        error.get_by_role("button", name="Close").click()
        expect(fact(lab, "Status")).to_have_text(re.compile("^Stopped"), timeout=20_000)
        process.wait(timeout=RUNNER_EXIT_TIMEOUT_S)


def test_describe_from_palette(lab: OpenedDescribe) -> None:
    page = lab.page

    # The palette has no row to describe, so the command prompts for the component's name.
    page.keyboard.press("Control+Shift+C")
    palette = page.locator("#command-palette")
    palette.locator("input").fill("Describe Trial Component")
    palette.locator(".lm-CommandPalette-item", has_text="Describe Trial Component").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill(lab.job_component)
    dialog.locator(".jp-mod-accept").click()

    expect(lab.view.locator(".jp-DescribeComponent-title")).to_have_text("Training")
    expect(fact(lab, "Name")).to_have_text(lab.job_component)
