"""A network link's document: its training, landscape, sharpness and (for a preset's link)
the preset's verdict, as plain numbers, computed once per process (docs/api.md).

`compute_network(link)` trains (`networks.train`), lays out the plane (`networks.landscape`)
and measures the sharpness (`networks.sharpness`); `cached_network(link)` keeps each answer
for the same canonical computation (`mapping.SingleFlight`: concurrent callers wait for the
one computation). The page's network view, `/api/network` and `/api/network/stream` all read
it. Nothing non-finite is kept: training records stop before a divergence and grids hold no
NaN or Inf.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from engine.config import run_settings
from mapping import SingleFlight
from networks.config import batch_of
from networks.link import NetworkLink, computation_key, read_link
from networks.planes import Grid, Landscape, landscape, plane_values
from networks.presets import NETWORK_PRESETS
from networks.sharpness import sharpness
from networks.training import TrainingResult, train
from urlstate.model import VERSION

CACHE_SIZE = 16  # answers kept per process (each a few hundred KB of numbers at most)
# What a computation reports: (stage, fraction of that stage done), stage one of STAGES.
Progress = Callable[[str, float], None]
STAGES = ("training", "plane", "sharpness")


_CACHE = SingleFlight(CACHE_SIZE)


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, np.float64).ravel()]


def _rows(values: np.ndarray) -> list[list[float]]:
    return np.asarray(values, np.float64).tolist()


def _grid(grid: Grid) -> dict:
    return {
        "loss": _rows(grid.loss),
        "accuracy": _rows(grid.accuracy),
        "non_finite": grid.non_finite,
    }


def _finals_on_plane(result: TrainingResult, view: Landscape) -> np.ndarray:
    """The training loss at each run's final point projected on the plane."""
    coords = np.array([[path.x[-1], path.y[-1]] for path in view.paths])
    data = result.dataset
    loss, _ = plane_values(
        view.plane, result.model, data.x_train, data.y_train, coords, result.training.dtype
    )
    return loss


@functools.cache
def _preset_keys() -> dict[str, object]:
    """Each network preset by the computation key of its link."""
    return {computation_key(read_link(preset.query)): preset for preset in NETWORK_PRESETS}


def preset_of(link: NetworkLink):
    """The network preset whose computation `link` is, else None."""
    return _preset_keys().get(computation_key(link))


def preset_json(link: NetworkLink, result: TrainingResult, view: Landscape) -> dict | None:
    """The preset `link` computes (name, title, two-line caption) with its claim's verdict
    on these runs, else None."""
    preset = preset_of(link)
    if preset is None:
        return None
    try:
        holds, sentence = preset.claim.check(result, view)
    except (IndexError, KeyError, ValueError) as error:  # not checkable on these runs
        holds, sentence = None, f"not checkable: {error}"
    return {
        "name": preset.name,
        "title": preset.title,
        "caption": list(preset.caption),
        "verdict": {"holds": None if holds is None else bool(holds), "sentence": sentence},
    }


def network_json(
    link: NetworkLink,
    result: TrainingResult,
    view: Landscape,
    sharp: list[float | None],
    preset: dict | None = None,
) -> dict:
    """The API's JSON document for a link, its training result, landscape, sharpness and
    (for a preset's link) the preset with its verdict."""
    training, plane = link.training, view.plane
    examples = len(result.dataset.x_train)
    under = _finals_on_plane(result, view)
    runs = []
    for index, (run, record, path) in enumerate(zip(training.runs, result.runs, view.paths)):
        final = {
            "step": int(record.eval_steps[-1]),
            "train_loss": float(record.train_loss[-1]),
            "train_accuracy": float(record.train_accuracy[-1]),
            "test_loss": float(record.test_loss[-1]),
            "test_accuracy": float(record.test_accuracy[-1]),
            "plane_loss": float(under[index]) if np.isfinite(under[index]) else None,
            "distance": float(path.distance[-1]),
        }
        runs.append(
            {
                **run_settings(run),
                "batch_size": batch_of(run, training, examples),
                "steps": [int(s) for s in record.steps],
                "x": _floats(path.x),
                "y": _floats(path.y),
                "distance": _floats(path.distance),
                "eval_steps": [int(s) for s in record.eval_steps],
                "train_loss": _floats(record.train_loss),
                "train_accuracy": _floats(record.train_accuracy),
                "test_loss": _floats(record.test_loss),
                "test_accuracy": _floats(record.test_accuracy),
                "batch_loss": _floats(record.batch_loss),
                "final": final,
                "sharpness": sharp[index],
                "diverged_at": record.diverged_at,
            }
        )
    explained = plane.explained_variance
    plane_json = {
        "kind": plane.kind,
        "x": _floats(view.train.x),
        "y": _floats(view.train.y),
        **_grid(view.train),
        "explained_variance": None if explained is None else _floats(explained),
        "test": None if view.test is None else _grid(view.test),
    }
    if plane.kind == "endpoints":
        plane_json["runs"] = list(link.plane_runs)
    if plane.kind == "random":
        plane_json["seed"] = link.plane_seed
    return {
        "v": VERSION,
        "query": computation_key(link),
        "model": {"name": training.model, "parameters": result.model.size},
        "data": {
            "name": training.data,
            "train": examples,
            "test": len(result.dataset.x_test),
        },
        "steps": training.steps,
        "batch_size": training.batch_size,
        "seed": training.seed,
        "dtype": training.dtype,
        "record_every": training.record_every,
        "eval_every": training.eval_every,
        "plane": plane_json,
        "runs": runs,
        "preset": preset,
    }


def compute_network(link: NetworkLink, progress: Progress | None = None) -> dict:
    """Train, lay out the plane and measure the sharpness: the link's JSON document.

    `progress`, if given, is called as `progress(stage, fraction)` (stage one of STAGES,
    fraction of that stage done); an exception raised by it abandons the computation.
    """

    def stage(name: str):
        if progress is None:
            return None
        return lambda fraction: progress(name, float(fraction))

    result = train(link.training, progress=stage("training"))
    view = landscape(
        result,
        link.plane,
        link.resolution,
        test=link.test,
        seed=link.plane_seed,
        plane_runs=link.plane_runs,
        progress=stage("plane"),
    )
    if progress is not None:
        progress("sharpness", 0.0)
    sharp = sharpness(result)
    preset = preset_json(link, result, view)
    if progress is not None:
        progress("sharpness", 1.0)
    return network_json(link, result, view, sharp, preset)


def cached_network(link: NetworkLink, progress: Progress | None = None) -> dict:
    """`compute_network`, once per process for the same computation (`computed` counts).
    `progress` hears the computation only if this call is the one that runs it."""
    return _CACHE.get(computation_key(link), lambda: compute_network(link, progress))


def cache_status(link: NetworkLink) -> str | None:
    """"done" when the link's document is cached, "running" while another caller computes
    it, else None (without waiting or computing)."""
    return _CACHE.status(computation_key(link))


def computed() -> int:
    """How many network answers this process has computed (for tests and benchmarks)."""
    return _CACHE.computed


__all__ = [
    "CACHE_SIZE",
    "STAGES",
    "Progress",
    "cache_status",
    "cached_network",
    "compute_network",
    "computed",
    "network_json",
    "preset_json",
    "preset_of",
]
