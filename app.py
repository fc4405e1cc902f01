"""Optiscape: the Dash app (layout assembly and callback registration only)."""

from __future__ import annotations

import os

import dash
from flask import jsonify

app = dash.Dash(__name__, title="Optiscape")
server = app.server
app.layout = dash.html.Div("Optiscape")


@server.get("/healthz")
def healthz():
    """Liveness and readiness: answers once the process can serve."""
    return jsonify(status="ok")


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8050")), debug=False)
