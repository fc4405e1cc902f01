"""The network presets: every claim holds on its preset's runs and its reverse fails, every
link reads back to itself, and the captions are two lines.

Each preset is trained once (its claims need no plane); one preset's plane is laid out at
resolution 25 to check that a claim given a landscape says the same.
"""

from __future__ import annotations

import pytest

import networks as nw
from networks.link import link_query, read_link
from networks.presets import NETWORK_PRESETS, PRESETS_BY_NAME

NAMES = [preset.name for preset in NETWORK_PRESETS]


@pytest.fixture(scope="module")
def trained():
    """Each preset's training result, by name (computed when first asked for)."""
    results: dict[str, nw.TrainingResult] = {}

    def get(name: str) -> nw.TrainingResult:
        if name not in results:
            results[name] = nw.train(read_link(PRESETS_BY_NAME[name].query).training)
        return results[name]

    return get


def test_four_presets_with_unique_names_and_two_line_captions():
    assert len(NETWORK_PRESETS) == 4
    assert len(set(NAMES)) == 4
    for preset in NETWORK_PRESETS:
        assert len(preset.caption) == 2 and all(line.strip() for line in preset.caption)
        assert preset.title


@pytest.mark.parametrize("name", NAMES)
def test_each_link_reads_back(name):
    preset = PRESETS_BY_NAME[name]
    link = read_link(preset.query)
    assert link_query(link) == preset.query
    assert read_link(link_query(link)) == link


@pytest.mark.parametrize("name", NAMES)
def test_claim_holds_and_its_reverse_fails(trained, name):
    preset = PRESETS_BY_NAME[name]
    result = trained(name)
    holds, sentence = preset.claim.check(result)
    assert holds, sentence
    assert any(ch.isdigit() for ch in sentence)  # the measured numbers
    reverse_holds, reverse_sentence = preset.claim.reversed().check(result)
    assert not reverse_holds, reverse_sentence
    assert all(run.diverged_at is None for run in result.runs)


def test_a_claim_given_the_landscape_says_the_same(trained):
    preset = PRESETS_BY_NAME["momentum_vs_adam_digits"]
    result = trained(preset.name)
    view = nw.landscape(result, "pca", resolution=25)
    assert view.train.loss.shape == (25, 25)
    assert preset.claim.check(result, view) == preset.claim.check(result)


def test_what_the_captions_state_is_what_the_runs_show(trained):
    """The observations the captions put in words beside the claims."""
    batch = trained("batch_sharpness").runs
    assert batch[1].test_accuracy[-1] >= batch[0].test_accuracy[-1]  # "tests no worse"
    adam = trained("momentum_vs_adam_digits").runs[1]
    assert adam.test_accuracy[-1] >= 0.95  # "still passes 95 % test accuracy"
