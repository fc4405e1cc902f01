"""components/plain.py: components and figures become the JSON structure they stand for."""

from __future__ import annotations

import orjson
import plotly.graph_objects as go
from dash import dcc, html

from components.plain import plain


def test_a_component_tree_becomes_nested_plain_dicts():
    tree = html.Div([html.Span("a", id="s"), dcc.Markdown("*b*")], className="c")
    out = plain(tree)
    assert out == {
        "type": "Div",
        "namespace": "dash_html_components",
        "props": {
            "children": [
                {"type": "Span", "namespace": "dash_html_components", "props": {"children": "a", "id": "s"}},
                {"type": "Markdown", "namespace": "dash_core_components", "props": {"children": "*b*"}},
            ],
            "className": "c",
        },
    }
    assert orjson.loads(orjson.dumps(out)) == out


def test_a_figure_becomes_its_plotly_json_and_round_trips():
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="run 1"), layout={"title": "t"})
    out = plain(figure)
    assert isinstance(out, dict) and go.Figure(out) == figure
    orjson.dumps(out, option=orjson.OPT_SERIALIZE_NUMPY)


def test_containers_and_plain_values_pass_through():
    assert plain({"a": (1, html.Br()), "b": None}) == {
        "a": [1, {"type": "Br", "namespace": "dash_html_components", "props": {"children": None}}],
        "b": None,
    }
    assert plain("text") == "text" and plain(2.5) == 2.5
