"""The networks' JSON and CSV API (docs/api.md).

    GET /api/network?<a network link's query>[&format=csv]

The query is read strictly by `networks.link.read_link` (an invalid one is a 400 naming the
field, as `/api/trajectories` answers); the answer is the link's document
(`networks.document.cached_network`: computed once per process), written with
`allow_nan=False`.
"""

from __future__ import annotations

import csv
import io

import flask

from api import _error, _format, _response
from engine import ConfigError
from networks.document import cached_network
from networks.link import read_link

CSV_COLUMNS = (
    "run",
    "optimizer",
    "step",
    "x",
    "y",
    "distance",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
)


def network_csv(document: dict) -> str:
    """One row per run and evaluation step: run,optimizer,step,x,y,distance (the step's
    point on the plane), train_loss,train_accuracy,test_loss,test_accuracy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for index, run in enumerate(document["runs"]):
        at = {step: k for k, step in enumerate(run["steps"])}
        for e, step in enumerate(run["eval_steps"]):
            k = at[step]
            writer.writerow(
                [
                    index,
                    run["optimizer"],
                    step,
                    *(repr(run[key][k]) for key in ("x", "y", "distance")),
                    *(
                        repr(run[key][e])
                        for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
                    ),
                ]
            )
    return out.getvalue()


def register_network_api(server: flask.Flask) -> None:
    """Add `GET /api/network` to `server`."""

    def network() -> flask.Response:
        query = flask.request.query_string.decode("utf-8", "replace")
        try:
            output = _format()
            link = read_link(query, reserved=frozenset({"format"}))
            document = cached_network(link)
        except ConfigError as error:
            return _error(400, error.field, error.message)
        if output == "csv":
            return _response(200, network_csv(document), "text/csv")
        return _response(200, document, "application/json")

    server.add_url_rule("/api/network", "api_network", network, methods=["GET"])


__all__ = ["CSV_COLUMNS", "network_csv", "register_network_api"]
