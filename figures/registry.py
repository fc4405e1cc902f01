"""The views of the page, declared once: what each shows and how its figures are built.

A view is a tab (`view=NAME` in a link): a label, its graphs, whether it follows the
animation, and what it needs computed beyond the trajectories. Everything else derives
from this registry: the tabs and graphs of the page and the callbacks' outputs
(components/), the valid `view=` values (urlstate/), and the list of graphs the browser
animates, which the page hands to assets/animation.js as a data attribute.

Adding a view: a figure builder (`Scene -> Figure`, a pure function in figures/), an entry
in `VIEWS`, and, if the browser must fill it differently from the existing kinds, a case
for its `kind` in assets/animation.js.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine import Simulation
from figures.maps import basins_figure, cloud_traces, empty_figure, fan_loss_figure, hypermap_figure
from figures.views import (
    Figure,
    Grid,
    RunStyle,
    contour_figure,
    loss_figure,
    panels_figure,
    surface3d_figure,
)
from landscapes import Surface
from landscapes.grid import surface_grid

CONTOUR_RESOLUTION = 120
PANEL_RESOLUTION = 60
SURFACE3D_RESOLUTION = 70


@dataclass(frozen=True)
class Scene:
    """What the static part of every figure depends on (paths are filled by the browser)."""

    surface: Surface
    params: dict
    runs: tuple[RunStyle, ...]
    start: tuple[float, float]
    classroom: bool = False
    # What the maps are drawn from (None in the cached figures of the other views): the
    # validated configuration, the hyperparameter map's axes ((name, low, high, log) × 2),
    # and the tolerance.
    simulation: Simulation | None = None
    axes: tuple | None = None
    tolerance: float = 1e-6

    def grid(self, resolution: int) -> Grid:
        return Grid(*surface_grid(self.surface, self.params, resolution))


@dataclass(frozen=True)
class Graph:
    """One plotly graph of a view.

    `kind` tells the browser how to fill its run traces: "plane" (paths in x, y), "loss"
    (loss against step), "surface3d" (paths on the 3D surface), "panels" (one plane per
    run), "arrows" (a plane with gradient and step arrows at the current point).
    """

    name: str
    build: Callable[[Scene], Figure]
    kind: str
    height: str = "min(66vh, 720px)"

    @property
    def id(self) -> str:
        """The graph's DOM id."""
        return f"graph-{self.name}"


@dataclass(frozen=True)
class View:
    """A tab of the page. `needs`: what the computation adds for it ("internals")."""

    name: str
    label: str
    graphs: tuple[Graph, ...]
    animates: bool = True
    needs: frozenset[str] = field(default_factory=frozenset)
    hint: str = ""


def _contour(scene: Scene) -> Figure:
    return contour_figure(
        scene.surface, scene.params, scene.grid(CONTOUR_RESOLUTION), scene.runs, scene.start,
        classroom=scene.classroom,
    )


def _loss(scene: Scene) -> Figure:
    return loss_figure(scene.surface, scene.runs, classroom=scene.classroom)


def _surface3d(scene: Scene) -> Figure:
    return surface3d_figure(
        scene.surface, scene.params, scene.grid(SURFACE3D_RESOLUTION), scene.runs,
        classroom=scene.classroom,
    )


def _panels(scene: Scene) -> Figure:
    return panels_figure(
        scene.surface, scene.params, scene.grid(PANEL_RESOLUTION), scene.runs,
        classroom=scene.classroom,
    )


def _internals(scene: Scene) -> Figure:
    return contour_figure(
        scene.surface, scene.params, scene.grid(PANEL_RESOLUTION), scene.runs, scene.start,
        colorbar=False, classroom=scene.classroom,
    )


def _waiting(scene: Scene) -> Figure:
    return empty_figure("computing the map…", scene.classroom)


def _basins(scene: Scene) -> Figure:
    if scene.simulation is None:
        return _waiting(scene)
    return basins_figure(
        scene.surface, scene.params, scene.runs, scene.simulation.steps, scene.tolerance,
        classroom=scene.classroom,
    )


def _hypermap(scene: Scene) -> Figure:
    if scene.simulation is None:
        return _waiting(scene)
    return hypermap_figure(
        scene.surface, scene.params, scene.simulation, scene.axes, scene.tolerance,
        classroom=scene.classroom,
    )


def _fan_plane(scene: Scene) -> Figure:
    """The contour with every seed's position at the current step under the runs' paths."""
    figure = _contour(scene)
    data = figure["data"]
    after = next(i for i, t in enumerate(data) if t.get("meta", {}).get("role") == "start") + 1
    figure["data"] = [*data[:after], *cloud_traces(scene.runs, scene.classroom), *data[after:]]
    return figure


def _fan_loss(scene: Scene) -> Figure:
    if scene.simulation is None:
        return _waiting(scene)
    return fan_loss_figure(scene.surface, scene.runs, scene.simulation.steps, scene.classroom)


BASINS_HINT = (
    "A grid of start points over the whole plane, one panel per run: each cell is coloured "
    "by the minimum its run ends in (the colour of that minimum's star), darker when it "
    "reached the tolerance in fewer steps. Click a cell to open that start."
)
HYPERMAP_HINT = (
    "The first run's steps to the tolerance over two of its settings (axes: hx, hy in the "
    "Maps section). On a quadratic the white lines are the analytic limits: gradient descent "
    "converges iff lr·λmax < 2, heavy ball iff lr·λmax < 2(1+μ); dashed, heavy ball's optimal "
    "momentum. Click a cell to open that run."
)
FAN_HINT = (
    "Every run with mini-batch noise over many seeds: the median loss with its 25–75 % and "
    "10–90 % bands, and on the plane the cloud of every seed's position at the current step."
)

INTERNALS_HINT = (
    "At the current step, per run: the gradient g, the step actually taken Δθ, the learning "
    "rate, the optimizer's own state (velocity, moments) and the effective per-axis step "
    "size −Δθ/g. On the plot: grey arrows point along −g (fixed length), coloured arrows are "
    "the actual steps (a step too small to see is drawn longer and labelled “Δθ ×N”)."
)

_VIEWS = (
    View(
        "contour", "Contour & loss",
        (Graph("contour", _contour, "plane"), Graph("loss", _loss, "loss")),
    ),
    View("surface3d", "3D surface", (Graph("3d", _surface3d, "surface3d"),)),
    View("panels", "Side by side", (Graph("panels", _panels, "panels"),)),
    View(
        "internals", "Internals",
        (Graph("internals", _internals, "arrows", height="min(60vh, 640px)"),),
        needs=frozenset({"internals"}), hint=INTERNALS_HINT,
    ),
    View(
        "basins", "Basins", (Graph("basins", _basins, "basins", height="min(70vh, 760px)"),),
        animates=False, needs=frozenset({"map"}), hint=BASINS_HINT,
    ),
    View(
        "hypermap", "Hyperparameter map", (Graph("hypermap", _hypermap, "hypermap"),),
        animates=False, needs=frozenset({"map"}), hint=HYPERMAP_HINT,
    ),
    View(
        "fan", "Seed fan",
        (Graph("fan", _fan_plane, "plane"), Graph("fanloss", _fan_loss, "fanloss")),
        needs=frozenset({"map"}), hint=FAN_HINT,
    ),
)

VIEWS: dict[str, View] = {view.name: view for view in _VIEWS}
GRAPHS: tuple[Graph, ...] = tuple(graph for view in _VIEWS for graph in view.graphs)


def build_figures(scene: Scene) -> tuple[Figure, ...]:
    """Every graph's figure for `scene`, in the order of `GRAPHS`."""
    return tuple(graph.build(scene) for graph in GRAPHS)


__all__ = ["GRAPHS", "VIEWS", "Graph", "Scene", "View", "build_figures"]
