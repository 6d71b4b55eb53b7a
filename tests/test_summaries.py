"""Tests of the incremental metric summary (Welford merge) against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jupyter_experiments.store.summaries import Summary


def summary_of(batches: list[list[float]]) -> Summary:
    summary = Summary()
    step = 0
    for batch in batches:
        summary.add_points((value, step + i, float(step + i)) for i, value in enumerate(batch))
        step += len(batch)
    return summary


@pytest.mark.parametrize("batch_size", [1, 2, 7, 100, 1_000])
def test_matches_numpy(batch_size: int) -> None:
    values = np.random.default_rng(batch_size).uniform(-5, 20, size=1_000)
    batches = [list(values[i : i + batch_size]) for i in range(0, 1_000, batch_size)]

    summary = summary_of(batches)

    assert summary.count == 1_000
    assert summary.min == values.min()
    assert summary.max == values.max()
    assert summary.avg == pytest.approx(values.mean(), rel=1e-12)
    assert summary.std_dev == pytest.approx(values.std(ddof=1), rel=1e-10)
    assert summary.first == values[0]
    assert summary.last == values[-1]


def test_large_offset_precision() -> None:
    values = 1e9 + np.random.default_rng(0).normal(scale=1e-3, size=2_000)

    summary = summary_of([list(values[i : i + 64]) for i in range(0, 2_000, 64)])

    assert summary.std_dev == pytest.approx(values.std(ddof=1), rel=1e-5)


def test_empty() -> None:
    summary = summary_of([[]])

    assert summary.count == 0
    assert summary.avg is None
    assert summary.std_dev is None


def test_std_dev_needs_two() -> None:
    assert summary_of([[3.0]]).std_dev is None
    assert summary_of([[3.0], [5.0]]).std_dev == pytest.approx(math.sqrt(2.0))


def test_nan_skipped() -> None:
    summary = summary_of([[math.nan, 2.0], [math.nan, 4.0, math.nan]])

    assert summary.count == 2
    assert summary.nan_count == 3
    assert summary.avg == 3.0
    assert summary.first == 2.0
    assert summary.last == 4.0


def test_same_step_first_and_last() -> None:
    summary = Summary()

    summary.add_points([(1.0, 0, 0.0), (2.0, 0, 1.0)])
    summary.add_points([(3.0, 0, 2.0)])

    assert summary.first == 1.0
    assert summary.last == 3.0
    assert summary.last_timestamp == 2.0


def test_lower_step_later() -> None:
    summary = Summary()

    summary.add_points([(5.0, 5, 0.0)])
    summary.add_points([(1.0, 1, 1.0)])

    assert summary.first == 1.0
    assert summary.first_step == 1
    assert summary.last == 5.0
    assert summary.last_step == 5


def test_infinity_mean() -> None:
    values = [1.0, math.inf, 2.0, 3.0]

    summary = summary_of([values[:2], values[2:]])

    assert summary.count == 4
    assert summary.avg == np.mean(values)
    assert summary.std_dev is None


def test_infinity_after_reload() -> None:
    # The store keeps a NaN m2 as NULL, so a reloaded summary has m2=None.
    summary = summary_of([[1.0, -math.inf]])
    reloaded = Summary(count=summary.count, avg=summary.avg, m2=None, min=summary.min)

    reloaded.add_points([(7.0, 5, 0.0)])

    assert reloaded.count == 3
    assert reloaded.avg == -math.inf
    assert reloaded.min == -math.inf


def test_both_infinities() -> None:
    summary = summary_of([[math.inf], [1.0], [-math.inf]])

    assert summary.count == 3
    assert summary.avg is not None
    assert math.isnan(summary.avg)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_numpy_path_matches_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=1_000)
    values[rng.integers(0, 1_000, size=20)] = math.nan
    if seed % 2:
        values[rng.integers(0, 1_000, size=3)] = math.inf
    steps = rng.integers(0, 300, size=1_000)
    points = [
        (float(v), int(s), float(i)) for i, (v, s) in enumerate(zip(values, steps, strict=True))
    ]
    in_one_batch = Summary()
    in_small_batches = Summary()

    in_one_batch.add_points(points)
    for start in range(0, len(points), 100):
        in_small_batches.add_points(points[start : start + 100])

    for field in ("count", "nan_count", "first_step", "last_step", "last_timestamp"):
        assert getattr(in_one_batch, field) == getattr(in_small_batches, field), field
    for field in ("min", "max", "first", "last"):
        assert getattr(in_one_batch, field) == getattr(in_small_batches, field), field
    assert in_one_batch.avg == pytest.approx(in_small_batches.avg, rel=1e-12, nan_ok=True)
    assert (in_one_batch.std_dev is None) == (in_small_batches.std_dev is None)
    if in_one_batch.std_dev is not None:
        assert in_one_batch.std_dev == pytest.approx(in_small_batches.std_dev, rel=1e-12)
