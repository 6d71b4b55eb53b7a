"""Seed a store for the chart tests.

Three experiments:

- ``mnist-chart``: five trials ``cnn-<channels>``, one per ``hidden_channels`` in 2, 5, 10, 20,
  32, each with one ``Training`` component that logs ``test:loss`` and ``test:accuracy`` over
  five steps. The last ``test:loss`` is ``(1 + 5 / channels) / 5``, so it falls as the channels
  grow. The channels-5 component logs its steps in reverse order.
- ``chart-awkward``: one trial whose components have NaN and infinite values (``Awkward``), a
  single point (``Single``), and no ``test:loss`` at all (``No loss``).
- ``chart-load``: twenty components with 10,000 points of ``train:loss`` each, which the server
  downsamples to about the chart's width, and ``chart-load-1000`` with 1,000 points each, which
  it sends whole, to measure how long a time series chart takes to render.
"""

from __future__ import annotations

import math

from jupyter_experiments import Experiment, Tracker
from jupyter_experiments.sdk._store import reset_stores

EXPERIMENT = "mnist-chart"
AWKWARD_EXPERIMENT = "chart-awkward"
LOAD_EXPERIMENT = "chart-load"
FULL_LOAD_EXPERIMENT = "chart-load-1000"
CHANNELS = (2, 5, 10, 20, 32)
STEPS = 5
#: The component whose steps are logged from last to first.
REVERSED_CHANNELS = 5

#: The test:loss points of the Awkward component, by step.
AWKWARD_LOSS = [1.0, math.nan, math.inf, 0.5, -math.inf, 0.25]

LOAD_COMPONENTS = 20
LOAD_POINTS = 10_000
FULL_LOAD_POINTS = 1_000

#: A fixed start time, so that wall and relative times are the same on every run.
START_TIME_S = 1_767_225_600.0


def loss(channels: int, step: int) -> float:
    """Return the test:loss of a component at a step."""
    return (1 + 5 / channels) / (step + 1)


def accuracy(channels: int, step: int) -> float:
    """Return the test:accuracy of a component at a step."""
    return 100 - 10 / channels - 5 / (step + 1)


def seed_chart_store(db_url: str, load: bool = True) -> None:
    """Record the experiments described above; ``load`` adds ``chart-load``."""
    experiment = Experiment.create(EXPERIMENT, store=db_url)
    for channels in CHANNELS:
        trial = experiment.create_trial(trial_name=f"cnn-{channels}")
        with Tracker.create(
            display_name="Training", base_trial_component_name="training", store=db_url
        ) as training:
            training.log_parameters({"hidden_channels": channels, "lr": 0.01})
            steps = range(STEPS)
            order = reversed(steps) if channels == REVERSED_CHANNELS else steps
            for step in order:
                timestamp = START_TIME_S + step * 10
                training.log_metric("test:loss", loss(channels, step), timestamp, step)
                training.log_metric("test:accuracy", accuracy(channels, step), timestamp, step)
        trial.add_trial_component(training.trial_component)

    awkward = Experiment.create(AWKWARD_EXPERIMENT, store=db_url)
    trial = awkward.create_trial(trial_name="awkward")
    with Tracker.create(display_name="Awkward", store=db_url) as tracker:
        for step, value in enumerate(AWKWARD_LOSS):
            tracker.log_metric("test:loss", value, START_TIME_S + step, step)
    trial.add_trial_component(tracker.trial_component)
    with Tracker.create(display_name="Single", store=db_url) as tracker:
        tracker.log_metric("test:loss", 0.75, START_TIME_S, 0)
    trial.add_trial_component(tracker.trial_component)
    with Tracker.create(display_name="No loss", store=db_url) as tracker:
        tracker.log_metric("test:accuracy", 50.0, START_TIME_S, 0)
    trial.add_trial_component(tracker.trial_component)

    if load:
        seed_load(db_url, LOAD_EXPERIMENT, LOAD_POINTS)
        seed_load(db_url, FULL_LOAD_EXPERIMENT, FULL_LOAD_POINTS)
    reset_stores()


def seed_load(db_url: str, name: str, points: int) -> None:
    """Record an experiment of twenty components with ``points`` ``train:loss`` points each."""
    experiment = Experiment.create(name, store=db_url)
    trial = experiment.create_trial(trial_name=name)
    for index in range(LOAD_COMPONENTS):
        with Tracker.create(display_name=f"Run {index:02d}", store=db_url) as tracker:
            for step in range(points):
                value = 1 / (step + 1) + 0.01 * math.sin(step / 50 + index)
                tracker.log_metric("train:loss", value, START_TIME_S + step, step)
        trial.add_trial_component(tracker.trial_component)
