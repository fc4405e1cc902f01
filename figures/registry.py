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

    def grid(self, resolution: int) -> Grid:
        return Grid(*surface_grid(self.surface.name, self.params, resolution))


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
)

VIEWS: dict[str, View] = {view.name: view for view in _VIEWS}
GRAPHS: tuple[Graph, ...] = tuple(graph for view in _VIEWS for graph in view.graphs)


def build_figures(scene: Scene) -> tuple[Figure, ...]:
    """Every graph's figure for `scene`, in the order of `GRAPHS`."""
    return tuple(graph.build(scene) for graph in GRAPHS)


__all__ = ["GRAPHS", "VIEWS", "Graph", "Scene", "View", "build_figures"]
