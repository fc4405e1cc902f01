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

from computation import compute
from engine import ConfigError, Trajectory, effective_batch_size
from urlstate import VERSION, AppState, parse_query_strict

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


def to_json(state: AppState, trajectories: list[Trajectory]) -> dict:
    """The API's JSON document for a validated state and its trajectories."""
    sim = state.simulation
    runs = []
    for index, (run, path) in enumerate(zip(sim.runs, trajectories)):
        runs.append(
            {
                "optimizer": run.optimizer,
                "params": dict(run.hyper),
                "schedule": {
                    "name": run.schedule,
                    "params": dict(run.schedule_params),
                    "warmup": run.warmup,
                },
                "clip_norm": run.clip_norm,
                "clip_value": run.clip_value,
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
        "surface": {"name": sim.surface, "params": dict(sim.surface_params)},
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


def register_api(server: flask.Flask, presets: Mapping[str, AppState] | None = None) -> None:
    """Add `GET /api/trajectories` to `server` (`presets`: the names `preset=` accepts)."""

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
