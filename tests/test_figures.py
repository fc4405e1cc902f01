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
from figures.theme import run_dash
from figures.payload import significant, trajectory_payload
from figures.scaling import height_offset, log_floor, to_display
from figures.summary import steps_to_tolerance, summarize
from landscapes import SURFACES
from landscapes.grid import surface_grid

STYLES = [RunStyle("SGD · lr=0.1", "#0072B2", "SGD"), RunStyle("Adam · lr=0.05", "#D55E00", "Adam")]


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
    classroom = panels_figure(SURFACES["sphere"], {}, _grid("sphere"), STYLES * 3, classroom=True)
    assert [a.text for a in classroom.layout.annotations] == [s.name for s in STYLES * 3]
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
    styles = [RunStyle("a", "#000000"), RunStyle("b", "#111111")]
    payload = trajectory_payload(sim, trajectories, styles, (0.0, 1e-9), 1e-6)
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


# ---------------------------------------------------------------- projector-grade figures

from figures import run_styles, short_label  # noqa: E402
from figures.labels import SHORT_NAMES, placeholder_styles  # noqa: E402
from figures.payload import exit_of, internals_payload, loss_range  # noqa: E402
from figures.theme import PALETTE, SURFACE_COLORSCALE  # noqa: E402
from figures.views import path_width  # noqa: E402


@pytest.mark.parametrize("name", sorted(SURFACES))
@pytest.mark.parametrize("colorbar", [True, False])
def test_plane_axes_are_the_surfaces_domain_square_and_constrained(name, colorbar):
    surface = SURFACES[name]
    fig = contour_figure(surface, surface.defaults(), _grid(name, 12), STYLES, surface.default_start,
                         colorbar=colorbar)
    (x0, x1), (y0, y1) = surface.domain
    x, y = fig.layout.xaxis, fig.layout.yaxis
    assert (list(x.range), list(y.range)) == ([x0, x1], [y0, y1])
    assert x.autorange is False and y.autorange is False
    assert x.constrain == y.constrain == "domain"  # neither axis stretched past the domain
    assert y.scaleanchor == "x" and y.scaleratio == 1
    contour = next(t for t in fig.data if t.meta == {"role": "surface"})
    # the contour covers the whole domain, so a click anywhere in it reports x, y
    assert (min(contour.x), max(contour.x)) == pytest.approx((x0, x1), abs=1e-4)
    assert (min(contour.y), max(contour.y)) == pytest.approx((y0, y1), abs=1e-4)
    assert contour.hoverinfo != "skip"
    # the colour bar is as tall as the plot: its fraction equals the y axis's domain span
    bar = contour.colorbar
    span = (y.domain or (0, 1))[1] - (y.domain or (0, 1))[0]
    assert bar.lenmode == "fraction" and bar.len == pytest.approx(span)
    assert bar.y == pytest.approx(sum(y.domain or (0, 1)) / 2) and bar.yanchor == "middle"


def test_start_is_a_draggable_circle_centred_on_the_start():
    surface = SURFACES["rosenbrock"]
    fig = contour_figure(surface, surface.defaults(), _grid("rosenbrock"), STYLES, (-1.5, 2.0))
    shape = fig.layout.shapes[0]
    assert shape.name == "start" and shape.type == "circle" and shape.editable
    assert ((shape.x0 + shape.x1) / 2, (shape.y0 + shape.y1) / 2) == pytest.approx((-1.5, 2.0))
    assert shape.xref == "x" and shape.yref == "y"


def _fonts(fig) -> list[float]:
    """Every tick, axis-title and colour-bar font size a figure declares."""
    sizes = []
    keys = fig.layout.to_plotly_json()
    axes = [fig.layout[k] for k in keys if k.startswith(("xaxis", "yaxis"))]
    if "scene" in keys:
        axes += [fig.layout.scene.xaxis, fig.layout.scene.yaxis, fig.layout.scene.zaxis]
    for axis in axes:
        sizes.append(axis.tickfont.size)
        if axis.title.text:
            sizes.append(axis.title.font.size)
    for trace in fig.data:
        if trace.type == "contour" and trace.showscale is not False:
            sizes += [trace.colorbar.tickfont.size, trace.colorbar.title.font.size]
    return sizes


def test_classroom_mode_scales_type_lines_and_markers():
    surface, grid = SURFACES["rosenbrock"], _grid("rosenbrock")
    params = surface.defaults()
    for build in (
        lambda c: contour_figure(surface, params, grid, STYLES, (0, 0), classroom=c),
        lambda c: loss_figure(surface, STYLES, classroom=c),
        lambda c: surface3d_figure(surface, params, grid, STYLES, classroom=c),
        lambda c: panels_figure(surface, params, grid, STYLES, classroom=c),
    ):
        big, small = build(True), build(False)
        assert _fonts(big) and min(_fonts(big)) >= 20
        for axis in ("xaxis", "yaxis"):
            if big.layout[axis] and big.layout[axis].title.text:
                assert big.layout[axis].title.font.size >= 22
        widths = lambda f: [t.line.width for t in f.data if t.meta and t.meta.get("role") == "path"]  # noqa: E731
        heads = lambda f: [t.marker.size for t in f.data if t.meta and t.meta.get("role") == "head"]  # noqa: E731
        assert min(widths(big)) > max(widths(small)) * 0.99 or min(widths(big)) > min(widths(small))
        assert min(heads(big)) > max(heads(small))
    contour = contour_figure(surface, params, grid, STYLES, (0, 0), classroom=True)
    heads = [t for t in contour.data if t.meta and t.meta.get("role") == "head"]
    assert all("text" in t.mode for t in heads)  # each run named at its moving point
    loss = loss_figure(surface, STYLES, classroom=True)
    assert loss.layout.showlegend is False
    assert all("text" in t.mode for t in loss.data if t.meta.get("role") == "head")


def _srgb_lab(color: str) -> np.ndarray:
    """CIELAB (D65) of a hex colour, written out here independently of figures/theme.py."""
    rgb = np.array([int(color.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e76(a: str, b: str) -> float:
    return float(np.linalg.norm(_srgb_lab(a) - _srgb_lab(b)))


def test_every_run_colour_stands_out_from_every_surface_colour():
    stops = [c for _, c in SURFACE_COLORSCALE]
    worst = min(_delta_e76(p, s) for p in PALETTE for s in stops)
    assert worst >= 25, worst  # the former blue scale: 3.8 (sky blue on its darkest stop)
    assert _delta_e76("#56B4E9", "#6baed6") < 25  # the measure does catch the old clash


def test_runs_nine_to_sixteen_differ_from_one_to_eight_by_dash_and_symbol():
    styles = placeholder_styles(16)
    assert [s.color for s in styles[:8]] == [s.color for s in styles[8:]]
    assert all(a.dash != b.dash for a, b in zip(styles[:8], styles[8:]))
    fig = contour_figure(SURFACES["sphere"], {}, _grid("sphere"), styles, (1, 1))
    symbols = {t.meta["run"]: t.marker.symbol for t in fig.data if t.meta.get("role") == "head"}
    assert all(symbols[i] != symbols[i + 8] for i in range(8))


def test_earlier_paths_are_wider_and_every_path_has_a_halo_beneath():
    fig = contour_figure(SURFACES["canyon"], {}, _grid("canyon"), placeholder_styles(3), (1, 1))
    roles = [(t.meta.get("role"), t.meta.get("run")) for t in fig.data if t.meta]
    paths = [t for t in fig.data if t.meta and t.meta.get("role") == "path"]
    halos = [t for t in fig.data if t.meta and t.meta.get("role") == "halo"]
    assert [p.line.width for p in paths] == sorted((p.line.width for p in paths), reverse=True)
    assert paths[0].line.width - paths[-1].line.width >= 2
    assert max(roles.index(("halo", i)) for i in range(3)) < min(roles.index(("path", i)) for i in range(3))
    assert all(h.line.width > p.line.width for h, p in zip(halos, paths))
    assert path_width(0, 2, False) > path_width(1, 2, False)


def test_short_labels_name_the_optimizer_and_tell_duplicates_apart():
    assert set(SHORT_NAMES) == set(__import__("optimizers").OPTIMIZERS)
    assert short_label(Run("momentum", {"lr": 0.1})) == "Momentum"
    assert short_label(Run("sgd", {"lr": 0.1}, batch_size=16)) == "SGD (batch 16)"
    assert short_label(Run("sgd", {"lr": 0.1}, batch_size="full")) == "SGD (full batch)"
    runs = [Run("sgd", {"lr": 0.05}), Run("sgd", {"lr": 0.1}), Run("adam", {"lr": 0.05})]
    styles = run_styles(runs, PALETTE[:3])
    assert [s.name for s in styles] == ["SGD lr=0.05", "SGD lr=0.1", "Adam"]
    assert styles[0].label == run_label(runs[0]) and styles[2].color == PALETTE[2]
    same = run_styles([Run("sgd", {"lr": 0.1}), Run("sgd", {"lr": 0.1, "weight_decay": 0.1})], PALETTE)
    assert [s.name for s in same] == ["SGD 1", "SGD 2"]
    many = run_styles([Run("sgd", {"lr": 0.001 * (i + 1)}) for i in range(16)], PALETTE * 2)
    assert [s.dash for s in many[:4]] == ["solid", "dash", "dot", "dashdot"]
    assert len({(s.dash, s.symbol) for s in many}) == 16  # apart without their colours
    assert len({s.name for s in many}) == 16


DOMAIN = ((-2.0, 2.0), (-1.0, 3.0))


def test_a_path_leaving_the_domain_ends_where_it_crosses_the_edge():
    xy = np.array([[0.0, 0.0], [1.0, 0.5], [1.5, 2.0], [30.0, 80.0], [5e5, -9e5]])
    cut = exit_of(xy, diverged_at=5, domain=DOMAIN)
    # by hand: from (1.5, 2) towards (30, 80): x = 2 at t = 0.5/28.5, y = 3 at t = 1/78
    p, q = xy[2], xy[3]
    t = min((2.0 - p[0]) / (q[0] - p[0]), (3.0 - p[1]) / (q[1] - p[1]))
    assert cut["end"] == 2 and cut["mark_step"] == 3
    assert cut["edge"] == pytest.approx((p + t * (q - p)).tolist())
    assert cut["edge"][1] == pytest.approx(3.0)  # it leaves through the top edge
    assert cut["mark_text"] == "diverged at step 5"
    staying = exit_of(xy[:3], diverged_at=None, domain=DOMAIN)
    assert staying["edge"] is None and staying["mark"] is None and staying["end"] == 2
    jump = exit_of(xy[:3], diverged_at=3, domain=DOMAIN)  # non-finite straight from inside
    assert jump["edge"] is None and jump["mark"] == [1.5, 2.0] and jump["mark_step"] == 3
    wander = exit_of(np.array([[0.0, 0.0], [-3.0, 0.0], [0.0, 1.0], [0.0, 2.0]]), None, DOMAIN)
    assert wander["mark"] is None  # left and came back: drawn whole (plotly clips it)
    away = exit_of(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, -5.0]]), None, DOMAIN)
    assert away["edge"] == pytest.approx([1.0, -1.0]) and "left the plot at step 2" == away["mark_text"]


def test_loss_range_leaves_out_a_diverging_tail_and_covers_the_rest():
    good = [np.geomspace(4.0, 1e-6, 50), np.geomspace(4.0, 1e-3, 50)]
    bad = np.concatenate([np.geomspace(4.0, 1e24, 20)])
    lo, hi = loss_range([*good, bad], [False, False, True], min_value=0.0)
    assert lo <= np.log10(1e-6) and hi >= np.log10(4.0)
    assert hi < np.log10(4.0) + 1 and lo > np.log10(1e-6) - 1  # tight: a few percent
    lo, hi = loss_range([np.array([-1.0, 3.0]), np.array([1e30])], [False, True], min_value=None)
    assert lo <= -1 and 3 <= hi < 5
    assert all(np.isfinite(loss_range([bad], [True], 0.0)))  # every run diverged: still finite


def _no_nan(value) -> None:
    text = to_json_plotly(value)
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the payload"))


@pytest.mark.parametrize("surface,runs,start", [
    ("rosenbrock", (Run("sgd", {"lr": 0.01}), Run("adam", {"lr": 0.05})), (-1.5, 2.0)),
    ("rosenbrock", (Run("sgd", {"lr": 10.0}), Run("momentum", {"lr": 0.5})), (1.9, 2.9)),
    ("saddle", (Run("sgd", {"lr": 0.3}), Run("newton", {"lr": 1.0})), (1.0, 0.01)),
    ("canyon", (Run("adagrad", {"lr": 5.0}), Run("rmsprop", {"lr": 2.0}), Run("lion", {"lr": 1.0})), (-1.8, 0.6)),
])
def test_payloads_never_carry_nan_or_infinity(surface, runs, start):
    sim = validate(Simulation(surface, runs, start=start, steps=300))
    trajectories = simulate(sim)
    payload = trajectory_payload(sim, trajectories, run_styles(sim.runs, PALETTE), (0.0, 1e-9), 1e-6)
    _no_nan(payload)
    _no_nan(internals_payload(trajectories))
    assert payload["domain"] == [list(a) for a in SURFACES[surface].domain]
    assert payload["start"] == list(start) and payload["tolerance"] == 1e-6
    for i, (run, t) in enumerate(zip(payload["runs"], trajectories)):
        assert run["name"] and run["dash"] == run_dash(i)
        if t.diverged_at is not None or run["edge"] is not None:
            assert run["mark_step"] is not None and run["mark_text"]
        if run["edge"] is not None:
            (x0, x1), (y0, y1) = payload["domain"]
            assert x0 - 1e-9 <= run["edge"][0] <= x1 + 1e-9 and y0 - 1e-9 <= run["edge"][1] <= y1 + 1e-9


def test_a_diverging_run_is_cut_and_marked_and_the_loss_range_ignores_it():
    sim = validate(Simulation("rosenbrock", (Run("sgd", {"lr": 0.01}), Run("adam", {"lr": 0.05})),
                              start=(-1.5, 2.0), steps=300))
    trajectories = simulate(sim)
    payload = trajectory_payload(sim, trajectories, run_styles(sim.runs, PALETTE), (0.0, 1e-9), 1e-6)
    sgd, adam = payload["runs"]
    assert sgd["diverged_at"] is not None and sgd["edge"] is not None
    assert sgd["mark_text"] == f"diverged at step {sgd['diverged_at']}"
    lo, hi = payload["loss_range"]
    adam_gap = np.log10(np.maximum(adam["loss"], 1e-16))
    assert lo <= adam_gap.min() and hi >= adam_gap.max()
    assert hi < np.log10(sgd["loss"].max())  # SGD's tail leaves through the top edge


def test_hypothesis_payloads_are_finite():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=15, deadline=None)
    @hypothesis.given(
        lr=st.floats(1e-4, 10.0), x=st.floats(-2.0, 2.0), y=st.floats(-1.0, 3.0),
        optimizer=st.sampled_from(sorted(SHORT_NAMES)),
    )
    def check(lr, x, y, optimizer):
        sim = validate(Simulation("rosenbrock", (Run(optimizer, {"lr": lr}),), start=(x, y), steps=60))
        trajectories = simulate(sim)
        payload = trajectory_payload(sim, trajectories, run_styles(sim.runs, PALETTE), (0.0, 1e-9), 1e-6)
        _no_nan(payload)
        _no_nan(internals_payload(trajectories))

    check()


def _glyphs(line: str) -> int:
    """About how many glyphs a LaTeX line typesets to (a command counts as one, spacing and
    grouping as none): the widest lines below, 30, measure 258 px at 16 px in Chromium."""
    import re

    line = re.sub(r"\\(left|right|big|Big|,|;|!|quad|tfrac|frac|text|operatorname)\b", "", line)
    line = re.sub(r"\\[a-zA-Z]+", "x", line)
    return len(re.sub(r"[{}\s^_]", "", line))


def test_every_formula_is_one_short_assignment_per_line():
    from optimizers import OPTIMIZERS, SCHEDULES

    specs = [*OPTIMIZERS.values(), *SCHEDULES.values(), *SURFACES.values()]
    for spec in specs:
        assert "aligned" not in spec.latex
        for line in spec.latex.split(r"\\"):
            assert line.strip(), spec.name
            assert line.count(r"\leftarrow") <= 1, (spec.name, line)
            assert _glyphs(line) <= 30, (spec.name, line)
    assert _glyphs(r"f = -a\, e^{-b \sqrt{(x^2 + y^2)/2}} - e^{(\cos cx + \cos cy)/2} + a + e") > 30
