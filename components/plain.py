"""Callback outputs as plain JSON data, so that Dash encodes a response in one call.

Dash hands a callback's response to plotly's encoder, which tries orjson on it directly and
succeeds when every value is native (dicts, lists, strings, numbers, NumPy arrays). One Dash
component or plotly figure anywhere in it makes orjson refuse, and the encoder then walks the
whole response in Python first: with the figures' grids in it that costs ten times the
encoding itself (docs/performance.md). So figures are built as dicts (figures/views.py) and
outputs holding components are converted here.
"""

from __future__ import annotations

from typing import Any


def plain(value: Any) -> Any:
    """`value` with every Dash component (and anything else with `to_plotly_json`) replaced
    by the JSON structure it stands for.

    Walks dicts, lists and tuples (not into what `to_plotly_json` returns for a plotly figure,
    which is plain already): call it on component trees, not on large data such as a figure's
    grids.
    """
    if hasattr(value, "to_plotly_json"):
        data = value.to_plotly_json()
        return data if "props" not in data else {**data, "props": plain(data["props"])}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value
