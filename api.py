"""The JSON and CSV API: the trajectories a page link describes (docs/api.md).

    GET /api/trajectories?<the page's query string>[&format=csv]

The query is read by `urlstate.parse_query_strict` (an invalid one is a 400 naming the
field); the numbers come from `engine.simulate`. Output never holds NaN or Infinity: the
engine cuts runs at divergence, and the JSON is written with `allow_nan=False`, so a
non-finite number that slipped through is a 500 rather than invalid JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping

import flask
import numpy as np

from computation import compute
from engine import ConfigError, Trajectory, effective_batch_size
from engine.config import formula_text, run_settings, surface_of
from mapping import BEYOND, MAP_VIEWS, QUANTILES, FanData, MapData, block_bytes, cached_map
from urlstate import VERSION, AppState, parse_query_strict
from urlstate.maps import resolved_axes

FORMATS = ("json", "csv")
CSV_COLUMNS = ("run", "optimizer", "step", "x", "y", "loss")


def _error(status: int, field: str, message: str) -> flask.Response:
    return _response(status, {"error": {"field": field, "message": message}}, "application/json")


def _response(status: int, body: object, mimetype: str) -> flask.Response:
    """`body` (JSON-able, or text for CSV) with headers that keep caches honest."""
    if mimetype == "application/json":
        try:
            text = json.dumps(body, allow_nan=False, separators=(",", ":"))
        except ValueError:  # a NaN or Infinity: fail closed, never send invalid JSON
            status, text = (
                500,
                json.dumps(
                    {"error": {"field": "result", "message": "non-finite number in the result"}}
                ),
            )
    else:
        text = body
    response = flask.Response(text, status=status, mimetype=mimetype)
    if mimetype == "text/csv":
        response.headers["Content-Disposition"] = 'attachment; filename="optiscape.csv"'
    # The same query gives the same bytes, but a new release may not: revalidate each time.
    response.headers["Cache-Control"] = "no-cache" if status == 200 else "no-store"
    if status == 200:
        response.add_etag()
        response.make_conditional(flask.request)
    return response


def _floats(values) -> list[float]:
    return [float(v) for v in values]


def surface_json(sim) -> dict:
    """The surface as the answers name it: its name and parameters, and a formula's text."""
    text = formula_text(sim)
    return {"name": sim.surface, "params": dict(sim.surface_params), **({"f": text} if text else {})}


def to_json(state: AppState, trajectories: list[Trajectory]) -> dict:
    """The API's JSON document for a validated state and its trajectories."""
    sim = state.simulation
    runs = []
    for index, (run, path) in enumerate(zip(sim.runs, trajectories)):
        runs.append(
            {
                **run_settings(run),
                "batch_size": effective_batch_size(run, sim.noise),
                "color": state.color(index),
                "x": _floats(path.xy[:, 0]),
                "y": _floats(path.xy[:, 1]),
                "loss": _floats(path.loss),
                "diverged_at": path.diverged_at,
            }
        )
    noise = sim.noise
    return {
        "v": VERSION,
        "surface": surface_json(sim),
        "start": _floats(sim.start),
        "steps": sim.steps,
        "noise": {"batch_size": noise.batch_size, "sigma": noise.sigma, "seed": noise.seed},
        "runs": runs,
    }


def _csv_rows(state: AppState, trajectories: list[Trajectory]) -> Iterator[tuple]:
    for index, (run, path) in enumerate(zip(state.simulation.runs, trajectories)):
        for step, ((x, y), loss) in enumerate(zip(path.xy.tolist(), path.loss.tolist())):
            yield index, run.optimizer, step, repr(x), repr(y), repr(loss)


def to_csv(state: AppState, trajectories: list[Trajectory]) -> str:
    """One row per run and position: run,optimizer,step,x,y,loss (step 0 is the start)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(state, trajectories))
    return out.getvalue()


def _format() -> str:
    chosen = flask.request.args.getlist("format")
    name = chosen[-1] if chosen else "json"
    if len(chosen) > 1 or name not in FORMATS:
        raise ConfigError("format", f"must be given once, one of {', '.join(FORMATS)}")
    return name


# --- maps ------------------------------------------------------------------------------------

GRID_CSV = ("run", "optimizer", "x", "y", "final_loss", "steps_to_tol", "diverged_at", "minimum")
FAN_CSV = ("run", "optimizer", "step", *(f"q{round(q * 100)}" for q in QUANTILES))


def _nullable(values: np.ndarray, missing: np.ndarray) -> list:
    """A 2-D array as lists of rows, None where `missing`."""
    return [
        [None if gone else value for value, gone in zip(row, gaps)]
        for row, gaps in zip(values.tolist(), missing.tolist())
    ]


def _run_head(run) -> dict:
    return {"optimizer": run.optimizer, "params": dict(run.hyper)}


def maps_json(state: AppState, data: MapData | FanData) -> dict:
    """The API's JSON document for a map: axes and, per run, 2-D arrays (rows = y)."""
    sim = state.simulation
    head = {"v": VERSION, "kind": data.kind, "steps": sim.steps, "tolerance": state.tolerance,
            "surface": surface_json(sim)}
    if isinstance(data, FanData):
        runs = []
        for fan in data.runs:
            quantiles = np.where(fan.quantiles >= BEYOND, np.nan, fan.quantiles)
            runs.append({
                **_run_head(sim.runs[fan.run]), "diverged_seeds": fan.diverged,
                "quantiles": _nullable(quantiles, ~np.isfinite(quantiles)),
            })
        return {**head, "seeds": len(data.seeds), "quantiles": list(QUANTILES),
                "loss": "f - f*" if surface_of(sim).min_value is not None else "f",
                "runs": runs}
    runs = []
    for panel in data.panels:
        summary, shape = panel.summary, panel.outcome.shape
        final = summary.final_loss.reshape(shape)
        runs.append({
            **_run_head(sim.runs[panel.run]),
            "final_loss": _nullable(final, ~np.isfinite(final)),
            "steps_to_tol": _nullable(summary.steps_to_tol.reshape(shape), summary.steps_to_tol.reshape(shape) < 0),
            "diverged_at": _nullable(summary.diverged_at.reshape(shape), summary.diverged_at.reshape(shape) < 0),
            "minimum": _nullable(summary.minimum.reshape(shape), summary.minimum.reshape(shape) < 0),
        })
    document = {**head, "x": data.x.tolist(), "y": data.y.tolist(), "runs": runs}
    if data.kind == "hypermap":
        axes = resolved_axes(state.maps, sim)
        document["axes"] = [
            {"name": a.name, "low": a.low, "high": a.high, "log": a.log} for a in axes
        ]
    else:
        surface = surface_of(sim)
        document["minima"] = [
            {"x": float(p[0]), "y": float(p[1]), "global": is_global}
            for points, is_global in ((surface.minima(sim.surface_params), True),
                                      (surface.local_minima(sim.surface_params), False))
            for p in points
        ]
    return document


def maps_csv(state: AppState, data: MapData | FanData) -> str:
    """One row per cell (run,optimizer,x,y,final_loss,steps_to_tol,diverged_at,minimum; empty
    where there is none), or for a fan one row per run and step with the loss quantiles."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    runs = state.simulation.runs
    if isinstance(data, FanData):
        writer.writerow(FAN_CSV)
        for fan in data.runs:
            for step, values in enumerate(fan.quantiles.T.tolist()):
                cells = ["" if v >= BEYOND else repr(v) for v in values]
                writer.writerow([fan.run, runs[fan.run].optimizer, step, *cells])
        return out.getvalue()
    writer.writerow(GRID_CSV)
    grid_x, grid_y = np.meshgrid(data.x, data.y[data.rows[0] : data.rows[1]])
    for panel in data.panels:
        s = panel.summary
        for k, (x, y) in enumerate(zip(grid_x.ravel().tolist(), grid_y.ravel().tolist())):
            loss = float(s.final_loss[k])
            writer.writerow([
                panel.run, runs[panel.run].optimizer, repr(x), repr(y),
                repr(loss) if np.isfinite(loss) else "",
                *("" if v < 0 else int(v) for v in (s.steps_to_tol[k], s.diverged_at[k], s.minimum[k])),
            ])
    return out.getvalue()


def _rows(state: AppState) -> tuple[int, int]:
    chosen = flask.request.args.getlist("rows")
    if len(chosen) != 1:
        raise ConfigError("rows", "give rows=FIRST,STOP once")
    try:
        first, stop = (int(v) for v in chosen[0].split(","))
    except ValueError:
        raise ConfigError("rows", "must be two whole numbers FIRST,STOP") from None
    if not 0 <= first < stop <= state.maps.grid:
        raise ConfigError("rows", f"must satisfy 0 ≤ FIRST < STOP ≤ {state.maps.grid}")
    return first, stop


def _map_state(presets, reserved: frozenset[str]) -> AppState:
    query = flask.request.query_string.decode("utf-8", "replace")
    state = parse_query_strict(query, presets, reserved=reserved)
    if state.view not in MAP_VIEWS:
        raise ConfigError("view", f"must be one of {', '.join(MAP_VIEWS)}")
    return state


def register_api(server: flask.Flask, presets: Mapping[str, AppState] | None = None) -> None:
    """Add `GET /api/trajectories`, `GET /api/maps` and `GET /api/maps/block` to `server`
    (`presets`: the names `preset=` accepts)."""

    def maps() -> flask.Response:
        try:
            output = _format()
            state = _map_state(presets, frozenset({"format"}))
            data = cached_map(state)
        except ConfigError as error:
            return _error(400, error.field, error.message)
        if output == "csv":
            return _response(200, maps_csv(state, data), "text/csv")
        return _response(200, maps_json(state, data), "application/json")

    def block() -> flask.Response:
        """A block of grid rows of a basins or hyperparameter map, as the page refines it:
        every panel's steps (int16, little endian), then every panel's outcomes (int8)."""
        try:
            state = _map_state(presets, frozenset({"rows"}))
            if state.view == "fan":
                raise ConfigError("view", "a fan has no blocks")
            data = cached_map(state, rows=_rows(state))
        except ConfigError as error:
            return _error(400, error.field, error.message)
        return _response(200, block_bytes(data), "application/octet-stream")

    server.add_url_rule("/api/maps", "api_maps", maps, methods=["GET"])
    server.add_url_rule("/api/maps/block", "api_maps_block", block, methods=["GET"])

    def trajectories() -> flask.Response:
        query = flask.request.query_string.decode("utf-8", "replace")
        try:
            output = _format()
            state = parse_query_strict(query, presets, reserved=frozenset({"format"}))
            paths = list(compute(state).trajectories)
        except ConfigError as error:
            return _error(400, error.field, error.message)
        if output == "csv":
            return _response(200, to_csv(state, paths), "text/csv")
        return _response(200, to_json(state, paths), "application/json")

    server.add_url_rule("/api/trajectories", "api_trajectories", trajectories, methods=["GET"])


__all__ = ["CSV_COLUMNS", "FORMATS", "register_api", "to_csv", "to_json"]
