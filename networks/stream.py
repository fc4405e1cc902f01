"""A network link's computation with its progress, as it happens (docs/api.md).

    GET /api/network/stream?<a network link's query>

An invalid link is a 400 naming the field, as `/api/network` answers, before anything is
streamed. Otherwise an `application/x-ndjson` stream, one JSON object a line, each written
as it is produced:

    {"progress": {"stage": "training", "done": 0.12, "text": "Training 2 runs: step 100 of 500"}}
    ...                                   (then stage "plane", then "sharpness")
    {"done": {"query": "<the link's computation key>"}}

The computation goes through `networks.document.cached_network`'s single-flight cache, so once
`done` arrives `/api/network` with the same query answers at once. A link already computed
gets the `done` line alone; a link another request is computing gets one `waiting` line,
then `done` when that computation ends. A failed computation ends with an `{"error":
{"field", "message"}}` line.

The computation runs in a worker thread and hands its progress to the response through a
queue. When the client goes away (the server closes the response: GeneratorExit), the
computation stops at its next progress report (`abandoned` counts these) and nothing is
cached for it. While no progress arrives for a while the last line is repeated, so a
closed connection is noticed even during a long stage.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator

import flask

from api import _error
from engine import ConfigError
from networks import document
from networks.link import NetworkLink, computation_key, read_link

MIMETYPE = "application/x-ndjson"
# Each stage's share of the whole computation's progress (the plane's grid dominates).
WEIGHTS = {"training": 0.55, "plane": 0.4, "sharpness": 0.05}
HEARTBEAT = 2.0  # seconds without progress before the last progress line is repeated

_lock = threading.Lock()
_abandoned = [0]


class Abandoned(Exception):
    """Raised from the progress callback once the client has gone: stops the computation."""


def abandoned() -> int:
    """How many computations this process has stopped because their client went away."""
    return _abandoned[0]


def overall(stage: str, fraction: float) -> float:
    """The whole computation's fraction done when `stage` is `fraction` done."""
    before = 0.0
    for name, weight in WEIGHTS.items():
        if name == stage:
            return round(min(1.0, before + weight * min(max(fraction, 0.0), 1.0)), 4)
        before += weight
    return 0.0


def progress_text(link: NetworkLink, stage: str, fraction: float) -> str:
    """What a stage is doing, in words: "Training 2 runs: step 300 of 500"."""
    runs = len(link.training.runs)
    plural = "run" if runs == 1 else "runs"
    if stage == "training":
        steps = link.training.steps
        return f"Training {runs} {plural}: step {round(fraction * steps):,} of {steps:,}"
    if stage == "plane":
        side = link.resolution
        grids = "training and test grids" if link.test else "grid"
        return f"Loss on the {link.plane} plane's {side}×{side} {grids}: {fraction:.0%}"
    if stage == "sharpness":
        return f"Sharpness (top Hessian eigenvalue) at the end of {runs} {plural}"
    return "Waiting for the same computation, started by another request"


def _line(body: dict) -> str:
    return json.dumps(body, allow_nan=False, separators=(",", ":")) + "\n"


def progress_line(link: NetworkLink, stage: str, fraction: float) -> str:
    done = 0.0 if stage == "waiting" else overall(stage, fraction)
    text = progress_text(link, stage, fraction)
    return _line({"progress": {"stage": stage, "done": done, "text": text}})


def done_line(link: NetworkLink) -> str:
    return _line({"done": {"query": computation_key(link)}})


def error_line(field: str, message: str) -> str:
    return _line({"error": {"field": str(field), "message": str(message)}})


def _work(link: NetworkLink, out: queue.Queue, stop: threading.Event) -> None:
    """Compute the link's document through the shared cache, reporting to `out`."""

    def report(stage: str, fraction: float) -> None:
        if stop.is_set():
            raise Abandoned
        out.put(("progress", stage, fraction))

    while True:
        try:
            document.cached_network(link, report)
        except Abandoned:
            if not stop.is_set():  # the request computing it for us went away: compute it
                continue
            with _lock:
                _abandoned[0] += 1
            out.put(("abandoned",))
        except ConfigError as error:
            out.put(("error", error.field, error.message))
        except Exception as error:  # noqa: BLE001  (reported to the client, then the stream ends)
            out.put(("error", "result", f"the computation failed: {type(error).__name__}"))
        else:
            out.put(("done",))
        return


def stream_lines(link: NetworkLink, heartbeat: float = HEARTBEAT) -> Iterator[str]:
    """The stream's lines for a valid link (see the module's docstring)."""
    status = document.cache_status(link)
    if status == "done":
        yield done_line(link)
        return
    last = progress_line(link, "waiting" if status == "running" else "training", 0.0)
    yield last
    out: queue.Queue = queue.Queue()
    stop = threading.Event()
    worker = threading.Thread(target=_work, args=(link, out, stop), daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = out.get(timeout=heartbeat)
            except queue.Empty:
                yield last  # a write to a closed connection ends the response here
                continue
            kind = item[0]
            if kind == "progress":
                last = progress_line(link, item[1], item[2])
                yield last
            elif kind == "done":
                yield done_line(link)
                return
            elif kind == "error":
                yield error_line(item[1], item[2])
                return
            else:  # abandoned: the client is gone, nobody reads this
                return
    finally:
        stop.set()  # the client went away (GeneratorExit) or the stream ended: stop the work


def register_network_stream(server: flask.Flask) -> None:
    """Add `GET /api/network/stream` to `server`."""

    def network_stream() -> flask.Response:
        query = flask.request.query_string.decode("utf-8", "replace")
        try:
            link = read_link(query)
        except ConfigError as error:
            return _error(400, error.field, error.message)
        response = flask.Response(stream_lines(link), status=200, mimetype=MIMETYPE)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # proxies pass each line on at once
        return response

    server.add_url_rule(
        "/api/network/stream", "api_network_stream", network_stream, methods=["GET"]
    )


__all__ = [
    "MIMETYPE",
    "Abandoned",
    "abandoned",
    "overall",
    "progress_text",
    "register_network_stream",
    "stream_lines",
]
