"""Map cells compute their links' formula: compiled without FMA, every cell equals its trajectory.

XLA:CPU contracts a·b + c into one fused multiply-add where a product has a single reader in
one kernel, so two kernels computing the same formula round alike only when their values
have the same readers. Under the default compilation every rule but AdamW's does
(tests/test_maps_engine.py checks them bit for bit; AdamW's cells differ in the last bits
from about step 6). Compiled without FMA (`--xla_cpu_max_isa=AVX`), every operation is rounded
on its own: then the two engines must give the same bits for AdamW as well, which shows the
formula is the same and only the contraction differs. A fresh process (XLA reads its flags
once).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import numpy as np
import engine
from engine import Simulation, Run, simulate, validate
from engine.maps import base_cells, sweep, vary
from engine.measures import steps_to_tolerance
from landscapes import SURFACES
from test_maps_engine import CASES, TOL, _starts

def same(result, k, path, surface):
    reached = steps_to_tolerance(path.loss, SURFACES[surface].min_value, TOL)
    return (result.final_xy[k].tolist() == path.xy[-1].tolist()
            and result.final_loss[k] == path.loss[-1] and result.best_loss[k] == path.loss.min()
            and result.steps_to_tol[k] == (-1 if reached is None else reached)
            and result.diverged_at[k] == (-1 if path.diverged_at is None else path.diverged_at))

checked = bad = 0
for surface, run, noise in CASES:
    sim = validate(Simulation(surface, (Run("sgd"), run), steps=150, noise=noise))
    starts = _starts(sim, 8)
    result = sweep(sim, 1, base_cells(sim, 1, len(starts))._replace(start=starts), TOL)
    for k in range(len(starts)):
        linked = validate(Simulation(surface, sim.runs, tuple(starts[k]), sim.steps, noise=noise))
        checked += 1
        bad += not same(result, k, simulate(linked)[1], surface)
sim = validate(Simulation("canyon", (Run("momentum"),), start=(-1.8, 0.6), steps=200,
                          surface_params={"kappa": 30.0}))
lrs, mus = np.geomspace(1e-3, 0.5, 6), np.linspace(0.0, 0.95, 5)
grid_lr, grid_mu = np.meshgrid(lrs, mus)
cells = vary(vary(base_cells(sim, 0, grid_lr.size), sim, 0, "lr", grid_lr.ravel()),
             sim, 0, "momentum", grid_mu.ravel())
result = sweep(sim, 0, cells, TOL)
for k in range(grid_lr.size):
    run = Run("momentum", {"lr": grid_lr.ravel()[k], "momentum": grid_mu.ravel()[k]})
    linked = validate(Simulation("canyon", (run,), sim.start, sim.steps, surface_params={"kappa": 30.0}))
    checked += 1
    bad += not same(result, k, simulate(linked)[0], "canyon")
for surface in ("rosenbrock", "canyon", "sphere"):  # AdamW: equal here, not with FMA
    sim = validate(Simulation(surface, (Run("adamw"),), steps=120))
    starts = _starts(sim, 4)
    result = sweep(sim, 0, base_cells(sim, 0, len(starts))._replace(start=starts), TOL)
    for k in range(len(starts)):
        linked = validate(Simulation(surface, sim.runs, tuple(starts[k]), sim.steps))
        checked += 1
        bad += not same(result, k, simulate(linked)[0], surface)
print(checked, bad)
"""


def test_without_fma_every_cell_equals_its_trajectory_to_the_last_bit():
    env = {**os.environ, "XLA_FLAGS": "--xla_cpu_max_isa=AVX", "JAX_PLATFORMS": "cpu"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # compiled code of the default flags is not reused
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT / "tests", env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    checked, bad = map(int, done.stdout.split()[-2:])
    assert checked == 6 * 64 + 30 + 3 * 16 and bad == 0  # with FMA: 40 (AdamW's)
