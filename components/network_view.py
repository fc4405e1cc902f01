"""The real-network view: an All-in-One component owning every id that starts `network-`.

A network link (`surface=network`, `networks.link`) opens this view instead of the loss-surface
page. Flow:

    URL search ──(show_link)──▶ the form, the canonical query in `network-query`
    form "Train" / preset ──(train)──▶ URL search + `network-query` (or field errors)
    `network-query` ──(assets/networks.js)──▶ GET /api/network/stream, progress bar,
                                              then `network-ready` = the query
    `network-ready` + the page's classroom class ──(draw)──▶ figures, caption, summary table

The callbacks only adapt: links are read and written by `networks.link`, the document comes
from `networks.document.cached_network`, the figures, captions and rows from `figures.networks`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence

import dash_mantine_components as dmc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components import ids
from engine import ConfigError
from engine.config import FULL_BATCH
from figures.networks import caption_lines, network_figures, summary_rows
from figures.summary import format_number
from networks.document import cached_network
from networks.link import SURFACE, NetworkLink, computation_key, link_query, read_link
from networks.planes import MAX_RESOLUTION, MIN_RESOLUTION, PLANES
from networks.presets import NETWORK_PRESETS, PRESETS_BY_NAME
from urlstate.codec import quoted, run_text

VIEW = "network-view"
QUERY = "network-query"  # the canonical link shown (written by the callbacks)
READY = "network-ready"  # the query whose document is in the server's cache (by the browser)
PRESET = "network-preset"
TRAIN = "network-train"
ERROR = "network-error"  # why a link or the form could not be read
PROGRESS = "network-progress"
PROGRESS_FILL = "network-progress-fill"
STATUS = "network-status"
CAPTION = "network-caption"
TABS = "network-tabs"
SUMMARY = "network-summary"
CLASSROOM_EXIT = "network-classroom-exit"
FIELDS = ("model", "plane", "steps", "batch", "runs", "resolution", "test")


def field_id(name: str) -> str:
    """The id of a form field (`FIELDS`)."""
    return f"network-{name}"


def graph_id(name: str) -> str:
    """The id of a graph (`figures.networks.NETWORK_GRAPHS`)."""
    return f"network-graph-{name}"


# The graphs in `figures.networks.NETWORK_GRAPHS`' order, each with its tab and its name
# for screen readers.
GRAPHS = (
    ("plane", "Plane", "Contour of the training loss on the plane with each run's path"),
    ("surface3d", "3D", "The training loss over the plane in 3D with each run's path"),
    ("loss", "Loss", "Training and test loss against step, one curve per run"),
    ("accuracy", "Accuracy", "Training and test accuracy against step, one curve per run"),
    ("panels", "Per run", "One contour plot per run"),
    ("distance", "Off-plane distance", "How far each run's path lies off the plane, against step"),
)
TAB_NAMES = tuple(name for name, _, _ in GRAPHS)  # `view=NAME` in a network link
# (model, data) pairs networks.models offers, as one choice each.
MODEL_CHOICES = (
    ("mlp/digits", "MLP · 8×8 digits"),
    ("cnn/digits", "CNN · 8×8 digits"),
    ("mlp/moons", "MLP · two moons"),
)
PLANE_CHOICES = {
    "pca": "PCA of all paths",
    "random": "Random directions",
    "endpoints": "Start and two runs' ends",
}
# The link keys the form writes (every other key of the link shown is kept as it is).
FORM_KEYS = ("model", "data", "plane", "steps", "batch", "run", "resolution", "test")
# Where a ConfigError's first path element is typed.
FIELD_OF_PATH = {
    "model": "model", "data": "model", "plane": "plane", "plane_runs": "plane",
    "steps": "steps", "batch_size": "batch", "batch": "batch", "runs": "runs",
    "resolution": "resolution", "test": "test",
}
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "optiscape-network"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}
EMPTY_FIGURE = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}}


# ---------------------------------------------------------------- links ⇄ form (pure)


def network_query(search: object) -> str | None:
    """The query of `search` ("?…") when it is a network link (`surface=network`), else None."""
    if not isinstance(search, str):
        return None
    query = search.lstrip("?")
    pairs = urllib.parse.parse_qsl(query.replace("+", "%2B"), keep_blank_values=True)
    return query if any(k == "surface" and v.strip() == SURFACE for k, v in pairs) else None


def form_values(link: NetworkLink) -> dict:
    """The form's values for `link` (keyed by `FIELDS`)."""
    t = link.training
    return {
        "model": f"{t.model}/{t.data}",
        "plane": link.plane,
        "steps": str(t.steps),
        "batch": FULL_BATCH if t.batch_size == FULL_BATCH else str(t.batch_size),
        "runs": "\n".join(
            run_text(run, link.colors[i] if i < len(link.colors) else "")
            for i, run in enumerate(t.runs)
        ),
        "resolution": link.resolution,
        "test": link.test,
    }


DEFAULT_FORM = form_values(read_link(NETWORK_PRESETS[0].query))


def form_query(values: dict, shown: str | None) -> str:
    """The link the form describes: the link `shown` with the form's keys replaced (its
    other keys, e.g. `seed` or `classroom`, kept). Unchecked: `read_link` reads it."""
    kept = []
    if isinstance(shown, str):
        kept = [
            (k, v)
            for k, v in urllib.parse.parse_qsl(shown.replace("+", "%2B"), keep_blank_values=True)
            if k not in FORM_KEYS
        ]
    model, _, data = str(values.get("model") or "").partition("/")
    pairs = [("v", "1"), ("surface", SURFACE), *[(k, v) for k, v in kept if k not in ("v", "surface")]]
    pairs += [
        ("model", model), ("data", data), ("plane", str(values.get("plane") or "")),
        ("steps", str(values.get("steps") if values.get("steps") is not None else "").strip()),
        ("batch", str(values.get("batch") if values.get("batch") is not None else "").strip()),
    ]
    runs = [line.strip() for line in str(values.get("runs") or "").splitlines() if line.strip()]
    pairs += [("run", run) for run in runs]
    if values.get("resolution") not in (None, ""):
        pairs.append(("resolution", str(values["resolution"])))
    if values.get("test"):
        pairs.append(("test", "1"))
    return "&".join(f"{k}={quoted(k, v)}" for k, v in pairs)


def error_field(error: ConfigError) -> str | None:
    """The form field holding the value `error` is about (None: no field holds it)."""
    return FIELD_OF_PATH.get(str(error.path[0])) if error.path else None


def error_text(error: ConfigError) -> str:
    """`error` in the form's words: "Run 2 · lr: must be …", "steps: must be …"."""
    path = error.path
    if len(path) >= 2 and path[0] == "runs" and isinstance(path[1], int):
        where = " · ".join([f"Run {path[1] + 1}", *map(str, path[2:])])
        return f"{where}: {error.message}"
    return f"{error.field}: {error.message}"


def with_key(query: str, key: str, value: str | None) -> str:
    """`query` with its presentation key `key` set to `value` (None: left out), last."""
    pairs = [p for p in query.split("&") if p and not p.startswith(f"{key}=")]
    return "&".join([*pairs, *([f"{key}={value}"] if value is not None else [])])


def tab_of(link: NetworkLink) -> str:
    """The tab a link opens on: its `view` when that names a graph, else the plane."""
    view = dict(link.presentation).get("view", "")
    return view if view in TAB_NAMES else "plane"


def preset_shown(preset: object, link: NetworkLink | None) -> object:
    """What the preset menu keeps showing once `link` is open: the chosen preset while the
    link computes what the preset's does (presentation keys aside), else nothing (None)."""
    if preset is None or preset not in PRESETS_BY_NAME:
        return no_update
    if link is not None and computation_key(link) == computation_key(read_link(PRESETS_BY_NAME[preset].query)):
        return no_update
    return None


def is_classroom(shell_class: object) -> bool:
    return "classroom" in str(shell_class or "").split()


# ---------------------------------------------------------------- layout


def _field_error_ids() -> list:
    return [Output(field_id(name), "error", allow_duplicate=True) for name in FIELDS if name != "test"]


def controls(values: dict) -> list:
    """The compact training form, filled with `values` (`form_values`)."""
    return [
        dmc.Select(
            id=field_id("model"), label="Model and data", value=values["model"],
            data=[{"value": v, "label": label} for v, label in MODEL_CHOICES], allowDeselect=False,
            size="sm", className="network-field network-model", comboboxProps={"withinPortal": True},
        ),
        dmc.Select(
            id=field_id("plane"), label="Plane", value=values["plane"],
            data=[{"value": p, "label": PLANE_CHOICES.get(p, p)} for p in PLANES], allowDeselect=False,
            size="sm", className="network-field network-plane", comboboxProps={"withinPortal": True},
        ),
        dmc.TextInput(id=field_id("steps"), label="Steps", value=values["steps"], size="sm",
                      className="network-field network-steps"),
        dmc.TextInput(id=field_id("batch"), label="Batch size", value=values["batch"], placeholder="64 or full",
                      size="sm", className="network-field network-batch"),
        dmc.NumberInput(
            id=field_id("resolution"), label="Grid resolution", value=values["resolution"],
            min=MIN_RESOLUTION, max=MAX_RESOLUTION, step=2, allowDecimal=False, size="sm",
            className="network-field network-resolution",
        ),
        dmc.Switch(id=field_id("test"), label="Include the test-set plane", checked=values["test"],
                   size="sm", className="network-field network-test"),
        dmc.Textarea(
            id=field_id("runs"), label="Runs, one per line", value=values["runs"], autosize=True,
            minRows=2, maxRows=8, size="sm", className="network-field network-runs",
            description="e.g. momentum(lr=0.1) or adam(lr=0.001,schedule=cosine,warmup=50)",
            spellCheck=False,
        ),
        dmc.Button("Train", id=TRAIN, n_clicks=0, size="sm", color="#0b5cad",  # 6.6:1 under white
                   className="network-train-button"),
    ]


def network_view() -> html.Section:
    """The view: header row, form, progress, caption, graph tabs and summary table; hidden
    unless a network link is open (`network-active` on the section)."""
    presets = [{"value": p.name, "label": p.title} for p in NETWORK_PRESETS]
    head = html.Div(
        [
            html.H2("Real network", className="network-title"),
            dmc.Select(
                id=PRESET, data=presets, placeholder="Network presets…", size="sm",
                className="network-preset", allowDeselect=False, comboboxProps={"withinPortal": True},
                **{"aria-label": "Network presets"},
            ),
            html.A("← Loss surfaces", href="/", className="action-link network-back"),
            html.Button("Exit classroom mode", id=CLASSROOM_EXIT, n_clicks=0,
                        className="classroom-exit network-classroom-exit"),
        ],
        className="network-head",
    )
    progress = html.Div(
        [
            html.Div(
                html.Div(id=PROGRESS_FILL, className="network-progress-fill"),
                id=PROGRESS, className="network-progress", role="progressbar",
                **{"aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0",
                   "aria-label": "Training progress"},
            ),
            html.Div(id=STATUS, className="network-status", role="status",
                     **{"aria-live": "polite"}),
        ],
        className="network-progress-wrap",
    )
    tabs = dmc.Tabs(
        [
            dmc.TabsList([dmc.TabsTab(label, value=name) for name, label, _ in GRAPHS]),
            *[
                dmc.TabsPanel(
                    html.Div(
                        dcc.Graph(id=graph_id(name), figure=EMPTY_FIGURE, config=GRAPH_CONFIG,
                                  className=f"network-graph network-graph-{name}"),
                        role="figure", className="figure-frame", **{"aria-label": aria},
                    ),
                    value=name,
                )
                for name, _, aria in GRAPHS
            ],
        ],
        id=TABS, value="plane", keepMounted=True, className="network-tabs",
    )
    return html.Section(
        [
            head,
            html.Div(id=ERROR, className="network-error"),
            html.Div(
                [
                    html.Form(controls(DEFAULT_FORM), id="network-form", className="network-form",
                              **{"aria-label": "Training settings"}),
                    html.Div(
                        [
                            progress,
                            tabs,  # the figure first: on a projector it is what the room reads
                            html.Div(id=CAPTION, className="network-caption caption"),
                            html.Div(id=SUMMARY, className="network-summary-wrap"),
                        ],
                        className="network-main",
                    ),
                ],
                className="network-body",
            ),
            dcc.Store(id=QUERY),
            dcc.Store(id=READY),
        ],
        id=VIEW, className="network-view", **{"aria-label": "Real network"},
    )


# ---------------------------------------------------------------- what the document shows (pure)


def _percent(value) -> str:
    text = format_number(None if value is None else 100 * value)
    return text if text == "—" else f"{100 * value:.1f} %"


def summary_table(rows: Sequence[dict]) -> dmc.Table:
    """One row per run (`figures.networks.summary_rows`): final training and test loss, test
    accuracy, sharpness and off-plane distance."""
    head = ["Run", "final train loss", "test loss", "test accuracy", "sharpness", "off-plane distance"]
    body = []
    for row in rows:
        name = [html.Span(className="swatch", style={"background": row.get("color")}), row["label"]]
        if row.get("diverged_at") is not None:
            name.append(html.Span(f" diverged at step {row['diverged_at']}", className="diverged"))
        body.append(
            dmc.TableTr(
                [
                    dmc.TableTd(html.Span(name)),
                    dmc.TableTd(format_number(row.get("train_loss"))),
                    dmc.TableTd(format_number(row.get("test_loss"))),
                    dmc.TableTd(_percent(row.get("test_accuracy"))),
                    dmc.TableTd(format_number(row.get("sharpness"))),
                    dmc.TableTd(format_number(row.get("distance"))),
                ]
            )
        )
    return dmc.Table(
        [dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])), dmc.TableTbody(body)],
        className="summary network-summary", striped=True,
    )


def caption(preset: dict | None, lines: Sequence[str]) -> list:
    """The preset's title, its two lines and its verdict, then the honest caption lines."""
    out = []
    if preset:
        out.append(html.Div(preset["title"], className="network-preset-title"))
        out += [html.Div(line, className="caption-text") for line in preset.get("caption", ())]
        verdict = preset.get("verdict") or {}
        mark, kind = {True: ("✓ holds", "holds"), False: ("✗ does not hold", "fails")}.get(
            verdict.get("holds"), ("? cannot be checked", "unknown")
        )
        out.append(html.Div([html.Strong(f"Claim {mark}: "), verdict.get("sentence", "")],
                            className=f"claim claim-{kind}"))
    out.append(html.Ul([html.Li(line) for line in lines], className="network-notes"))
    return out


def problem(message: str) -> dmc.Alert:
    return dmc.Alert(message, title="This network link could not be read", color="orange",
                     className="notice", withCloseButton=True, closeButtonLabel="Dismiss this notice")


# ---------------------------------------------------------------- callbacks


@callback(
    output=dict(
        view=Output(VIEW, "className"),
        query=Output(QUERY, "data"),
        error=Output(ERROR, "children"),
        shell=Output(ids.SHELL, "className", allow_duplicate=True),
        preset=Output(PRESET, "value"),
        tab=Output(TABS, "value"),
        **{f"field_{name}": Output(field_id(name), "checked" if name == "test" else "value")
           for name in FIELDS},
        errors=_field_error_ids(),
    ),
    inputs=dict(search=Input(ids.URL, "search")),
    state=dict(shell=State(ids.SHELL, "className"), shown=State(QUERY, "data"),
               preset=State(PRESET, "value")),
    prevent_initial_call="initial_duplicate",
)
def show_link(search, shell, shown, preset=None):
    """A network link opened: the view active, the form from the link, its canonical query
    stored (the browser streams it); an invalid link says why and keeps the defaults. The
    preset menu is cleared once the link no longer computes the chosen preset's."""
    query = network_query(search)
    cleared = [None] * len(_field_error_ids())
    unchanged = {f"field_{name}": no_update for name in FIELDS}
    if query is None:
        if shown is None:
            raise PreventUpdate
        return dict(view="network-view", query=None, error=None, shell=no_update,
                    preset=preset_shown(preset, None), tab=no_update, errors=cleared, **unchanged)
    try:
        link = read_link(query)
    except ConfigError as error:
        values = {f"field_{n}": v for n, v in DEFAULT_FORM.items()}
        return dict(view="network-view network-active", query=None, error=problem(error_text(error)),
                    shell=no_update, preset=preset_shown(preset, None), tab=no_update,
                    errors=cleared, **values)
    canonical = link_query(link)
    classroom = dict(link.presentation).get("classroom", "").strip().lower() in ("1", "true")
    classes = [c for c in str(shell or "shell").split() if c != "classroom"]
    values = {f"field_{n}": v for n, v in form_values(link).items()}
    return dict(
        view="network-view network-active", query=canonical, error=None,
        shell=" ".join([*classes, *(["classroom"] if classroom else [])]),
        preset=preset_shown(preset, link), tab=tab_of(link), errors=cleared, **values,
    )


@callback(
    output=dict(
        search=Output(ids.URL, "search", allow_duplicate=True),
        query=Output(QUERY, "data", allow_duplicate=True),
        error=Output(ERROR, "children", allow_duplicate=True),
        errors=_field_error_ids(),
    ),
    inputs=dict(train=Input(TRAIN, "n_clicks"), preset=Input(PRESET, "value")),
    state=dict(
        values={name: State(field_id(name), "checked" if name == "test" else "value") for name in FIELDS},
        shown=State(QUERY, "data"),
        shell=State(ids.SHELL, "className"),
        tab=State(TABS, "value"),
    ),
    prevent_initial_call=True,
)
def train(train, preset, values, shown, shell, tab):
    """"Train" (the form's link) or a preset chosen (its link): validated by `read_link`; an
    invalid value is marked at its field and nothing else changes."""
    names = [name for name in FIELDS if name != "test"]
    if ctx.triggered_id == PRESET:
        if preset not in PRESETS_BY_NAME:
            raise PreventUpdate
        query = PRESETS_BY_NAME[preset].query
    else:
        if not train:
            raise PreventUpdate
        query = form_query(values, shown)
    try:
        query = with_key(query, "classroom", "1" if is_classroom(shell) else None)
        canonical = link_query(read_link(with_key(query, "view", None if tab == "plane" else tab)))
    except ConfigError as error:
        where = error_field(error)
        marks = [error_text(error) if name == where else None for name in names]
        shown_error = None if where in names else problem(error_text(error))
        return dict(search=no_update, query=no_update, error=shown_error, errors=marks)
    return dict(search="?" + canonical, query=canonical, error=None, errors=[None] * len(names))


@callback(
    output=dict(
        figures=[Output(graph_id(name), "figure") for name, _, _ in GRAPHS],
        summary=Output(SUMMARY, "children"),
        caption=Output(CAPTION, "children"),
    ),
    inputs=dict(ready=Input(READY, "data"), shell=Input(ids.SHELL, "className")),
    state=dict(query=State(QUERY, "data")),
    prevent_initial_call=True,
)
def draw(ready, shell, query):
    """The stream said the document is computed: figures, caption and table from the cache."""
    if not isinstance(ready, str) or not ready or ready != query:
        raise PreventUpdate
    try:
        document = cached_network(read_link(ready))
    except ConfigError:
        raise PreventUpdate from None
    figures = network_figures(document, classroom=is_classroom(shell))
    return dict(
        figures=[figures.get(name, EMPTY_FIGURE) for name, _, _ in GRAPHS],
        summary=summary_table(summary_rows(document)),
        caption=caption(document.get("preset"), caption_lines(document)),
    )


clientside_callback(
    "function(query) { return window.optiscapeNetwork.run(query); }",
    Output(PROGRESS, "id"),
    Input(QUERY, "data"),
    prevent_initial_call=True,
)

clientside_callback(  # the tab shown, kept in the address bar as `view=` (no recomputation)
    "function(tab) { return window.optiscapeNetwork.showTab(tab); }",
    Output(TABS, "id"),
    Input(TABS, "value"),
    prevent_initial_call=True,
)

clientside_callback(  # out of projector mode (the surface page's own button is hidden here)
    "function(n, name) { if (!n) return window.dash_clientside.no_update;"
    " return String(name || '').split(' ').filter(c => c && c !== 'classroom').join(' '); }",
    Output(ids.SHELL, "className", allow_duplicate=True),
    Input(CLASSROOM_EXIT, "n_clicks"),
    State(ids.SHELL, "className"),
    prevent_initial_call=True,
)
