"""Figure builders: structure the browser relies on, scaling, payload size and rounding."""

from __future__ import annotations

import json

import numpy as np
import orjson
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from engine import Run, Simulation, simulate, validate
from figures import Grid, RunStyle
from figures import contour_figure as contour_dict
from figures import loss_figure as loss_dict
from figures import panels_figure as panels_dict
from figures import surface3d_figure as surface3d_dict
from figures.labels import run_label
from figures.payload import significant, trajectory_payload
from figures.scaling import height_offset, log_floor, to_display
from figures.summary import steps_to_tolerance, summarize
from landscapes import SURFACES
from landscapes.grid import surface_grid

STYLES = [RunStyle("SGD · lr=0.1", "#0072B2"), RunStyle("Adam · lr=0.05", "#D55E00")]


def _grid(name: str, resolution: int = 30) -> Grid:
    return Grid(*surface_grid(name, SURFACES[name].defaults(), resolution))


def _checked(build):
    """A builder whose plain-dict figure is checked (orjson encodes it as it is) and then
    validated by plotly, which rejects any property it does not know."""

    def checked(*args, **kwargs) -> go.Figure:
        figure = build(*args, **kwargs)
        orjson.dumps(figure)
        return go.Figure(figure)

    return checked


contour_figure, surface3d_figure = _checked(contour_dict), _checked(surface3d_dict)
loss_figure, panels_figure = _checked(loss_dict), _checked(panels_dict)


def _roles(fig) -> list[tuple[str, int | None]]:
    return [(t.meta["role"], t.meta.get("run")) for t in fig.data if t.meta]


@pytest.mark.parametrize("name", ["rosenbrock", "canyon", "saddle", "double_well"])
def test_each_view_has_one_path_and_head_per_run(name):
    surface, grid = SURFACES[name], _grid(name)
    params = surface.defaults()
    figures = [
        contour_figure(surface, params, grid, STYLES, surface.default_start),
        surface3d_figure(surface, params, grid, STYLES),
        loss_figure(surface, STYLES),
        panels_figure(surface, params, grid, STYLES),
    ]
    for fig in figures:
        roles = _roles(fig)
        for run in range(len(STYLES)):
            assert roles.count(("path", run)) == 1 and roles.count(("head", run)) == 1
        json.loads(fig.to_json())  # serializable, no NaN tokens
        assert "NaN" not in fig.to_json() and "Infinity" not in fig.to_json()


def test_contour_marks_minima_and_start_and_keeps_equal_axes():
    surface = SURFACES["himmelblau"]
    fig = contour_figure(surface, {}, _grid("himmelblau"), STYLES, (0.5, -1.0))
    minima = next(t for t in fig.data if t.meta == {"role": "minimum"})
    assert len(minima.x) == 4
    start = next(t for t in fig.data if t.meta == {"role": "start"})
    assert (start.x[0], start.y[0]) == (0.5, -1.0)
    assert fig.layout.yaxis.scaleanchor == "x"
    assert list(fig.layout.xaxis.range) == list(surface.domain[0])


def test_loss_axis_is_logarithmic_only_when_the_minimum_is_known():
    assert loss_figure(SURFACES["rosenbrock"], STYLES).layout.yaxis.type == "log"
    assert loss_figure(SURFACES["saddle"], STYLES).layout.yaxis.type == "linear"


def test_panels_one_subplot_per_run_sharing_the_domain():
    fig = panels_figure(SURFACES["sphere"], {}, _grid("sphere"), STYLES * 3)
    contours = [t for t in fig.data if t.meta == {"role": "surface"}]
    assert len(contours) == 6
    assert len({t.xaxis for t in contours}) == 6
    assert [a.text for a in fig.layout.annotations] == [s.label for s in STYLES * 3]
    for trace in fig.data:  # every trace on an axis pair the layout defines, one pair per run
        axes = {trace.xaxis, trace.yaxis}
        assert all(fig.layout[f"{a[0]}axis{a[1:]}"] is not None for a in axes)
    heads = [t for t in fig.data if t.meta and t.meta.get("role") == "head"]
    assert [(t.meta["run"], t.xaxis) for t in heads] == [(i, "x" if i == 0 else f"x{i + 1}") for i in range(6)]


def test_log_heights_span_a_bounded_number_of_decades():
    zs = np.array([[0.0, 1e-3], [10.0, 2500.0]])
    offset = height_offset(zs, 0.0)
    shown = to_display(zs, True, offset, log_floor(zs, offset))
    assert shown.max() == pytest.approx(np.log10(2500.0))
    assert shown.min() == pytest.approx(np.log10(2500.0) - 7)
    assert np.array_equal(to_display(zs, False, offset, 1.0), zs)


def test_significant_rounds_relative_to_each_value():
    values = np.array([123456.789, -0.000123456789, 0.0, 1.0])
    assert significant(values, 4).tolist() == [123500.0, -0.0001235, 0.0, 1.0]
    assert significant(np.array([]), 4).size == 0


def test_payload_is_compact_exact_at_the_start_and_finite_after_divergence():
    sim = validate(
        Simulation(
            "rosenbrock",
            (Run("sgd", {"lr": 0.001}), Run("sgd", {"lr": 5.0})),
            start=(-1.5, 2.0),
            steps=1000,
        )
    )
    trajectories = simulate(sim)
    payload = trajectory_payload(sim, trajectories, ["a", "b"], ["#000000", "#111111"], 0.0, 1e-9)
    text = to_json_plotly(payload)  # as Dash sends it
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the payload"))
    first, second = payload["runs"]
    assert (first["x"][0], first["y"][0]) == (-1.5, 2.0)
    assert len(first["x"]) == 1001 and first["diverged_at"] is None
    assert second["diverged_at"] is not None and len(second["x"]) == second["diverged_at"]
    assert len(text) < 40_000  # about 13 bytes per number: ~24,000 numbers for 8 × 1,000 steps


def test_summary_reports_tolerance_steps_distance_and_divergence():
    sim = validate(
        Simulation("sphere", (Run("sgd", {"lr": 0.25}), Run("sgd", {"lr": 2.0})), start=(1.0, 1.0), steps=50)
    )
    good, bad = summarize(sim, simulate(sim), tolerance=1e-6)
    assert good.steps_to_tolerance == steps_to_tolerance(np.array([2.0 * 0.25**k for k in range(51)]), 1e-6)
    assert good.distance_to_minimum < 1e-3 and good.diverged_at is None
    assert bad.diverged_at is not None


def test_run_labels_name_the_optimizer_and_what_differs_from_its_defaults():
    assert run_label(Run("momentum", {"lr": 0.02, "momentum": 0.9})) == "Momentum · lr=0.02"
    label = run_label(Run("momentum", {"lr": 0.02, "momentum": 0.5}, schedule="cosine", warmup=10))
    assert "momentum=0.5" in label and "cosine" in label and "warmup 10" in label


def test_run_labels_show_a_runs_own_batch_size():
    assert run_label(Run("sgd", {"lr": 0.05}, batch_size=1)).endswith(" · lr=0.05, batch 1")
    assert run_label(Run("sgd", {"lr": 0.05}, batch_size="full")).endswith(", full batch")
    assert "batch" not in run_label(Run("sgd", {"lr": 0.05}))  # the page's batch size
