"""Calling the page's callbacks as plain functions, with the `dash.ctx` Dash would set, and
reading what they return: controls by pattern id, and a strict JSON check.

    inputs = [Prop(ids.ADD_RUN, "n_clicks", 1), actions, choices]
    call(page.edit_runs, inputs, states, trigger=inputs[0])

`Prop` is one component property as the renderer sends it; a list of them is one
pattern-matching (`ALL`) input. `call` passes the values positionally (the callbacks declare
their inputs, then their states, in that order) and sets `ctx.triggered_id`, `ctx.inputs_list`
and `ctx.states_list` from the same props, so the arguments and the context always agree.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Union

import numpy as np
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict, stringify_id
from dash.development.base_component import Component
from plotly.basedatatypes import BaseFigure
from plotly.io.json import to_json_plotly


@dataclass(frozen=True)
class Prop:
    """One component property and its value, as the renderer sends it."""

    id: str | dict
    property: str
    value: Any = None

    @property
    def prop_id(self) -> str:
        return f"{stringify_id(self.id)}.{self.property}"

    def entry(self) -> dict:
        return {"id": self.id, "property": self.property, "value": self.value}

    def set(self, value: Any) -> Prop:
        return replace(self, value=value)


Arg = Union[Prop, Sequence[Prop]]


def _listed(arg: Arg) -> dict | list[dict]:
    return arg.entry() if isinstance(arg, Prop) else [p.entry() for p in arg]


def _value(arg: Arg) -> Any:
    return arg.value if isinstance(arg, Prop) else [p.value for p in arg]


def _flat(args: Sequence[Arg]) -> Iterator[Prop]:
    for arg in args:
        yield from ([arg] if isinstance(arg, Prop) else arg)


def _grouped(arg: Arg, trigger: Prop | None) -> AttributeDict | list[AttributeDict]:
    """One argument as `ctx.args_grouping` holds it (id, property, value, triggered)."""

    def entry(p: Prop) -> AttributeDict:
        triggered = trigger is not None and p.prop_id == trigger.prop_id
        return AttributeDict(
            id=p.id, id_str=stringify_id(p.id), property=p.property, value=p.value,
            triggered=triggered,
        )

    return entry(arg) if isinstance(arg, Prop) else [entry(p) for p in arg]


@contextmanager
def dash_context(
    inputs: Sequence[Arg], states: Sequence[Arg] = (), trigger: Prop | None = None,
    names: Sequence[str] = (),
):
    """`dash.ctx` as Dash's dispatcher sets it for one request (`trigger`: the changed prop;
    `names`: the callback's argument names, for `ctx.args_grouping`)."""
    values = {p.prop_id: p.value for p in _flat(inputs)}
    args = [*inputs, *states]
    token = context_value.set(
        AttributeDict(
            args_grouping=AttributeDict(
                {name: _grouped(arg, trigger) for name, arg in zip(names, args)}
            ),
            using_args_grouping=bool(names),
            inputs_list=[_listed(a) for a in inputs],
            states_list=[_listed(a) for a in states],
            outputs_list=[],
            input_values=values,
            state_values={p.prop_id: p.value for p in _flat(states)},
            triggered_inputs=[] if trigger is None else [{"prop_id": trigger.prop_id, "value": trigger.value}],
            updated_props={},
        )
    )
    try:
        yield
    finally:
        context_value.reset(token)


def call(
    callback: Callable, inputs: Sequence[Arg], states: Sequence[Arg] = (), trigger: Prop | None = None
) -> Any:
    """`callback(*input values, *state values)` inside the matching `dash_context`."""
    names = list(inspect.signature(callback).parameters)
    with dash_context(inputs, states, trigger, names):
        return callback(*(_value(a) for a in [*inputs, *states]))


# --- reading returned components ---------------------------------------------------------


def walk(tree: Any) -> Iterator[Component]:
    """Every component in `tree` (a component, a list of them, or None), depth first."""
    if isinstance(tree, (list, tuple)):
        for item in tree:
            yield from walk(item)
    elif isinstance(tree, Component):
        yield tree
        yield from walk(getattr(tree, "children", None))


def walk_plain(tree: Any) -> Iterator[dict]:
    """Every component of a plain component tree (components/plain.py), depth first."""
    if isinstance(tree, list):
        for item in tree:
            yield from walk_plain(item)
    elif isinstance(tree, dict) and {"type", "namespace", "props"} <= tree.keys():
        yield tree
        yield from walk_plain(tree["props"].get("children"))


def _read(component: Component) -> str:
    kind = component.id["type"]
    return "checked" if kind.endswith("-flag") else "n_clicks" if kind == "run-action" else "value"


def controls(tree: Any) -> dict[str, list[Prop]]:
    """The pattern-matched inputs in `tree`, grouped by id type, as the renderer would send them."""
    found: dict[str, list[Prop]] = {}
    for component in walk(tree):
        id_ = getattr(component, "id", None)
        if isinstance(id_, dict):
            prop = _read(component)
            found.setdefault(id_["type"], []).append(Prop(id_, prop, getattr(component, prop, None)))
    return found


# --- strict JSON -------------------------------------------------------------------------


def _check_finite(value: Any, path: str) -> None:
    if value is no_update or value is None or isinstance(value, (str, bool, int, np.integer, np.bool_)):
        return
    if isinstance(value, (float, np.floating)):
        assert math.isfinite(value), f"{value} at {path}"
    elif isinstance(value, np.ndarray):
        assert value.dtype.kind in "biuf", f"array of {value.dtype} at {path}"
        assert np.isfinite(value).all(), f"non-finite number in the array at {path}"
    elif isinstance(value, (Component, BaseFigure)):
        _check_finite(value.to_plotly_json(), f"{path}<{type(value).__name__}>")
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), f"key {key!r} at {path}"
            _check_finite(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_finite(item, f"{path}[{index}]")
    else:
        raise AssertionError(f"{type(value).__name__} at {path} is not JSON")


def json_safe(output: Any) -> str:
    """`output` as plotly's encoder writes it (what Dash sends), asserting that no NaN or
    Infinity is anywhere in it (the encoder would silently write those as null)."""
    _check_finite(output, "$")
    if isinstance(output, dict):
        output = {k: v for k, v in output.items() if v is not no_update}
    elif isinstance(output, (list, tuple)):
        output = [v for v in output if v is not no_update]
    return to_json_plotly(output)
