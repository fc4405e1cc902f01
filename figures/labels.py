"""Human labels for runs: the long one ("Momentum · lr=0.02, momentum=0.8, batch 16") for
legends and tables, and the short one ("Momentum") written beside each moving point."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from engine import Run
from engine.config import batch_label
from figures.theme import PALETTE, run_dash, run_symbol
from figures.views import RunStyle
from optimizers import OPTIMIZERS, SCHEDULES

SHORT_NAMES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
    "amsgrad": "AMSGrad",
    "nadam": "NAdam",
    "adamax": "Adamax",
    "adadelta": "Adadelta",
    "lion": "Lion",
    "newton": "Newton",
}


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


def short_label(run: Run) -> str:
    """The optimizer's short name, with the run's own batch size if it has one."""
    name = SHORT_NAMES.get(run.optimizer, run.optimizer.capitalize())
    return name if run.batch_size is None else f"{name} ({batch_label(run.batch_size)})"


def _lr(run: Run) -> float:
    return run.hyper.get("lr", OPTIMIZERS[run.optimizer].defaults()["lr"])


def short_labels(runs: Sequence[Run]) -> list[str]:
    """Short labels that tell the runs apart: a name shared by several runs gets its
    learning rate when that differs between them ("SGD lr=0.05"), else a number ("SGD 2")."""
    names = [short_label(r) for r in runs]
    shared = {n for n, count in Counter(names).items() if count > 1}
    by_lr = {
        name: len({_lr(r) for r, n in zip(runs, names) if n == name})
        == sum(1 for n in names if n == name)
        for name in shared
    }
    seen: Counter = Counter()
    labels = []
    for run, name in zip(runs, names):
        if name not in shared:
            labels.append(name)
            continue
        seen[name] += 1
        labels.append(f"{name} lr={_number(_lr(run))}" if by_lr[name] else f"{name} {seen[name]}")
    return labels


def run_styles(runs: Sequence[Run], colors: Sequence[str]) -> tuple[RunStyle, ...]:
    """How each run is drawn: long label, colour, distinct short name, dash and symbol by
    position."""
    return tuple(
        RunStyle(run_label(run), color, name, run_dash(i), run_symbol(i))
        for i, (run, color, name) in enumerate(zip(runs, colors, short_labels(runs)))
    )


def placeholder_styles(count: int) -> tuple[RunStyle, ...]:
    """Styles of `count` runs before their labels are known (the browser patches them)."""
    return tuple(
        RunStyle(f"run {i + 1}", PALETTE[i % len(PALETTE)], f"run {i + 1}", run_dash(i), run_symbol(i))
        for i in range(count)
    )
