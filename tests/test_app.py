"""app.py: the assembly's own helpers (warm-up)."""

from __future__ import annotations

import os
import threading

import pytest

import app


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priorities here")
def test_the_background_warm_up_yields_to_request_threads():
    seen = {}

    def background():
        app.yield_to_requests()
        seen["warm-up"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=background)
    thread.start()
    thread.join(10)
    assert seen["warm-up"] == min(before + 10, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # only that thread


def test_likely_simulations_cover_every_preset_and_each_optimizer_alone():
    from engine import validate
    from optimizers import OPTIMIZERS
    from urlstate.presets import PRESET_STATES

    sims = app.likely_simulations()
    assert all(state.simulation in sims for state in PRESET_STATES.values())
    presets = [state.simulation for state in PRESET_STATES.values()]
    singles = [s for s in sims if len(s.runs) == 1 and s not in presets]
    assert {s.runs[0].optimizer for s in singles} == set(OPTIMIZERS)
    assert {s.steps for s in singles} == set(app.LIKELY_STEPS)
    for sim in sims:  # every one computable as it is: validation changes nothing but defaults
        checked = validate(sim)
        assert (checked.surface, len(checked.runs), checked.steps) == (
            sim.surface, len(sim.runs), sim.steps,
        )
        assert [r.optimizer for r in checked.runs] == [r.optimizer for r in sim.runs]
