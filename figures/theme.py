"""Shared look of every figure: fonts, surface colours, margins."""

from __future__ import annotations

FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

# Okabe–Ito: distinguishable with every common colour-vision deficiency (yellow last:
# weakest on a light background).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)

# A light, nearly grey surface so the coloured paths stand out on a projector.
SURFACE_COLORSCALE = [
    [0.0, "#f7fbff"],
    [0.25, "#deebf7"],
    [0.5, "#c6dbef"],
    [0.75, "#9ecae1"],
    [1.0, "#6baed6"],
]
MINIMUM_MARKER = dict(symbol="star", size=16, color="#FFD700", line=dict(color="#222", width=1.5))
LOCAL_MINIMUM_MARKER = dict(symbol="star-open", size=14, color="#555", line=dict(width=1.5))
START_MARKER = dict(symbol="x-thin", size=14, line=dict(color="#222", width=3))


def base_layout(**overrides) -> dict:
    """Layout settings every view shares (`uirevision` keeps zoom across updates)."""
    layout = dict(
        font=dict(family=FONT, size=14, color="#1f2933"),
        margin=dict(l=50, r=20, t=30, b=45),
        paper_bgcolor="white",
        plot_bgcolor="white",
        uirevision="keep",
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, bgcolor="rgba(255,255,255,0.7)"),
        hoverlabel=dict(font=dict(family=FONT)),
    )
    layout.update(overrides)
    return layout
