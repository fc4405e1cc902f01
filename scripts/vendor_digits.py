"""Write `networks/data/digits.npz`: scikit-learn's 8×8 handwritten digits and their split.

    python scripts/vendor_digits.py     # needs scikit-learn (the `test` extra)

The file holds the 1,797 images as uint8 pixels 0–16 (`images`, 1,797 × 64, in
`sklearn.datasets.load_digits` order), their labels (`labels`, uint8) and a fixed, stratified
train/test split (`test_index`: 36 images of each digit, 360 in all, drawn with NumPy's PCG64
from seed 0; the other 1,437 are the training set). Stored so that Optiscape reads the data
without scikit-learn and without any download; `tests/test_networks.py` checks that it equals
`load_digits()`. Source and licence: see `networks/datasets.py`.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

TEST_PER_CLASS = 36
SPLIT_SEED = 0
TARGET = pathlib.Path(__file__).resolve().parent.parent / "networks" / "data" / "digits.npz"


def stratified_test_index(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Sorted indices of `per_class` images of every class, drawn without replacement."""
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in np.unique(labels)
    ]
    return np.sort(np.concatenate(chosen))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=TARGET)
    args = parser.parse_args(argv)
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.data.astype(np.uint8)
    if not np.array_equal(images, digits.data):
        raise SystemExit("load_digits returned pixels that are not whole numbers")
    labels = digits.target.astype(np.uint8)
    test_index = stratified_test_index(labels, TEST_PER_CLASS, SPLIT_SEED).astype(np.uint16)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=labels, test_index=test_index)
    print(f"{args.out}: {len(images)} images, {len(test_index)} for testing")


if __name__ == "__main__":
    main()
