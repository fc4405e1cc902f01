"""The data sets networks train on: small, real, and on disk (nothing is downloaded).

- `digits`: the 8×8 handwritten digits scikit-learn ships (`sklearn.datasets.load_digits`),
  1,797 images of 64 pixels with values 0–16, ten classes. Vendored in `networks/data/
  digits.npz` by `scripts/vendor_digits.py` from scikit-learn's bundled copy (scikit-learn is
  BSD-3-Clause licensed); the images are the test set of the UCI "Optical Recognition of
  Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998; UCI Machine Learning Repository,
  CC BY 4.0). Pixels are scaled to [0, 1]. The split is fixed and stratified: 36 test images
  of each digit (360), the other 1,437 for training.
- `moons`: two interleaving half circles in 2D, two classes (a Playground-like case), drawn
  with NumPy from a fixed seed: 200 training and 200 test points, Gaussian noise σ = 0.2.

Arrays are float64 NumPy (inputs) and int32 (labels); training casts them to its dtype.
"""

from __future__ import annotations

import functools
import pathlib
from typing import NamedTuple

import numpy as np

DIGITS_FILE = pathlib.Path(__file__).resolve().parent / "data" / "digits.npz"
MOONS_SEED = 0
MOONS_NOISE = 0.2
MOONS_SIZE = 200  # points in each of the training and test sets


class Dataset(NamedTuple):
    """A classification data set with its fixed train/test split.

    `x_*` are (examples, features) float64, `y_*` int32 class indices; `image_side` is the
    side of a square one-channel image for image data (8 for digits), else None.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    image_side: int | None = None

    @property
    def features(self) -> int:
        return self.x_train.shape[1]


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for array in arrays:
        array.setflags(write=False)
    return arrays


@functools.cache
def digits() -> Dataset:
    """scikit-learn's 8×8 digits, pixels / 16, split 1,437 / 360 (stratified, fixed)."""
    with np.load(DIGITS_FILE) as stored:
        images, labels, test_index = stored["images"], stored["labels"], stored["test_index"]
    test = np.zeros(len(images), bool)
    test[test_index] = True
    x = images.astype(np.float64) / 16.0
    y = labels.astype(np.int32)
    arrays = _read_only(x[~test], y[~test], x[test], y[test])
    return Dataset("digits", *arrays, classes=10, image_side=8)


def two_moons(size: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`size` points on two interleaving half circles (alternating classes), plus N(0, noise²).

    Class 0 lies on the upper half of the unit circle, class 1 on the lower half circle of
    centre (1, 0.5), as in scikit-learn's `make_moons`; angles are uniform in [0, π].
    """
    labels = np.arange(size, dtype=np.int32) % 2
    angle = rng.uniform(0.0, np.pi, size)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    points = np.where(labels[:, None] == 0, upper, lower)
    return points + rng.normal(0.0, noise, (size, 2)), labels


@functools.cache
def moons() -> Dataset:
    """Two moons: 200 training and 200 test points (seed 0, noise 0.2)."""
    rng = np.random.default_rng(MOONS_SEED)
    x_train, y_train = two_moons(MOONS_SIZE, MOONS_NOISE, rng)
    x_test, y_test = two_moons(MOONS_SIZE, MOONS_NOISE, rng)
    return Dataset("moons", *_read_only(x_train, y_train, x_test, y_test), classes=2)


DATASETS = {"digits": digits, "moons": moons}


def get_dataset(name: str) -> Dataset:
    """The data set called `name` (KeyError naming the choices otherwise)."""
    try:
        return DATASETS[name]()
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}") from None
