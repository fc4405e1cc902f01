"""Real networks trained by every optimizer of the registry, and their loss landscapes.

    result = train(Training(runs=(Run("sgd", {"lr": 0.1}), Run("adam", {"lr": 1e-3}))))
    view = landscape(result, "pca")          # plane, projected paths, loss grid
    sharp = sharpness(result)                # top Hessian eigenvalue at each run's end

Data (`datasets`), models (`models`), configuration and caps (`config`), training
(`training`), metrics over whole data sets (`metrics`), planes (`planes`) and sharpness
(`sharpness`) are one module each. Importing the package imports `engine` first, which sets
XLA's flags and float64 before JAX runs anything.
"""

import engine  # noqa: F401  (XLA flags and float64 before any array exists)
from networks.config import Training, validate
from networks.datasets import DATASETS, Dataset, get_dataset
from networks.models import MODELS, Model, get_model
from networks.planes import (
    PLANES,
    Grid,
    Landscape,
    Plane,
    Projection,
    grid,
    landscape,
    make_plane,
    plane_values,
    project,
)
from networks.sharpness import sharpness, top_eigenvalues
from networks.training import RunRecord, TrainingResult, batch_order, compile_count, train

__all__ = [
    "DATASETS",
    "MODELS",
    "PLANES",
    "Dataset",
    "Grid",
    "Landscape",
    "Model",
    "Plane",
    "Projection",
    "RunRecord",
    "Training",
    "TrainingResult",
    "batch_order",
    "compile_count",
    "get_dataset",
    "get_model",
    "grid",
    "landscape",
    "make_plane",
    "plane_values",
    "project",
    "sharpness",
    "top_eigenvalues",
    "train",
    "validate",
]
