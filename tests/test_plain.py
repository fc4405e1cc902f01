"""components/plain.py: components as the JSON Dash sends for them, built directly."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
import orjson
import pytest
from dash import dcc, html

from components.plain import node
from components.views import summary_table
from figures.summary import RunSummary

MODULES = {
    "dash_html_components": html,
    "dash_core_components": dcc,
    "dash_mantine_components": dmc,
}


def plain(value: Any) -> Any:
    """What Dash's encoder makes of `value`: every component replaced by its JSON."""
    if hasattr(value, "to_plotly_json"):
        data = value.to_plotly_json()
        return {**data, "props": plain(data["props"])}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def rebuild(tree: Any) -> Any:
    """Real components from JSON built by `node` (a TypeError for an unknown prop)."""
    if isinstance(tree, list):
        return [rebuild(item) for item in tree]
    if isinstance(tree, dict) and tree.keys() == {"type", "namespace", "props"}:
        kind = getattr(MODULES[tree["namespace"]], tree["type"])
        props = {k: rebuild(v) for k, v in tree["props"].items()}
        return kind(**props)
    return tree


def test_a_node_is_what_dash_sends_for_the_component():
    tree = node(html.Div, [node(html.Span, "a", id="s"), node(dcc.Markdown, "*b*")], className="c")
    assert plain(rebuild(tree)) == tree
    assert tree["props"]["children"][1] == {
        "type": "Markdown", "namespace": "dash_core_components", "props": {"children": "*b*"},
    }
    assert orjson.loads(orjson.dumps(tree)) == tree


def test_an_unknown_prop_is_caught_by_rebuilding():
    with pytest.raises(TypeError):
        rebuild(node(dmc.TableTd, "x", colour="red"))


def test_the_summary_table_is_made_of_valid_components():
    rows = [
        RunSummary(final_loss=1.5e-7, distance_to_minimum=0.002, steps_to_tolerance=42, diverged_at=None),
        RunSummary(final_loss=3.0, distance_to_minimum=1.2, steps_to_tolerance=None, diverged_at=17),
    ]
    table = summary_table(["sgd", "adam"], ["#111111", "#222222"], rows, 1e-3)
    assert plain(rebuild(table)) == table
    text = orjson.dumps(table).decode()
    assert "diverged at step 17" in text and "not reached" in text and "42" in text
