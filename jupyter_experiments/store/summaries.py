"""Incremental metric summaries: merge a batch of points into a stored summary.

Every statistic skips NaN points, which only ``nan_count`` counts, so one diverged step does not
turn a run's average into NaN. Mean and variance use Chan et al.'s parallel form of Welford's
algorithm, which merges two partial results without revisiting points and stays accurate where a
running sum of squares loses precision (values of 1e9 with a spread of 1e-3, say).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Batches of at least this many points are summarised with numpy instead of a Python loop.
NUMPY_MIN_POINTS = 256


@dataclass
class Summary:
    """Summary statistics of one metric on one trial component."""

    count: int = 0
    nan_count: int = 0
    min: float | None = None
    max: float | None = None
    avg: float | None = None
    m2: float | None = None
    first: float | None = None
    first_step: int | None = None
    last: float | None = None
    last_step: int | None = None
    last_timestamp: float | None = None

    @property
    def std_dev(self) -> float | None:
        """Sample standard deviation (n - 1); None below two values."""
        if self.count < 2 or self.m2 is None:
            return None
        variance = self.m2 / (self.count - 1)
        if math.isnan(variance):
            return None
        return math.sqrt(max(variance, 0.0))

    def row(self) -> dict[str, Any]:
        """Return the columns of this summary's ``metric_summaries`` row.

        A NaN ``min``, ``max``, ``avg`` or ``m2`` becomes None, as SQLite stores it on its own;
        PostgreSQL would keep the NaN, and its order puts NaN above every number.
        """
        return {
            "count": self.count,
            "nan_count": self.nan_count,
            "min": nan_to_none(self.min),
            "max": nan_to_none(self.max),
            "avg": nan_to_none(self.avg),
            "m2": nan_to_none(self.m2),
            "std_dev": self.std_dev,
            "first": self.first,
            "first_step": self.first_step,
            "last": self.last,
            "last_step": self.last_step,
            "last_timestamp": self.last_timestamp,
        }

    def add_points(self, points: Iterable[tuple[float, int, float]]) -> None:
        """Merge ``(value, step, timestamp)`` points, in the order they were written."""
        if not isinstance(points, Sequence):
            points = list(points)
        if len(points) >= NUMPY_MIN_POINTS:
            self._add_points_numpy(points)
            return
        count = 0
        finite_count = 0
        mean = 0.0
        m2 = 0.0
        # Sum of the infinite values: inf, -inf, or NaN once both signs were seen.
        infinities = 0.0
        for value, step, timestamp in points:
            if math.isnan(value):
                self.nan_count += 1
                continue
            if self.first_step is None or step < self.first_step:
                self.first, self.first_step = value, step
            if self.last_step is None or step >= self.last_step:
                self.last, self.last_step, self.last_timestamp = value, step, timestamp
            count += 1
            if self.min is None or value < self.min:
                self.min = value
            if self.max is None or value > self.max:
                self.max = value
            if math.isinf(value):
                # Welford's update would turn the mean into NaN at the next finite value.
                infinities += value
                continue
            finite_count += 1
            delta = value - mean
            mean += delta / finite_count
            m2 += delta * (value - mean)
        if infinities != 0.0:
            # As in numpy, the mean of values with an infinity is that infinity (NaN with both
            # signs), and their variance is NaN.
            mean, m2 = infinities, math.nan
        self._merge_moments(count, mean, m2)

    def _add_points_numpy(self, points: Sequence[tuple[float, int, float]]) -> None:
        # The same rules as the loop in add_points, on arrays; mean and m2 come from numpy's
        # two-pass formulas, which are at least as accurate as Welford's update.
        table = np.asarray(points, dtype=np.float64)
        values, steps, timestamps = table[:, 0], table[:, 1], table[:, 2]
        keep = ~np.isnan(values)
        self.nan_count += int(values.size - np.count_nonzero(keep))
        values, steps, timestamps = values[keep], steps[keep], timestamps[keep]
        if values.size == 0:
            return

        # argmin gives the first written of equal lowest steps, as the loop does; the last
        # written of equal highest steps is found on the reversed array.
        first = int(np.argmin(steps))
        if self.first_step is None or steps[first] < self.first_step:
            self.first, self.first_step = float(values[first]), int(steps[first])
        last = values.size - 1 - int(np.argmax(steps[::-1]))
        if self.last_step is None or steps[last] >= self.last_step:
            self.last = float(values[last])
            self.last_step = int(steps[last])
            self.last_timestamp = float(timestamps[last])
        low, high = float(values.min()), float(values.max())
        self.min = low if self.min is None else min(self.min, low)
        self.max = high if self.max is None else max(self.max, high)

        infinite = np.isinf(values)
        finite = values[~infinite]
        mean = float(finite.mean()) if finite.size else 0.0
        m2 = float(np.square(finite - mean).sum()) if finite.size else 0.0
        if infinite.any():
            mean, m2 = float(values[infinite].sum()), math.nan
        self._merge_moments(int(values.size), mean, m2)

    def _merge_moments(self, count: int, mean: float, m2: float) -> None:
        if count == 0:
            return
        if self.count == 0:
            self.count, self.avg, self.m2 = count, mean, m2
            return
        # The store keeps a NaN mean or m2 (left by infinite values) as NULL, read back as None.
        avg = math.nan if self.avg is None else self.avg
        stored_m2 = math.nan if self.m2 is None else self.m2
        total = self.count + count
        if math.isfinite(avg) and math.isfinite(mean):
            delta = mean - avg
            self.avg = avg + delta * count / total
            self.m2 = stored_m2 + m2 + delta * delta * self.count * count / total
        else:
            # inf + finite is inf and inf + -inf is NaN: the mean numpy gives for all the values.
            self.avg = avg + mean
            self.m2 = math.nan
        self.count = total


def nan_to_none(value: float | None) -> float | None:
    """Return None for NaN, because the store keeps a NaN statistic as SQL NULL."""
    return None if value is None or math.isnan(value) else value
