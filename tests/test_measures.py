"""The measures shared by the summary table and the presets' claims, against loops written here."""

from __future__ import annotations

import numpy as np
import pytest

from engine.measures import nearest_distance, roughness, steps_to_tolerance


def first_within(loss: np.ndarray, min_value: float, tolerance: float) -> int | None:
    """The definition, as a loop: the first step whose loss gap is at most the tolerance."""
    for step, value in enumerate(loss):
        if value - min_value <= tolerance:
            return step
    return None


@pytest.mark.parametrize("seed", range(20))
def test_steps_to_tolerance_agrees_with_a_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    min_value = float(rng.choice([0.0, 3.0, -1.031628453489877]))
    gaps = np.abs(rng.standard_normal(50)) * 10.0 ** rng.uniform(-8, 1, 50)
    loss = min_value + gaps
    for tolerance in (1e-6, 1e-3, 0.25):
        expected = first_within(loss, min_value, tolerance)
        assert steps_to_tolerance(loss, min_value, tolerance) == expected
    # A tolerance equal to a step's gap, with every gap before it larger: reached at that step.
    loss = np.sort(loss)[::-1]
    step = int(rng.integers(50))
    tolerance = float(loss[step] - min_value)
    expected = first_within(loss, min_value, tolerance)
    assert expected <= step and steps_to_tolerance(loss, min_value, tolerance) == expected


def test_a_loss_gap_exactly_equal_to_the_tolerance_counts_as_reached() -> None:
    loss = np.array([2.0, 1.0, 0.75, 0.5])  # gaps 1.5, 0.5, 0.25 (exact in binary), 0
    assert steps_to_tolerance(loss, 0.5, 0.25) == 2
    assert steps_to_tolerance(loss, 0.5, np.nextafter(0.25, 0.0)) == 3
    assert steps_to_tolerance(loss, 0.5, -1.0) is None


def test_no_minimum_value_means_never() -> None:
    assert steps_to_tolerance(np.zeros(5), None, 1.0) is None


def test_the_summary_table_uses_the_same_definition() -> None:
    from figures.summary import steps_to_tolerance as table_steps

    gap = np.array([1.0, 0.5, 0.25, 0.0])
    assert table_steps(gap, 0.25) == steps_to_tolerance(gap + 3.0, 3.0, 0.25) == 2


def test_roughness_and_nearest_distance() -> None:
    line = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])
    assert roughness(line) == 0.0
    assert roughness(line[:2]) == 0.0
    zigzag = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0]])
    loop = np.mean([np.hypot(*(zigzag[t + 1] - 2 * zigzag[t] + zigzag[t - 1])) for t in (1, 2)])
    assert roughness(zigzag) == pytest.approx(loop) == 2.0
    points = np.array([[0.0, 0.0], [3.0, 4.0]])
    xy = np.array([[3.0, 0.0], [3.0, 5.0]])
    np.testing.assert_allclose(nearest_distance(xy, points), [3.0, 1.0])
