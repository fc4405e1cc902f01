"""Shared look of every figure: fonts, run colours and dashes, surface colours, sizes.

Two scales of type and line: the page's (readable at 1280 px) and classroom mode's
(projected: tick labels of at least 20 px at 1920×1080, thicker lines and markers).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
INK = "#1f2933"

# Okabe–Ito: distinguishable with every common colour-vision deficiency (yellow last:
# weakest on a light background). Runs 9–16 reuse these colours.
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
# Runs stay apart without colour too (colour blindness, a washed-out projector, a grey
# print): each of 16 runs has its own pair of line dash and marker symbol (`run_dash`,
# `run_symbol`), and its name is written at its moving point.
DASHES = ("solid", "dash", "dot", "dashdot")
SYMBOLS = (
    "circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon", "hexagon",
    "triangle-right",
)
# The 3D view (WebGL) knows fewer symbols: the same place in this list.
SYMBOLS_3D = ("circle", "square", "diamond", "circle-open", "square-open", "diamond-open", "cross", "x")


def _shift(index: int) -> int:
    return index // len(PALETTE)  # 0 for runs 1–8, 1 for runs 9–16, …


def run_dash(index: int) -> str:
    """The line dash of run `index` (0-based): solid, dash, dot, dash-dot in turn; a run
    sharing its colour with an earlier one (runs 9–16) is two patterns further on."""
    return DASHES[(index + 2 * _shift(index)) % len(DASHES)]


def run_symbol(index: int) -> str:
    """The marker symbol of run `index`: one of eight; runs 9–16 one further on, so that no
    two of 16 runs share both dash and symbol, and no two of the same colour share either."""
    return SYMBOLS[(index + _shift(index)) % len(SYMBOLS)]


def symbol_3d(symbol: str) -> str:
    """The 3D view's stand-in for a run's `symbol`."""
    return SYMBOLS_3D[SYMBOLS.index(symbol)] if symbol in SYMBOLS else SYMBOLS_3D[0]


# A warm, neutral grey surface: no hue of its own, so every palette colour stands out on it
# (CIEDE2000 ≥ 25 between every palette colour and every stop; tests/test_figures.py checks
# it). A blue scale swallowed the sky-blue run (ΔE 3 at its dark end).
SURFACE_COLORSCALE = [
    [0.0, "#fbfaf8"],
    [0.25, "#ebe9e5"],
    [0.5, "#d9d6d0"],
    [0.75, "#c5c1ba"],
    [1.0, "#b0aba3"],
]
CONTOUR_LINE = "rgba(70,64,56,0.35)"
HALO = "white"  # drawn under every path so a later run never fully hides an earlier one
MINIMUM_MARKER = dict(symbol="star", size=16, color="#FFD700", line=dict(color="#222", width=1.5))
LOCAL_MINIMUM_MARKER = dict(symbol="star-open", size=14, color="#444", line=dict(width=1.5))
# Each listed minimum (global ones first, then local ones) has its own colour, the same on the
# contour's stars and in the basins map: Paul Tol's "bright" scheme, distinguishable with the
# common colour-vision deficiencies (ordered so that neighbours differ in lightness too).
MINIMUM_COLORS = ("#4477AA", "#CCBB44", "#EE6677", "#66CCEE", "#228833", "#AA3377")


def minimum_color(index: int) -> str:
    """The colour of listed minimum `index` (global minima first, then local ones)."""
    return MINIMUM_COLORS[index % len(MINIMUM_COLORS)]
START_MARKER = dict(symbol="x-thin", size=14, line=dict(color="#222", width=3))
DIVERGED = "#b42318"  # the "diverged" marks' outline and text colour
MUTED = "#4b5563"  # secondary text and the −g arrows (7.6:1 on white)

# Text drawn over the surface (run names at their points, divergence marks) sits on a white
# halo, so that it reads against the halo whatever the surface beneath: its colour keeps
# 4.5:1 with white (`text_color`). The same four shadows at 2 px as plotly's own "auto".
TEXT_HALO = ", ".join(f"{x}px {y}px 2px #ffffff" for x, y in ((1, 1), (-1, -1), (1, -1), (-1, 1)))
# Hover boxes: dark text on white, the border in the colour of what is hovered (a hover box
# in the trace's own colour would put white or grey text on gold, sky blue or yellow).
HOVER_BG = "#ffffff"


@dataclass(frozen=True)
class Scale:
    """Type and line sizes of one display mode (pixels)."""

    font: int  # body text, hover labels
    tick: int  # tick labels (axes and colour bar)
    title: int  # axis titles
    label: int  # direct run labels on the plots
    line: float  # a run's path
    halo: float  # extra width of the white underlay on each side of a path
    marker: int  # step markers along a path
    head: int  # the current-position marker
    head_outline: float


PAGE = Scale(font=14, tick=13, title=15, label=13, line=2.5, halo=2.5, marker=4, head=13, head_outline=2.5)
CLASSROOM = Scale(font=20, tick=20, title=22, label=20, line=4.5, halo=3.5, marker=6, head=20, head_outline=3.5)


def scale(classroom: bool) -> Scale:
    return CLASSROOM if classroom else PAGE


def base_layout(classroom: bool = False, **overrides) -> dict:
    """Layout settings every view shares (`uirevision` keeps zoom across updates)."""
    s = scale(classroom)
    layout = dict(
        font=dict(family=FONT, size=s.font, color=INK),
        margin=dict(l=58 if classroom else 50, r=20, t=30, b=58 if classroom else 45),
        paper_bgcolor="white",
        plot_bgcolor="white",
        uirevision="keep",
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, bgcolor="rgba(255,255,255,0.7)"),
        hoverlabel=hover_label(INK, classroom),
        # the mode bar's icons at 3:1 and more on white (plotly's default grey: 1.9:1)
        modebar=dict(color=MUTED, activecolor=INK, bgcolor="rgba(255,255,255,0.85)"),
    )
    layout.update(overrides)
    return layout


def axis_style(title: str, classroom: bool) -> dict:
    """Title and tick fonts of a 2D or 3D axis."""
    s = scale(classroom)
    return dict(
        title=dict(text=title, font=dict(size=s.title, color=INK)),
        tickfont=dict(size=s.tick, color=INK),
    )


def hover_label(border: str, classroom: bool = False) -> dict:
    """A hover box: dark text on white with a border of `border` (a run's colour)."""
    s = scale(classroom)
    return dict(
        bgcolor=HOVER_BG, bordercolor=border, font=dict(family=FONT, size=s.font, color=INK),
    )


NAMED = {"white": "#ffffff", "black": "#000000", "transparent": "rgba(0,0,0,0)"}


def rgba(color: str) -> tuple[float, float, float, float]:
    """A CSS colour as plotly writes them (#rgb, #rrggbb, rgb(…), rgba(…), white, black)
    as red, green, blue in 0…1 and opacity."""
    text = NAMED.get(color.strip().lower(), color.strip().lower())
    if text.startswith("rgb"):
        parts = [float(v) for v in text[text.index("(") + 1:text.rindex(")")].split(",")]
        alpha = parts[3] if len(parts) > 3 else 1.0
        return parts[0] / 255, parts[1] / 255, parts[2] / 255, alpha
    h = text.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (*(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)


def over(color: str, background: str = "#ffffff") -> str:
    """`color` as seen over the opaque `background` (its opacity blended in), as hex."""
    r, g, b, a = rgba(color)
    br, bg, bb, _ = rgba(background)
    mixed = (a * c + (1 - a) * d for c, d in zip((r, g, b), (br, bg, bb)))
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in mixed))


def _channels(color: str) -> tuple[float, float, float]:
    return rgba(over(color))[:3] if rgba(color)[3] < 1 else rgba(color)[:3]


def luminance(color: str) -> float:
    """WCAG relative luminance of a colour (one with opacity: as seen over white)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _channels(color)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def large_text(size: float, bold: bool = False) -> bool:
    """WCAG's large text (3:1 suffices): at least 24 px, or 18.66 px bold."""
    return size >= 24 or (bold and size >= 18.66)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@functools.lru_cache(maxsize=1024)  # a pure function of a few colours, asked for every run
def text_color(color: str, background: str = "#ffffff", ratio: float = 4.5) -> str:
    """`color`, darkened just enough to be read as text on `background` (WCAG `ratio`):
    a run's name in its own colour, on white or on the white halo of `TEXT_HALO`."""
    r, g, b = _channels(color)
    for step in range(21):
        k = 1 - step / 20
        candidate = "#{:02x}{:02x}{:02x}".format(*(round(255 * c * k) for c in (r, g, b)))
        if contrast(candidate, background) >= ratio:
            return candidate
    return "#000000"


@functools.lru_cache(maxsize=1024)
def halo_color(color: str) -> str:
    """The underlay of a path of `color`: white, or dark grey under a light colour (yellow
    on white would vanish)."""
    return "#3a3a3a" if luminance(color) > 0.6 else HALO
