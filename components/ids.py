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

CLASSROOM_EXIT = "classroom-exit"
CLASSROOM_STRIP = "classroom-strip"
PLAYBACK = "playback"  # the moment a link opens on (step, play, speed), applied once
VIEWS = "views"  # holds the tabs; its data-graphs attribute lists the graphs for the browser

TRAJECTORIES = "trajectories"
INTERNALS = "internals-store"
FIGURE_KEY = "figure-key"
QUERY_SYNC = "query-sync"  # the canonical query the page shows (kept in the address bar)
MAP_DATA = "map-data"  # the map assets/maps.js draws (basins, hyperparameter map, seed fan)
MAP_SECTION = "map-section"

VIEW_TABS = "view-tabs"
GRAPH_CONTOUR = "graph-contour"  # the plane clicks and drags move the start on
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
