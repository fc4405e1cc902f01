"""The surface card's own formula: "Your own: f(x, y) = …" with its plot domain, and, under
every registered surface, its formula in the same syntax with "Edit as my own".

The formula is a page-level field (`ids.field("f")`) and the domain four surface parameters
(`ids.surface_param("formula", …)`), so the page's one reader checks them like any other
input and marks an invalid formula at the field, with its column. Choosing "Your own" in the
surface menu, or "Edit as my own" under a registered surface (one callback, `own_surface`),
starts from the formula (at its default parameters) and domain of the surface shown; the start
point stays where it is. The text is never rendered as markup: it is shown as text only.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from components import ids
from landscapes import SURFACES
from landscapes.formula import BUILTIN_FORMULAS, FUNCTIONS, MAX_LENGTH
from landscapes.user import DEFAULT_DOMAIN, DOMAIN_PARAMS, FORMULA

LABEL = "Your own: f(x, y) ="
OPTION = {"value": FORMULA, "label": "Your own: f(x, y) = …"}  # the surface menu's entry
EDIT = "formula-edit"  # "Edit as my own" under a registered surface (one per surface)
EXAMPLE = "(1 - x)^2 + 100*(y - x^2)^2"
GRAMMAR_HINT = (
    "x, y, numbers (1e-3), pi, e, + - * / ^ (or **), parentheses and "
    + ", ".join(sorted(FUNCTIONS))
    + ". Minima, lowest value and start are found numerically over the domain."
)


def edit_id(surface: object) -> dict:
    """The id of "Edit as my own" under the registered surface `surface` (ALL: any)."""
    return {"type": EDIT, "surface": surface, "name": "edit"}


def _domain_values(domain) -> dict[str, float]:
    (xmin, xmax), (ymin, ymax) = domain
    return {"xmin": xmin, "xmax": xmax, "ymin": ymin, "ymax": ymax}


def formula_params(text: str, values: dict) -> list:
    """The formula field and the four inputs of its plot domain."""
    from components.controls import param_input  # the inputs every surface parameter uses

    field = dmc.Textarea(
        id=ids.field("f"), label=LABEL, value=text or "", size="sm", autosize=True, minRows=1,
        maxRows=6, debounce=600, placeholder=EXAMPLE, description=GRAMMAR_HINT,
        className="formula-input", autoComplete="off", spellCheck=False,
        inputProps={"maxLength": MAX_LENGTH + 100, "autoCapitalize": "off"},
    )
    domain = [
        param_input(ids.surface_param(FORMULA, p.name), p, values.get(p.name, p.default))
        for p in DOMAIN_PARAMS
    ]
    return [field, dmc.SimpleGrid(domain, cols=2, spacing="xs")]


def builtin_formula(name: str) -> html.Div | None:
    """A registered surface's formula in the formula syntax (at its default parameters), with
    "Edit as my own"."""
    text = BUILTIN_FORMULAS.get(name)
    if text is None:
        return None
    return html.Div(
        [
            html.Code(f"f(x, y) = {text}", className="formula-text"),
            dmc.Button(
                "Edit as my own", id=edit_id(name), size="compact-xs", variant="light",
                className="formula-edit",
            ),
        ],
        className="builtin-formula",
    )


def starting_point(shown: object) -> tuple[str, dict]:
    """The formula and domain a user's own surface starts from: those of the surface shown
    (`shown`, a registered surface's name), else the example over the default domain."""
    if isinstance(shown, str) and shown in SURFACES and shown in BUILTIN_FORMULAS:
        return BUILTIN_FORMULAS[shown], _domain_values(SURFACES[shown].domain)
    return EXAMPLE, _domain_values(DEFAULT_DOMAIN)


@callback(
    Output(ids.SURFACE_PARAMS, "children", allow_duplicate=True),
    Output(ids.RENDERED_SURFACE, "data", allow_duplicate=True),
    Output(ids.field("surface"), "value", allow_duplicate=True),
    Input(ids.field("surface"), "value"),
    Input(edit_id(ALL), "n_clicks"),
    State(ids.RENDERED_SURFACE, "data"),
    prevent_initial_call=True,
)
def own_surface(name: object, clicks: list | None, rendered: object):
    """"Your own" chosen in the menu, or "Edit as my own" clicked: the formula field, starting
    from the surface shown (the menu switches to "Your own" too)."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == EDIT:  # "Edit as my own"
        if not any(clicks or ()):  # a button just rendered, not clicked
            raise PreventUpdate
        menu = FORMULA
    elif name != FORMULA or rendered == FORMULA:
        raise PreventUpdate
    else:
        menu = no_update
    text, domain = starting_point(rendered)
    return formula_params(text, domain), FORMULA, menu


__all__ = [
    "EDIT",
    "LABEL",
    "OPTION",
    "builtin_formula",
    "edit_id",
    "formula_params",
    "own_surface",
    "starting_point",
]
