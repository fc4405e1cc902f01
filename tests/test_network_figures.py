"""The real networks' figures and captions, checked against the /api/network document's
own numbers: the plane's grid, each projected path, the animation's frames, log axes,
classroom sizes, the captions' percentages and the summary's final values.

One small computation (the moons MLP, 300 steps, a 7 × 7 grid) per plane kind.
"""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from figures.networks import (
    MAX_FRAMES,
    NETWORK_GRAPHS,
    bilinear,
    caption_lines,
    network_figures,
    run_label,
    summary_rows,
)
from figures.theme import PALETTE
from networks import document as network_document
from networks.link import read_link

QUICK = (
    "v=1&surface=network&model=mlp&data=moons&steps=300&batch=32"
    "&run=momentum(lr=0.1)&run=adam(lr=0.01)&resolution=7&seed=21"
)


@pytest.fixture(scope="module", params=["pca", "random", "endpoints"])
def document(request):
    return network_document.cached_network(read_link(f"{QUICK}&plane={request.param}"))


@pytest.fixture(scope="module")
def pca():
    return network_document.cached_network(read_link(f"{QUICK}&plane=pca"))


def _by_role(figure, role):
    return [t for t in figure["data"] if (t.get("meta") or {}).get("role") == role]


def test_every_figure_is_valid_plotly_json_without_nan(document):
    for classroom in (False, True):
        figures = network_figures(document, classroom)
        assert tuple(figures) == NETWORK_GRAPHS
        for name, figure in figures.items():
            json.dumps(figure, allow_nan=False)
            go.Figure(figure)  # rejects any property plotly does not know


def test_plane_contour_is_the_documents_loss_grid(document):
    figure = network_figures(document)["plane"]
    (contour,) = _by_role(figure, "loss")
    loss = np.array(document["plane"]["loss"])
    expected = np.log10(loss) if contour["meta"]["log"] else loss
    assert contour["meta"]["log"] == bool(loss.max() / loss.min() > 30)
    np.testing.assert_allclose(np.array(contour["z"]), expected, rtol=1e-12)
    assert contour["x"] == document["plane"]["x"] and contour["y"] == document["plane"]["y"]
    assert "training loss" in contour["colorbar"]["title"]["text"]
    layout = figure["layout"]
    assert layout["xaxis"]["range"] == [document["plane"]["x"][0], document["plane"]["x"][-1]]
    assert layout["yaxis"]["range"] == [document["plane"]["y"][0], document["plane"]["y"][-1]]
    assert layout["yaxis"]["scaleanchor"] == "x"


def test_a_wide_loss_grid_is_coloured_on_a_log_scale(pca):
    wide = copy.deepcopy(pca)
    grid = np.array(wide["plane"]["loss"])
    wide["plane"]["loss"] = (grid * np.logspace(0, 3, grid.shape[1])).tolist()
    (contour,) = _by_role(network_figures(wide)["plane"], "loss")
    assert contour["meta"]["log"]
    np.testing.assert_allclose(contour["z"], np.log10(wide["plane"]["loss"]), rtol=1e-12)
    ticks = contour["colorbar"]["tickvals"]
    assert [float(t) for t in contour["colorbar"]["ticktext"]] == [10.0**t for t in ticks]


def test_paths_are_the_projected_paths_in_the_runs_colours(document):
    figure = network_figures(document)["plane"]
    paths, starts, ends = (_by_role(figure, r) for r in ("path", "start", "end"))
    assert len(paths) == len(starts) == len(ends) == len(document["runs"])
    for i, run in enumerate(document["runs"]):
        assert paths[i]["x"] == run["x"] and paths[i]["y"] == run["y"]
        assert paths[i]["line"]["color"] == PALETTE[i]
        assert (starts[i]["x"], starts[i]["y"]) == ([run["x"][0]], [run["y"][0]])
        assert (ends[i]["x"], ends[i]["y"]) == ([run["x"][-1]], [run["y"][-1]])
        custom = paths[i]["customdata"]
        assert [c[0] for c in custom] == run["steps"]
        # hover: the training loss last evaluated at or before each step
        at_eval = {s: v for s, v in zip(run["eval_steps"], run["train_loss"])}
        for step, loss, evaluated in custom:
            assert evaluated <= step and loss == at_eval[evaluated]


def test_frames_move_each_run_to_its_final_point(pca):
    figure = network_figures(pca)["plane"]
    frames = figure["frames"]
    steps = pca["runs"][0]["steps"]
    assert 2 <= len(frames) <= MAX_FRAMES
    names = [int(f["name"]) for f in frames]
    assert names[0] == steps[0] and names[-1] == steps[-1] and names == sorted(set(names))
    heads = _by_role(figure, "head")
    head_index = [figure["data"].index(h) for h in heads]
    path_index = [figure["data"].index(p) for p in _by_role(figure, "path")]
    runs = len(pca["runs"])
    for frame in frames:
        assert frame["traces"] == path_index + head_index
        step = int(frame["name"])
        for i, run in enumerate(pca["runs"]):
            k = run["steps"].index(step)
            trail, head = frame["data"][i], frame["data"][runs + i]
            assert len(trail["x"]) == k + 1
            assert head["x"] == [run["x"][k]] and head["y"] == [run["y"][k]]
    last = frames[-1]["data"]
    for i, run in enumerate(pca["runs"]):
        assert last[runs + i]["x"] == [run["x"][-1]] and last[runs + i]["y"] == [run["y"][-1]]
        np.testing.assert_allclose(last[i]["x"], run["x"], rtol=1e-5)
    layout = figure["layout"]
    labels = [b["label"] for b in layout["updatemenus"][0]["buttons"]]
    assert any("Play" in label for label in labels) and any("Pause" in label for label in labels)
    slider = layout["sliders"][0]
    assert [s["label"] for s in slider["steps"]] == [f["name"] for f in frames]


def test_axis_titles_name_the_planes_directions(document):
    layout = network_figures(document)["plane"]["layout"]
    x_title, y_title = layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"]
    kind = document["plane"]["kind"]
    if kind == "pca":
        first, second = document["plane"]["explained_variance"]
        assert x_title == f"PC1 (explains {round(100 * first)} %)"
        assert y_title == f"PC2 (explains {round(100 * second)} %)"
    elif kind == "random":
        assert x_title.startswith("direction 1") and y_title.startswith("direction 2")
    else:
        assert "momentum (lr 0.1)" in x_title and "adam (lr 0.01)" in y_title


def test_surface3d_draws_paths_at_the_planes_loss(pca):
    figure = network_figures(pca)["surface3d"]
    (surface,) = _by_role(figure, "loss")
    xs, ys, loss = (np.array(pca["plane"][k]) for k in ("x", "y", "loss"))
    lift = np.log10 if surface["meta"]["log"] else np.asarray  # heights as the surface views
    assert surface["meta"]["log"] == (loss.max() / loss.min() > 30)  # LOG_SPAN
    np.testing.assert_allclose(surface["z"], lift(loss), rtol=1e-12)
    assert surface["customdata"] == pca["plane"]["loss"]  # the hover says the loss itself
    for i, run in enumerate(pca["runs"]):
        (path,) = [t for t in _by_role(figure, "path") if t["meta"]["run"] == i]
        assert path["x"] == run["x"]
        # at a grid node the height is the grid's value; between nodes the bilinear mean
        under = bilinear(xs, ys, loss, run["x"], run["y"])
        np.testing.assert_allclose(path["z"], lift(under), rtol=1e-9)
        z0, z1 = figure["layout"]["scene"]["zaxis"]["range"]
        assert z0 <= min(path["z"]) and max(path["z"]) <= z1
    assert bilinear(xs, ys, loss, [xs[2]], [ys[3]])[0] == pytest.approx(loss[3, 2])
    mid = bilinear(xs, ys, loss, [(xs[2] + xs[3]) / 2], [ys[4]])[0]
    assert mid == pytest.approx((loss[4, 2] + loss[4, 3]) / 2)
    note = figure["layout"]["annotations"][0]["text"]
    assert "plane's training loss" in note and "not the run's own loss" in note


def test_loss_accuracy_and_distance_curves(pca):
    figures = network_figures(pca)
    loss = figures["loss"]
    assert loss["layout"]["yaxis"]["type"] == "log"
    for i, run in enumerate(pca["runs"]):
        train = [t for t in _by_role(loss, "train_loss") if t["meta"]["run"] == i][0]
        test = [t for t in _by_role(loss, "test_loss") if t["meta"]["run"] == i][0]
        assert train["y"] == run["train_loss"] and train["x"] == run["eval_steps"]
        assert test["y"] == run["test_loss"]
        assert train["line"]["dash"] == "solid" and test["line"]["dash"] == "dash"
        assert train["line"]["color"] == test["line"]["color"] == PALETTE[i]
    accuracy = figures["accuracy"]
    assert accuracy["layout"]["yaxis"]["range"] == [0, 1]
    assert accuracy["layout"]["yaxis"]["tickformat"] == ".0%"
    test_acc = _by_role(accuracy, "test_accuracy")
    train_acc = _by_role(accuracy, "train_accuracy")
    assert [t["y"] for t in test_acc] == [r["test_accuracy"] for r in pca["runs"]]
    assert {t["line"]["dash"] for t in test_acc} == {"solid"}
    assert {t["line"]["dash"] for t in train_acc} == {"dot"}
    distance = figures["distance"]
    for trace, run in zip(_by_role(distance, "distance"), pca["runs"]):
        assert trace["y"] == run["distance"] and trace["x"] == run["steps"]
    for trace, run in zip(_by_role(distance, "along"), pca["runs"]):
        x, y = np.array(run["x"]), np.array(run["y"])
        np.testing.assert_allclose(trace["y"], np.hypot(x - x[0], y - y[0]))


def test_panels_one_contour_and_path_per_run_on_a_shared_scale(pca):
    figure = network_figures(pca)["panels"]
    contours, paths = _by_role(figure, "loss"), _by_role(figure, "path")
    assert len(contours) == len(paths) == len(pca["runs"])
    assert {c["coloraxis"] for c in contours} == {"coloraxis"}
    for i, (contour, path, run) in enumerate(zip(contours, paths, pca["runs"])):
        assert (contour["xaxis"], contour["yaxis"]) == (path["xaxis"], path["yaxis"])
        assert path["x"] == run["x"] and path["meta"]["run"] == i
    assert len({p["xaxis"] for p in paths}) == len(paths)
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["momentum (lr 0.1)", "adam (lr 0.01)"]


def test_classroom_sizes(pca):
    for name, figure in network_figures(pca, classroom=True).items():
        layout = figure["layout"]
        assert layout["font"]["size"] >= 20, name
        axes = [v for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k)]
        axes += [v for k, v in layout.get("scene", {}).items() if k.endswith("axis")]
        assert axes, name
        for axis in axes:
            assert axis["tickfont"]["size"] >= 20, name
        bars = [t["colorbar"] for t in figure["data"] if "colorbar" in t]
        bars += [layout["coloraxis"]["colorbar"]] if "coloraxis" in layout else []
        for bar in bars:
            assert bar["tickfont"]["size"] >= 20, name
    page = network_figures(pca)["loss"]["data"][0]["line"]["width"]
    assert network_figures(pca, classroom=True)["loss"]["data"][0]["line"]["width"] > page


def test_captions_from_the_numbers(document):
    lines = caption_lines(document)
    kind = document["plane"]["kind"]
    if kind == "pca":
        first, second = document["plane"]["explained_variance"]
        assert lines[0].startswith(
            f"The plane holds {round(100 * (first + second))} % of the paths' variance "
            f"(PC1 {round(100 * first)} %, PC2 {round(100 * second)} %)"
        )
        assert "a path on this plane is not a path on this surface" in lines[0]
    elif kind == "random":
        assert "Li et al." in lines[0] and "momentum (lr 0.1)" in lines[0]
    else:
        assert "initialisation" in lines[0] and "adam (lr 0.01)" in lines[0]
    farthest = max(max(run["distance"]) for run in document["runs"])
    assert f"lies {farthest:.3g} from it" in lines[1]
    xs = np.concatenate([run["x"] for run in document["runs"]])
    ys = np.concatenate([run["y"] for run in document["runs"]])
    extent = np.hypot(np.ptp(xs), np.ptp(ys))
    assert f"{farthest / extent:.2g}× the paths' extent on the plane ({extent:.3g})" in lines[1]
    assert "height is the plane's training loss" in lines[-1]


def test_summary_rows_are_the_final_values(document):
    rows = summary_rows(document)
    assert [r["label"] for r in rows] == ["momentum (lr 0.1)", "adam (lr 0.01)"]
    for i, (row, run) in enumerate(zip(rows, document["runs"])):
        assert row["color"] == PALETTE[i]
        assert row["sharpness"] == run["sharpness"]
        assert row["train_loss"] == run["train_loss"][-1]
        assert row["test_loss"] == run["test_loss"][-1]
        assert row["test_accuracy"] == run["test_accuracy"][-1]
        assert row["distance"] == run["distance"][-1]
        assert row["diverged_at"] is None


def test_a_runs_own_colour_and_missing_values():
    run = {
        "optimizer": "sgd", "params": {"lr": 0.5}, "schedule": {"name": "cosine", "warmup": 50},
        "batch_size": 1437, "color": "#123456", "final": {"train_loss": None},
        "sharpness": None, "diverged_at": 40,
    }
    assert run_label(run, 64) == "sgd (lr 0.5, cosine, warmup 50, batch 1437)"
    (row,) = summary_rows({"runs": [run], "batch_size": 64})
    assert row["color"] == "#123456"
    assert row["train_loss"] is None and row["sharpness"] is None and row["diverged_at"] == 40


def test_the_preset_menu_keeps_a_preset_only_while_the_link_computes_it():
    from dash import no_update

    from components.network_view import preset_shown
    from networks.link import read_link
    from networks.presets import NETWORK_PRESETS

    preset = NETWORK_PRESETS[0]
    same = read_link(preset.query + "&classroom=1")  # a presentation key: still the preset
    assert preset_shown(preset.name, same) is no_update
    other = read_link(preset.query.replace("steps=500", "steps=400"))
    assert preset_shown(preset.name, other) is None
    assert preset_shown(None, other) is no_update


def test_the_planes_player_sits_under_the_x_title_buttons_left_slider_right(pca):
    from figures.networks import PLAYER_GAP, plane_figure

    layout = plane_figure(pca)["layout"]
    menu, slider = layout["updatemenus"][0], layout["sliders"][0]
    assert menu["x"] == 0 and menu["xanchor"] == "left" and slider["x"] >= 0.25
    assert slider["x"] + slider["len"] <= 1
    assert slider["currentvalue"]["xanchor"] == "right"
    assert slider["pad"]["t"] >= PLAYER_GAP and layout["margin"]["b"] >= slider["pad"]["t"] + 60
