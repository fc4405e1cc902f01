"""Optiscape: assembles the page, registers the callbacks and the JSON API."""

from __future__ import annotations

import os
import threading

import dash
from flask import jsonify

import components.page  # noqa: F401  (registers the page's callbacks)
from api import register_api
from compression import enable_compression
from components.layout import page, validation_layout
from networks.api import register_network_api
from networks.stream import register_network_stream
from security import harden
from urlstate.presets import PRESET_STATES

app = dash.Dash(
    __name__,
    title="Optiscape",
    update_title=None,
    compress=False,
    meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
)
server = app.server
app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # read as English
app.layout = page()
app.validation_layout = validation_layout()
register_api(server, PRESET_STATES)
register_network_api(server)
register_network_stream(server)
enable_compression(app.server)
harden(app)
# Dash registers its callbacks on the first request; a second thread arriving meanwhile
# would find none (HTTP 500). Do it now, before gunicorn forks (no JAX work involved).
app._setup_server()

_ready = threading.Event()


LIKELY_STEPS = (1_000, 5_000)  # with the engine's 4× overshoot, they serve 250–5,000 steps


def likely_simulations() -> list:
    """What a class is likely to ask for beyond the default page: every preset, and each
    optimizer alone at LIKELY_STEPS. A group of any size runs on the one-run group's code in
    several calls and a shorter request on a longer compiled scan (engine/trajectories.py), and the
    surface is data, so these cover most changes a student makes without a compilation."""
    from dataclasses import replace

    from engine import Run
    from optimizers import OPTIMIZERS
    from urlstate.presets import DEFAULT_PRESET

    default = PRESET_STATES[DEFAULT_PRESET].simulation
    singles = [
        replace(default, runs=(Run(name),), steps=steps)
        for steps in LIKELY_STEPS
        for name in OPTIMIZERS
    ]
    return [state.simulation for state in PRESET_STATES.values()] + singles


def warm_up_page() -> None:
    """Compile what the default page needs and build its figures (after any fork)."""
    from computation import compute, figure_key, figures_for
    from urlstate import parse_query

    state = parse_query("")[0]
    result = compute(state)
    result.payload, result.internals, result.summary  # noqa: B018  (built once, as a page would)
    figures_for(figure_key(state))


def yield_to_requests() -> None:
    """Lower the calling thread's scheduling priority (nice + 10), so that compiling in the
    background never delays a request: on Linux a thread has its own nice value."""
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + 10, 19))
    except (AttributeError, OSError):  # not Linux, or not permitted: compile at full priority
        pass


def warm_up() -> None:
    """`warm_up_page`, then, already reporting ready, the structures of `likely_simulations`
    at a lower priority (call after any fork, in the background: seconds to a minute)."""
    from engine import warm_up as compile_structures

    try:
        warm_up_page()
    finally:
        _ready.set()  # a failed warm-up only means the first request compiles
    yield_to_requests()
    compile_structures(likely_simulations())
    warm_up_maps()


def warm_up_maps() -> None:
    """The map presets' maps: the coarse one, then the whole grid their claims are checked on
    (kept cached; and a class opening any map link of those rules finds both sizes of
    kernel compiled, not just the coarse one's)."""
    from dataclasses import replace

    from computation import is_map, map_payload
    from mapping import cached_map
    from urlstate.reader import normalize

    for name, state in PRESET_STATES.items():
        state = normalize(replace(state, preset=name))
        if is_map(state):
            map_payload(state, "")
            cached_map(state)


@server.get("/healthz")
def healthz():
    """Ready once the default structures are compiled; 503 before."""
    if not _ready.is_set():
        return jsonify(status="warming"), 503
    return jsonify(status="ok")


if __name__ == "__main__":
    threading.Thread(target=warm_up, name="optiscape-warm-up", daemon=True).start()
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8050")), debug=False)
