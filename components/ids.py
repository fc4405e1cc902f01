"""Component ids shared by layout builders, callbacks and assets/*.js."""

from __future__ import annotations

URL = "url"
NOTICE = "notice"  # what a link or preset asked for that was ignored
INPUT_NOTICE = "input-notice"  # what typed values were ignored
PRESET = "preset"
PRESET_CAPTION = "preset-caption"
COPY_LINK = "copy-link"
EXPORT_CSV = "export-csv"
EXPORT_JSON = "export-json"
CLASSROOM_LINK = "classroom-link"
SHELL = "shell"

SURFACE = "surface"
SURFACE_PARAMS = "surface-params"
RENDERED_SURFACE = "rendered-surface"

RUNS = "runs"
ADD_RUN = "add-run"

TRAJECTORIES = "trajectories"
INTERNALS = "internals-store"
FIGURE_KEY = "figure-key"
QUERY_SYNC = "query-sync"  # the canonical query the page shows (kept in the address bar)

VIEW_TABS = "view-tabs"
GRAPH_CONTOUR = "graph-contour"
GRAPH_3D = "graph-3d"
GRAPH_LOSS = "graph-loss"
GRAPH_PANELS = "graph-panels"
GRAPH_INTERNALS = "graph-internals"
INTERNALS_TABLE = "internals-table"
SUMMARY = "summary"
ANIMATION = "animation"


def field(name: str) -> dict:
    """A page-level input: surface, start, steps, noise, tolerance."""
    return {"type": "field", "name": name}


def field_flag(name: str) -> dict:
    """A page-level switch."""
    return {"type": "field-flag", "name": name}


def surface_param(surface: str, name: str) -> dict:
    """An input for one parameter of the surface currently shown."""
    return {"type": "surface-param", "surface": surface, "name": name}


def run_field(run: int, optimizer: str, name: str) -> dict:
    """An input for one setting of run `run` (a hyperparameter, schedule parameter, …)."""
    return {"type": "run-field", "run": run, "optimizer": optimizer, "name": name}


def run_choice(run: int, name: str) -> dict:
    """A select that changes which inputs a run card has (optimizer, schedule)."""
    return {"type": "run-choice", "run": run, "name": name}


def run_action(run: int, action: str) -> dict:
    """A button acting on run `run`: duplicate, remove, up, down."""
    return {"type": "run-action", "run": run, "action": action}
