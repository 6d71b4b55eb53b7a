"""Local training jobs: run a script, stream its log lines into metrics, record the run."""

from .estimator import Estimator, JobFailedError, TrainingJob

__all__ = ["Estimator", "JobFailedError", "TrainingJob"]
