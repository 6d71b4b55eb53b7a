"""Long names in the Experiments sidebar, and the settings of the trial component list.

The Lab starts with user settings that show Max in metric columns and only the trial, trial
component and metric column groups, on the store of ``seed_table.py`` plus an experiment and a
trial whose names are too long for the sidebar.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from seed_browser import PANEL_ID, breadcrumbs, grid, row
from seed_table import (
    EXPERIMENT,
    column_header,
    seed_table_store,
    table_layout,
    visible_column_keys,
)
from ui_support import LabServer, open_lab, running_lab, save_screenshots, set_checked

from jupyter_experiments import Experiment
from jupyter_experiments.sdk._store import reset_stores

OPEN_TABLE = "jupyter-experiments:open-component-list"

#: Names of the maximum length, 120 characters, far wider than the sidebar.
LONG_EXPERIMENT = ("sweep-of-hidden-channels-and-learning-rates-" * 3)[:120]
LONG_TRIAL = ("trial-with-eight-hidden-channels-and-adam-" * 3)[:120]

#: User settings of the table plugin, as the Settings Editor would write them.
TABLE_SETTINGS = {
    "defaultStatistic": "max",
    "visibleColumnGroups": ["trial", "component", "metrics"],
}


@dataclass
class OpenedLab:
    """A JupyterLab page on the seeded store, started with TABLE_SETTINGS."""

    page: Page
    server: LabServer

    @property
    def panel(self) -> Locator:
        """The Experiments sidebar."""
        return self.page.locator(f"#{PANEL_ID}")


@pytest.fixture(scope="module")
def lab(
    browser_context: BrowserContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenedLab]:
    """Seed a store, write the user settings, start JupyterLab and open it."""
    folder = tmp_path_factory.mktemp("settings")
    db_url = f"sqlite:///{folder / 'store.db'}"
    seed_table_store(db_url, folder / "lab" / "artifacts", folder / "scripts")
    long_experiment = Experiment.create(LONG_EXPERIMENT, store=db_url)
    long_experiment.create_trial(trial_name=LONG_TRIAL)
    reset_stores()
    settings_file = folder / "lab" / "user-settings" / "jupyter-experiments"
    settings_file.mkdir(parents=True)
    (settings_file / "table.jupyterlab-settings").write_text(json.dumps(TABLE_SETTINGS))

    with running_lab(folder / "lab", db_url) as server:
        page = browser_context.new_page()
        try:
            open_lab(page, server)
            yield OpenedLab(page, server)
        except Exception:
            page.screenshot(path=folder / "failure.png")
            print(server.log_tail())
            raise
        finally:
            page.close()


def is_truncated(locator: Locator) -> bool:
    """Return whether an element's text is cut with an ellipsis."""
    return bool(
        locator.evaluate(
            """node => node.scrollWidth > node.clientWidth &&
                getComputedStyle(node).textOverflow === 'ellipsis'"""
        )
    )


def test_long_name_tooltip(lab: OpenedLab) -> None:
    lab.page.get_by_role("tab", name="Experiments").click()
    name = row(lab.panel, LONG_EXPERIMENT).locator(".jp-ExperimentBrowser-name")

    expect(name).to_have_attribute("title", LONG_EXPERIMENT)
    assert is_truncated(name)
    save_screenshots(lab.page, "long-name")


def test_long_crumbs_tooltip(lab: OpenedLab) -> None:
    row(lab.panel, LONG_EXPERIMENT).dblclick()
    row(lab.panel, LONG_TRIAL).dblclick()
    crumbs = breadcrumbs(lab.panel)
    experiment = crumbs.get_by_role("button", name=LONG_EXPERIMENT)
    trial = crumbs.locator("[aria-current=location]")

    expect(trial).to_have_text(LONG_TRIAL)
    expect(trial).to_have_attribute("title", LONG_TRIAL)
    expect(experiment).to_have_attribute("title", LONG_EXPERIMENT)
    assert is_truncated(experiment)
    assert is_truncated(trial)
    assert not is_truncated(crumbs.get_by_role("button", name="Home"))
    expect(grid(lab.panel)).to_be_visible()
    save_screenshots(lab.page, "long-crumbs")


def test_default_statistic_setting(lab: OpenedLab) -> None:
    lab.page.evaluate(
        "([id, args]) => window.jupyterapp.commands.execute(id, args).then(() => undefined)",
        [OPEN_TABLE, {"experiments": [EXPERIMENT]}],
    )

    header = column_header(lab.page, EXPERIMENT, "metrics.test:accuracy")

    expect(header).to_contain_text("test:accuracy (Max)")


def test_column_groups_setting(lab: OpenedLab) -> None:
    keys = visible_column_keys(lab.page, EXPERIMENT)

    assert "metrics.test:accuracy" in keys
    assert "display_name" in keys
    assert not [key for key in keys if key.startswith(("parameters.", "input.", "job."))]
    assert table_layout(lab.page, EXPERIMENT)["hiddenGroups"] == [
        "parameters",
        "input_artifacts",
        "output_artifacts",
        "job_settings",
    ]
    save_screenshots(lab.page, "table")


def test_column_groups_shown_again(lab: OpenedLab) -> None:
    lab.page.get_by_role("button", name="Table properties").click()
    pane = lab.page.get_by_role("region", name="Table properties")
    checkbox = pane.locator("[data-group='parameters']").get_by_role("checkbox", name="Parameters")

    expect(checkbox).not_to_be_checked()
    set_checked(checkbox, True)

    assert "parameters.lr" in visible_column_keys(lab.page, EXPERIMENT)
