"""computation.py: what the page and the API derive from one computation of a page state."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from computation import GRAPHS, compute, edited, figure_key, figures_for
from engine import simulate
from urlstate import parse_query


def test_only_the_trajectories_are_computed_up_front():
    state, _ = parse_query("v=1&surface=rosenbrock&steps=50&run=sgd(lr=0.001)&run=adam")
    result = compute(state)
    assert set(vars(result)) == {"state", "trajectories"}  # nothing derived yet (the API's case)
    for mine, reference in zip(result.trajectories, simulate(state.simulation)):
        np.testing.assert_array_equal(mine.xy, reference.xy)
    assert len(result.payload["runs"]) == len(result.summary) == len(result.internals) == 2
    assert result.verdict is None and result.edited is False  # no preset named


def test_a_preset_is_edited_once_its_runs_differ_and_its_claim_follows_the_runs():
    preset, _ = parse_query("preset=canyon_race")
    assert preset.preset == "canyon_race" and not edited(preset)
    assert compute(preset).verdict.holds is True
    # Momentum slowed to a crawl: still the preset, now edited, and its claim no longer holds.
    slow, _ = parse_query(
        "preset=canyon_race&run=sgd(lr=0.09)&run=momentum(lr=0.001,momentum=0.5)&run=adam(lr=0.1)"
    )
    assert slow.preset == "canyon_race" and edited(slow)
    verdict = compute(slow).verdict
    assert verdict.holds is False and "Momentum" in verdict.sentence
    presentation_only, _ = parse_query("preset=canyon_race&classroom=1&step=10")
    assert not edited(presentation_only)


def test_figures_are_keyed_by_what_their_static_part_shows():
    plain, _ = parse_query("v=1&surface=himmelblau&run=sgd&run=adam")
    projector, _ = parse_query("v=1&surface=himmelblau&run=sgd&run=adam&classroom=1")
    other_lr, _ = parse_query("v=1&surface=himmelblau&run=sgd(lr=0.02)&run=adam")
    assert figure_key(plain) == figure_key(other_lr) != figure_key(projector)
    small, large = figures_for(figure_key(plain)), figures_for(figure_key(projector))
    assert len(small) == len(large) == len(GRAPHS)
    contour = GRAPHS.index(next(g for g in GRAPHS if g.name == "contour"))
    tick = lambda figure: go.Figure(figure).layout.xaxis.tickfont.size  # noqa: E731
    assert tick(large[contour]) >= 20 > tick(small[contour])
