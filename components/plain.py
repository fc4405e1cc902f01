"""Callback outputs as plain JSON data, so that Dash encodes a response in one call.

Dash hands a callback's response to plotly's encoder, which tries orjson on it directly and
succeeds when every value is native (dicts, lists, strings, numbers, NumPy arrays). One Dash
component or plotly figure anywhere in it makes orjson refuse, and the encoder then walks the
whole response in Python first: with the figures' grids in it that costs ten times the
encoding itself (docs/performance.md). So figures are built as dicts (figures/views.py) and
components sent with every computation (the summary table) as the JSON they stand for.
"""

from __future__ import annotations

from typing import Any


def node(kind: type, children: Any = None, **props: Any) -> dict:
    """The JSON Dash sends for the component `kind(children, **props)`, built directly.

    Constructing and converting the components of the summary table cost more than computing
    its trajectories. No prop is checked here: tests/test_plain.py rebuilds such trees as
    real components and compares.
    """
    return {"type": kind._type, "namespace": kind._namespace, "props": {"children": children, **props}}
