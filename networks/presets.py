"""The lecture's comparisons on a real network: four network links with checked claims.

Each preset is plain data: a name, a title, a two-line caption, the link's query
(`networks.link`) and a claim about what its runs show. A claim is a small frozen dataclass
with `check(result, landscape=None) -> (holds, sentence)`, the sentence giving the measured
numbers, and `reversed()`, the opposite claim (which must fail wherever the claim holds:
`tests/test_network_presets.py`). Where a textbook statement does not hold on this model the
caption says what is observed instead:

- large batches are said to end in sharper minima and to generalise worse: the full batch
  does end about 1.7× sharper than batches of 16, but tests no worse here;
- Adam is said to train faster than SGD: at torch's default lr = 0.001 it does not, against
  momentum with a tuned learning rate;
- warmup + cosine lets a large learning rate train where a constant one keeps bouncing;
- AdaGrad's steps shrink as its sum of squared gradients grows: it slows down late in
  training more than RMSProp does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from networks.planes import Landscape
from networks.sharpness import top_eigenvalues
from networks.training import RunRecord, TrainingResult

MEASURES = {"train_loss": "training loss", "test_loss": "test loss"}


def _name(result: TrainingResult, index: int) -> str:
    """A run's name in a sentence: "run 2 (adam, lr 0.001)"."""
    run = result.training.runs[index]
    return f"run {index + 1} ({run.optimizer}, lr {run.hyper['lr']:g})"


def _ended(record: RunRecord) -> str:
    return "" if record.diverged_at is None else f" (diverged at step {record.diverged_at})"


@dataclass(frozen=True)
class EndsLower:
    """Run `better` ends with a final `measure` (training or test loss over the whole set)
    at least `factor` times lower than run `worse`'s."""

    better: int
    worse: int
    measure: str = "train_loss"
    factor: float = 1.0

    def check(self, result: TrainingResult, landscape: Landscape | None = None):
        good, bad = (getattr(result.runs[i], self.measure)[-1] for i in (self.better, self.worse))
        holds = bool(bad >= self.factor * good) and bool(bad > good)
        what = MEASURES[self.measure]
        sentence = (
            f"final {what}: {_name(result, self.better)} {good:.4g}"
            f"{_ended(result.runs[self.better])}, {_name(result, self.worse)} {bad:.4g}"
            f"{_ended(result.runs[self.worse])} ({bad / max(good, 1e-300):.3g}×; "
            f"claimed ≥ {self.factor:g}×)"
        )
        return holds, sentence

    def reversed(self) -> EndsLower:
        return replace(self, better=self.worse, worse=self.better)


@dataclass(frozen=True)
class EndsSharper:
    """Run `sharper` ends where the training loss's Hessian has a larger top eigenvalue
    (sharpness) than where run `flatter` ends."""

    sharper: int
    flatter: int

    def check(self, result: TrainingResult, landscape: Landscape | None = None):
        finals = np.stack([result.runs[i].final for i in (self.sharper, self.flatter)])
        data = result.dataset
        high, low = top_eigenvalues(result.model, finals, data.x_train, data.y_train)
        holds = bool(high > low)
        sentence = (
            f"sharpness at the end: {_name(result, self.sharper)} {high:.3g}, "
            f"{_name(result, self.flatter)} {low:.3g} ({high / low:.3g}×)"
        )
        return holds, sentence

    def reversed(self) -> EndsSharper:
        return EndsSharper(sharper=self.flatter, flatter=self.sharper)


def late_share(record: RunRecord) -> float:
    """The share of its training loss a run removes over the second half of its evaluations:
    (L(middle) − L(end)) / L(middle)."""
    loss = record.train_loss
    middle = loss[(len(loss) - 1) // 2]
    return float((middle - loss[-1]) / middle)


@dataclass(frozen=True)
class StallsLate:
    """Run `stalling` lowers its training loss by a smaller share over the second half of
    training than run `other` does."""

    stalling: int
    other: int

    def check(self, result: TrainingResult, landscape: Landscape | None = None):
        slow, fast = (result.runs[i] for i in (self.stalling, self.other))
        slow_share, fast_share = late_share(slow), late_share(fast)
        holds = slow_share < fast_share and slow.diverged_at is None
        sentence = (
            f"over the second half the training loss falls by {slow_share:.0%} for "
            f"{_name(result, self.stalling)} ({slow.train_loss[(len(slow.train_loss) - 1) // 2]:.3g}"
            f" → {slow.train_loss[-1]:.3g}) and by {fast_share:.0%} for "
            f"{_name(result, self.other)} ({fast.train_loss[(len(fast.train_loss) - 1) // 2]:.3g}"
            f" → {fast.train_loss[-1]:.3g})"
        )
        return holds, sentence

    def reversed(self) -> StallsLate:
        return StallsLate(stalling=self.other, other=self.stalling)


Claim = EndsLower | EndsSharper | StallsLate


@dataclass(frozen=True)
class NetworkPreset:
    """A network link with a caption (two lines: what is run, what to look for) and the
    claim its runs are checked against."""

    name: str
    title: str
    caption: tuple[str, str]
    query: str
    claim: Claim


_HEAD = "v=1&surface=network&model=mlp&data=digits&plane=pca"

NETWORK_PRESETS: tuple[NetworkPreset, ...] = (
    NetworkPreset(
        name="batch_sharpness",
        title="Small vs large batch: how sharp is where they end?",
        caption=(
            (
                "SGD with lr 0.5 for 500 steps on the digits MLP: mini-batches of 16 vs the full "
                "training set, from the same weights."
            ),
            (
                "The full batch ends about 1.7× sharper (top Hessian eigenvalue), as the textbook "
                "says, yet here it tests no worse than the small batch."
            ),
        ),
        query=f"{_HEAD}&steps=500&batch=16&run=sgd(lr=0.5)&run=sgd(lr=0.5,batch=full)",
        claim=EndsSharper(sharper=1, flatter=0),
    ),
    NetworkPreset(
        name="momentum_vs_adam_digits",
        title="SGD + momentum vs Adam on the digits",
        caption=(
            (
                "Momentum (lr 0.1, μ 0.9) and Adam at torch's default lr 0.001, batches of 64, "
                "500 steps."
            ),
            (
                "Adam is not the faster one here: momentum ends at a training loss about ten times "
                "lower; Adam still passes 95 % test accuracy."
            ),
        ),
        query=f"{_HEAD}&steps=500&batch=64&run=momentum(lr=0.1)&run=adam(lr=0.001)",
        claim=EndsLower(better=0, worse=1, measure="train_loss", factor=3.0),
    ),
    NetworkPreset(
        name="warmup_cosine",
        title="Warmup + cosine decay vs a constant learning rate",
        caption=(
            (
                "Momentum at lr 1 (μ 0.9), batches of 64, 500 steps: constant, or 50 steps of "
                "linear warmup then cosine decay to 0."
            ),
            (
                "The constant rate keeps bouncing at a high loss; warmup + cosine settles more than "
                "ten times lower."
            ),
        ),
        query=(
            f"{_HEAD}&steps=500&batch=64&run=momentum(lr=1)"
            "&run=momentum(lr=1,schedule=cosine,warmup=50)"
        ),
        claim=EndsLower(better=1, worse=0, measure="train_loss", factor=10.0),
    ),
    NetworkPreset(
        name="adagrad_stalls_network",
        title="AdaGrad stalling on a real network",
        caption=(
            (
                "AdaGrad (lr 0.01) and RMSProp (lr 0.001), batches of 64, 1,000 steps, from the "
                "same weights."
            ),
            (
                "AdaGrad's sum of squared gradients only grows, so its steps shrink: over the "
                "second half it removes a smaller share of its loss than RMSProp."
            ),
        ),
        query=f"{_HEAD}&steps=1000&batch=64&run=adagrad(lr=0.01)&run=rmsprop(lr=0.001)",
        claim=StallsLate(stalling=0, other=1),
    ),
)

PRESETS_BY_NAME = {preset.name: preset for preset in NETWORK_PRESETS}

__all__ = [
    "NETWORK_PRESETS",
    "PRESETS_BY_NAME",
    "Claim",
    "EndsLower",
    "EndsSharper",
    "NetworkPreset",
    "StallsLate",
    "late_share",
]
