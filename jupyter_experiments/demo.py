"""The tracked MNIST-style demo: preprocessing, an experiment, and one training job per trial.

It is the flow of the SageMaker Experiments MNIST tutorial, run locally on the real
handwritten digits that scikit-learn ships (or MNIST IDX files given as the training channel).
``jupyter experiments demo`` and ``examples/mnist/mnist-experiment.ipynb`` both run it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .analytics import ExperimentAnalytics
from .jobs import Estimator
from .sdk import Experiment, Tracker
from .sdk._store import StoreLike, get_store

log = logging.getLogger("jupyter_experiments")

HIDDEN_CHANNELS = (2, 5, 10, 20, 32)

#: Passes over the 1,437 training digits; each trial then takes 10-20 s on two cores.
DEFAULT_EPOCHS = 200

METRIC_DEFINITIONS = [
    {"Name": "train:loss", "Regex": "Train Loss: (.*?);"},
    {"Name": "test:loss", "Regex": "Test Average loss: (.*?),"},
    {"Name": "test:accuracy", "Regex": "Test Accuracy: (.*?)%;"},
]

LEADERBOARD_COLUMNS = [
    "TrialComponentName",
    "hidden_channels",
    "test:accuracy - Max",
    "test:loss - Last",
    "train:loss - Last",
]


def mnist_example_dir() -> Path:
    """Return the folder of ``mnist.py``, from the wheel or from a checkout's ``examples/``."""
    for candidate in (
        Path(__file__).parent / "_examples" / "mnist",
        Path(__file__).resolve().parents[1] / "examples" / "mnist",
    ):
        if (candidate / "mnist.py").is_file():
            return candidate
    raise FileNotFoundError(
        "The MNIST example script mnist.py was not found in the package or in examples/mnist. "
        "Reinstall jupyter-experiments, or run from a checkout of the repository."
    )


def digits_dataset() -> tuple[str, Any]:
    """Return the URI of scikit-learn's digits file and the images scaled to [0, 1]."""
    import sklearn.datasets
    from sklearn.datasets import load_digits

    digits = load_digits()
    data_file = Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz"
    return data_file.as_uri(), digits.images / 16.0


def track_preprocessing(store: StoreLike = None, data_dir: str | None = None) -> Tracker:
    """Record the normalisation step as an unassigned trial component and return its tracker."""
    if data_dir:
        import sys

        sys.path.insert(0, str(mnist_example_dir()))
        from idx import load_mnist_channel

        x_train, *_ = load_mnist_channel(data_dir)
        uri, images = Path(data_dir).resolve().as_uri(), x_train / 255.0
    else:
        uri, images = digits_dataset()
    with Tracker.create(
        display_name="Preprocessing", base_trial_component_name="preprocessing", store=store
    ) as tracker:
        tracker.log_parameters(
            {
                "normalization_mean": round(float(images.mean()), 6),
                "normalization_std": round(float(images.std()), 6),
            }
        )
        tracker.log_input(name="mnist-dataset", value=uri, media_type="text/csv")
    return tracker


def run_demo(
    epochs: int = DEFAULT_EPOCHS,
    hidden_channels: Sequence[int] = HIDDEN_CHANNELS,
    experiment_name: str | None = None,
    data_dir: str | None = None,
    store: StoreLike = None,
    progress: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Run the whole demo and return the leaderboard, best test accuracy first."""
    resolved = get_store(store)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    experiment_name = experiment_name or f"mnist-hand-written-digits-{stamp}"
    progress(f"Store: {resolved.url}")

    preprocessing = track_preprocessing(resolved, data_dir)
    progress(
        "Preprocessing recorded as "
        f"{preprocessing.trial_component.trial_component_name}: "
        f"{preprocessing.trial_component.parameters}"
    )
    experiment = Experiment.create(
        experiment_name,
        description="Classification of handwritten digits with a CNN, one trial per width.",
        store=resolved,
    )
    progress(f"Experiment {experiment_name}")

    script_dir = mnist_example_dir()
    for index, channels in enumerate(hidden_channels, start=1):
        trial_name = f"cnn-training-job-{channels}-hidden-channels-{stamp}"
        trial = experiment.create_trial(trial_name=trial_name)
        trial.add_trial_component(preprocessing)
        estimator = Estimator(
            entry_point="mnist.py",
            source_dir=script_dir,
            hyperparameters={
                "hidden_channels": channels,
                "epochs": epochs,
                "optimizer": "sgd",
                "lr": 0.01,
                "momentum": 0.5,
                "dropout": 0.2,
            },
            metric_definitions=METRIC_DEFINITIONS,
            base_job_name=f"cnn-{channels}-hidden-channels",
            store=resolved,
        )
        started = time.monotonic()
        job = estimator.fit(
            inputs=data_dir,
            experiment_config={
                "ExperimentName": experiment_name,
                "TrialName": trial_name,
                "TrialComponentDisplayName": "Training",
            },
            logs=False,
        )
        component = job.trial_component
        accuracy = component.metrics.get("test:accuracy")
        summary = f"test accuracy {accuracy.max:.2f}%" if accuracy else "no test accuracy"
        progress(
            f"Trial {index}/{len(hidden_channels)} hidden_channels={channels}: "
            f"{component.status}, {summary} ({time.monotonic() - started:.1f} s)"
        )
        if component.status != "Completed":
            progress(f"  {component.status_message}")

    leaderboard = ExperimentAnalytics(
        experiment_name=experiment_name,
        search_expression={
            "Filters": [{"Name": "DisplayName", "Operator": "Equals", "Value": "Training"}]
        },
        sort_by="metrics.test:accuracy.max",
        sort_order="Descending",
        store=resolved,
    ).dataframe()
    columns = [column for column in LEADERBOARD_COLUMNS if column in leaderboard.columns]
    progress(leaderboard[columns].to_string(index=False))
    return leaderboard
