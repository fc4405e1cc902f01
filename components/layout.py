"""The page skeleton: header, control panel, views. Controls are filled by `page.load`."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from components import ids
from components.controls import noise_section, surface_section
from components.forms import state_to_form
from components.map_controls import map_section
from components.network_view import network_view
from networks.presets import PRESETS_BY_NAME
from components.run_card import ADD_RUN, RUNS, run_cards
from components.views import (
    animation_bar,
    classroom_strip,
    described_figures,
    live_region,
    view_tabs,
)
from urlstate import default_state
from urlstate.presets import PRESETS


def header() -> html.Header:
    """Title, presets, sharing and export."""
    presets = [{"value": p.name, "label": p.title} for p in PRESETS.values()]
    return html.Header(
        [
            html.Div(
                [
                    html.H1("Optiscape"),
                    html.Span("watch optimizers race on loss surfaces", className="tagline"),
                ],
                className="brand",
            ),
            dmc.Select(
                id=ids.PRESET, data=presets, placeholder="Lecture presets…", searchable=True,
                clearable=True, size="sm", className="preset-select",
                comboboxProps={"withinPortal": True}, **{"aria-label": "Lecture presets"},
            ),
            html.Div(
                [
                    html.Span(  # a button for the keyboard too (assets/a11y.js clicks the icon)
                        [dcc.Clipboard(id=ids.COPY_LINK, className="copy-icon"), " Copy link"],
                        className="action-link copy-link", role="button", tabIndex="0",
                        **{"aria-label": "Copy link"},
                    ),
                    html.A(
                        "Real networks", href="/?" + PRESETS_BY_NAME["momentum_vs_adam_digits"].query,
                        className="action-link networks-link",
                    ),
                    html.A("CSV", id=ids.EXPORT_CSV, href="#", download="optiscape.csv", className="action-link"),
                    html.A("JSON", id=ids.EXPORT_JSON, href="#", target="_blank", className="action-link"),
                    html.Button(
                        "Classroom mode", id=ids.CLASSROOM_LINK, n_clicks=0,
                        className="action-link classroom-enter",
                    ),
                ],
                className="actions",
            ),
        ],
        className="app-header",
    )


def control_panel() -> html.Aside:
    """Surface, runs and noise sections (their contents come from the URL state)."""
    section = lambda title, body_id: dmc.AccordionItem(  # noqa: E731
        [dmc.AccordionControl(title), dmc.AccordionPanel(html.Div(id=body_id))], value=body_id
    )
    runs = dmc.AccordionItem(
        [
            dmc.AccordionControl("Optimizers"),
            dmc.AccordionPanel(
                [
                    html.Div(id=RUNS, className="runs"),
                    dmc.Button(
                        "+ Add run", id=ADD_RUN, variant="light", size="xs", fullWidth=True,
                        className="add-run",
                    ),
                ]
            ),
        ],
        value="runs",
    )
    return html.Aside(
        dmc.Accordion(
            [
                section("Surface & start", "surface-section"), runs,
                section("Mini-batch noise", "noise-section"), section("Maps", ids.MAP_SECTION),
            ],
            multiple=True, value=["surface-section", "runs"], variant="separated",
        ),
        className="controls",
    )


def main_area() -> html.Main:
    """Caption, animation bar, views and the summary table."""
    return html.Main(
        [
            html.Div(id=ids.PRESET_CAPTION, className="caption"),
            html.Div(id=ids.CLASSROOM_STRIP, className="classroom-strip"),
            animation_bar(),
            view_tabs("contour"),
            html.Div(id=ids.SUMMARY, className="summary-wrap"),
            *described_figures(),
            live_region(),
        ],
        className="views", id="main", tabIndex="-1",
    )


def stores() -> list:
    """Client-side state: the canonical query and what the browser animates."""
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.TRAJECTORIES),
        dcc.Store(id=ids.INTERNALS),
        dcc.Store(id=ids.FIGURE_KEY),
        dcc.Store(id=ids.QUERY_SYNC),
        dcc.Store(id=ids.MAP_DATA),
        dcc.Store(id=ids.RENDERED_SURFACE),
        dcc.Store(id=ids.PLAYBACK),
    ]


def page() -> dmc.MantineProvider:
    """The whole page."""
    return dmc.MantineProvider(
        html.Div(
            [
                # The first stop of the Tab key: past the header and the controls to the
                # figures (on a phone they come first on the screen, last in the page).
                html.A("Skip to the figures", href="#main", className="skip-link"),
                header(),
                network_view(),
                html.Div(id=ids.NOTICE, className="notice-wrap"),
                html.Div(id=ids.INPUT_NOTICE, className="notice-wrap"),
                html.Div([control_panel(), main_area()], className="body"),
                *stores(),
            ],
            id=ids.SHELL,
            className="shell",
        ),
        theme={
            "fontFamily": "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
            "primaryColor": "blue",
            "respectReducedMotion": True,  # no sliding panels when motion is unwanted
        },
    )


def validation_layout() -> html.Div:
    """The page with every dynamically rendered control, so Dash can check callback ids."""
    form = state_to_form(default_state())
    return html.Div(
        [
            page(), *surface_section(form), *noise_section(form), *run_cards(form.runs),
            *map_section(form),
            *classroom_strip(form),
        ]
    )
