"""The Maps section of the control panel: the grid of the basins and hyperparameter maps,
the hyperparameter map's axes, the seed fan's seeds. Its inputs are page fields
(`ids.field`), read by the page's update callback through the one reader like every other."""

from __future__ import annotations

from dash import html

from components import ids
from components.controls import text_input
from components.forms import PageForm
from urlstate.maps import GRID, SEEDS


def map_section(form: PageForm) -> list:
    """Grid, seeds and the two axes (empty: the first run's defaults)."""
    v = form.values
    return [
        html.Div(
            [
                text_input(ids.field("grid"), "map grid", v["grid"], f"{GRID.low:g} … {GRID.high:g} per axis"),
                text_input(ids.field("seeds"), "fan seeds", v["seeds"], f"{SEEDS.low:g} … {SEEDS.high:g}"),
            ],
            className="pair",
        ),
        text_input(ids.field("hx"), "map x axis", v["hx"], f"empty: {v['hx_default']}", mode="text"),
        text_input(ids.field("hy"), "map y axis", v["hy"], f"empty: {v['hy_default']}", mode="text"),
        html.P(
            [
                "An axis is a numeric setting of run 1 with its range, e.g. ",
                html.Code("lr(0.001,1,log)"), " or ", html.Code("momentum(0,0.99)"),
                f". Run 1 has: {v['map_settings']}.",
            ],
            className="hint",
        ),
    ]
