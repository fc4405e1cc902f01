"""Short human labels for runs ("Momentum · lr=0.02, momentum=0.8, batch 16")."""

from __future__ import annotations

from engine import Run
from optimizers import OPTIMIZERS, SCHEDULES
from engine.config import batch_label


def _number(value: float | bool) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}"


def run_label(run: Run) -> str:
    """The optimizer's title and every setting that differs from its default."""
    spec = OPTIMIZERS[run.optimizer]
    defaults = spec.defaults()
    shown = [f"lr={_number(run.hyper.get('lr', defaults['lr']))}"]
    shown += [
        f"{name}={_number(value)}"
        for name, value in run.hyper.items()
        if name != "lr" and value != defaults.get(name)
    ]
    if run.schedule != "constant":
        shown.append(SCHEDULES[run.schedule].title.lower())
    if run.warmup:
        shown.append(f"warmup {run.warmup}")
    if run.clip_norm is not None:
        shown.append(f"clip‖g‖≤{_number(run.clip_norm)}")
    if run.clip_value is not None:
        shown.append(f"clip|g|≤{_number(run.clip_value)}")
    if run.batch_size is not None:  # else the page's batch size
        shown.append(batch_label(run.batch_size))
    short = spec.title.split(" (")[0]
    return f"{short} · {', '.join(shown)}"
