"""Formulas typed by users: grammar, errors, structure and constants, exact derivatives (against
torch.autograd), no recompilation on edited numbers, landmarks found numerically, and the
registry's surfaces as formulas."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine  # noqa: F401  (float64 and the XLA flags before JAX computes anything)
from landscapes import SURFACES
from landscapes.formula import (
    BUILTIN_FORMULAS,
    FUNCTIONS,
    MAX_CONSTANTS,
    FormulaError,
    constant_slots,
    formula_fn,
    formula_text,
    parse_formula,
)
from landscapes.minima import compile_count, formula_landmarks

POINTS = np.array([[0.3, -0.7], [-1.1, 0.45], [0.8, 1.3], [-0.25, -1.6]])
DERIVATIVE_TOL = 1e-9
BUILTIN_TOL = 1e-12
MINIMUM_TOL = 1e-9


def value(text: str, x: float, y: float) -> float:
    formula = parse_formula(text)
    fn = formula_fn(formula.structure)
    return float(fn(jnp.array([x, y]), constant_slots(formula.constants)))


# --- grammar ---------------------------------------------------------------------------------

PRECEDENCE = [
    ("-x^2", 3.0, 0.0, -9.0),  # ^ binds tighter than a unary minus
    ("(-x)^2", 3.0, 0.0, 9.0),
    ("-2^2", 0.0, 0.0, -4.0),
    ("2^3^2", 0.0, 0.0, 512.0),  # right-associative
    ("(2^3)^2", 0.0, 0.0, 64.0),
    ("2**3**2", 0.0, 0.0, 512.0),
    ("2^-1", 0.0, 0.0, 0.5),
    ("2^-x^2", 1.0, 0.0, 0.5),  # 2^(-(x^2))
    ("e^-x^2", 2.0, 0.0, math.exp(-4.0)),
    ("x - y - 1", 5.0, 2.0, 2.0),  # left-associative
    ("8/4/2", 0.0, 0.0, 1.0),
    ("2*3^2", 0.0, 0.0, 18.0),
    ("1 + 2*3", 0.0, 0.0, 7.0),
    ("(1 + 2)*3", 0.0, 0.0, 9.0),
    ("-x*y", 2.0, 3.0, -6.0),
    ("--x", 2.0, 0.0, 2.0),
    ("x*-y", 2.0, 3.0, -6.0),
    ("+x", 2.0, 0.0, 2.0),
    ("1e-3*x", 2.0, 0.0, 0.002),
    ("1E+2 + .5 + 2.", 0.0, 0.0, 102.5),
    ("pi", 0.0, 0.0, math.pi),
    ("e", 0.0, 0.0, math.e),
    ("x^2.5", 4.0, 0.0, 32.0),
    ("x^(1/2)", 9.0, 0.0, 3.0),
    ("(-2)^3", 0.0, 0.0, -8.0),
    ("x^3", -2.0, 0.0, -8.0),
    ("x^0", 0.0, 0.0, 1.0),
    ("x^-2", 2.0, 0.0, 0.25),
    ("min(x, y) + max(x, y)", 1.0, 4.0, 5.0),
    ("atan2(y, x)", -1.0, 0.0, math.pi),
    ("arctan2(1, 1)", 0.0, 0.0, math.pi / 4),
    ("ln(e^2)", 0.0, 0.0, 2.0),
    ("asin(1) + acos(1) + atan(1)", 0.0, 0.0, math.pi / 2 + math.pi / 4),
    ("softplus(0)", 0.0, 0.0, math.log(2.0)),
    ("sigmoid(0)", 0.0, 0.0, 0.5),
    ("relu(x) + relu(y)", -1.0, 2.0, 2.0),
    ("abs(x) + 2*abs(y)", -1.0, -2.0, 5.0),
    ("log1p(x) + sqrt(y)", 0.0, 4.0, 2.0),
    ("sinh(0) + cosh(0) + tanh(0) + tan(0) + sin(0) + cos(0) + exp(0) + log(1)", 0, 0, 3.0),
    ("  x\t+\ny  ", 1.0, 2.0, 3.0),
    ("3", 1.0, 2.0, 3.0),
]


@pytest.mark.parametrize(("text", "x", "y", "expected"), PRECEDENCE)
def test_grammar_and_precedence(text, x, y, expected):
    assert value(text, x, y) == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_every_function_is_callable():
    for name, function in FUNCTIONS.items():
        args = ", ".join(["0.5"] * function.arity)
        assert math.isfinite(value(f"{name}({args})", 0.0, 0.0)), name


CANONICAL = [
    ("(1-x)^2 + 100*(y-x^2)^2", "(1 - x)^2 + 100*(y - x^2)^2"),
    ("x**2", "x^2"),
    ("x*-3", "x*(-3)"),
    ("--x", "-(-x)"),
    ("-(x*y)", "-(x*y)"),
    ("(x + y) + 1", "x + y + 1"),
    ("x + (y + 1)", "x + (y + 1)"),
    ("x - (y - 1)", "x - (y - 1)"),
    ("(x/y)/2", "x/y/2"),
    ("x/(y*2)", "x/(y*2)"),
    ("e^(-x^2)", "e^-x^2"),
    ("(x^2)^3", "(x^2)^3"),
    ("1e-3 * x", "0.001*x"),
    ("2.0*x", "2*x"),
    ("ln(x) + atan2(y, x)", "log(x) + arctan2(y, x)"),
    ("(-2)^x", "(-2)^x"),
    ("x^(y + 1)", "x^(y + 1)"),
    ("-0", "-0"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_canonical_text_reads_back_as_the_same_formula(text, canonical):
    formula = parse_formula(text)
    assert formula.text == canonical
    assert parse_formula(canonical) == formula
    assert formula_text(formula.structure, formula.constants) == canonical


ERRORS = [
    ("x + z", "unknown name 'z' at column 5", 5),
    ("x^2 + z", "unknown name 'z' at column 7", 7),
    ("(x + 1", "')' expected at column 7", 7),
    ("sin(x + (y*2)", "')' expected at column 14", 14),
    ("min(x, y", "')' expected at column 9", 9),
    ("2x", "operator expected before 'x' at column 2", 2),
    ("x y", "operator expected before 'y' at column 3", 3),
    ("x +", "a number, x, y or '(' expected at column 4", 4),
    ("x + * y", "a number, x, y or '(' expected at column 5", 5),
    ("x,y", "unexpected ',' at column 2", 2),
    (")", "a number, x, y or '(' expected at column 1", 1),
    ("", "empty formula", 1),
    ("   ", "empty formula", 1),
    ("foo(x)", "unknown function 'foo' at column 1", 1),
    ("1 + sin", "function 'sin' at column 5 needs an argument", 5),
    ("x(2)", "'x' is not a function", 1),
    ("min(x)", "min takes 2 arguments, not 1", 1),
    ("sin(x, y)", "sin takes 1 argument, not 2", 1),
    ("x $ y", "unexpected character '$' at column 3", 3),
    ("1e7*x", "number '1e7' at column 1 is too large", 1),
    ("x^1000", "exponent 1000 at column 3 is too large", 3),
    ("x^(2*60)", "exponent 120 at column 4 is too large", 4),
    ("9^9^9^9", "exponent 387420489 at column 5 is too large", 5),
    ("x^x^x^x", "tower of powers too high at column 3", 3),
    ("X", "unknown name 'X' at column 1", 1),
]


@pytest.mark.parametrize(("text", "message", "column"), ERRORS)
def test_errors_name_the_problem_and_its_column(text, message, column):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert message in caught.value.message and caught.value.column == column
    assert str(caught.value) == caught.value.message


def test_limits_allow_a_long_exam_formula():
    """The longest built-in surface and a 64-number formula are within every limit."""
    parse_formula(BUILTIN_FORMULAS["goldstein_price"])
    formula = parse_formula(" + ".join(f"{i}*x" for i in range(1, MAX_CONSTANTS + 1)))
    assert len(formula.constants) == MAX_CONSTANTS
    with pytest.raises(FormulaError, match="too many numbers"):
        parse_formula(" + ".join(f"{i}*x" for i in range(1, MAX_CONSTANTS + 2)))


# --- structure and constants -----------------------------------------------------------------


def test_numbers_are_data_and_the_rest_is_structure():
    three, five = parse_formula("3*x^2 + sin(0.5*y)"), parse_formula("5*x^2 + sin(0.25*y)")
    assert three.structure == five.structure and hash(three.structure) == hash(five.structure)
    assert three.constants == (3.0, 0.5) and five.constants == (5.0, 0.25)
    # a sign written on a number is part of the number
    assert parse_formula("-3*x").structure == parse_formula("3*x").structure
    # a whole-number exponent is structure (computed by multiplication), any other is data
    assert parse_formula("x^2").structure != parse_formula("x^3").structure
    assert parse_formula("x^2.5").structure == parse_formula("x^0.5").structure
    assert parse_formula("x^2").constants == ()
    assert parse_formula("3*x + pi").constants == (3.0,)


def test_constants_are_padded_to_a_fixed_shape():
    for text in ("x", "3*x", BUILTIN_FORMULAS["goldstein_price"]):
        formula = parse_formula(text)
        slots = constant_slots(formula.constants)
        assert slots.shape == (MAX_CONSTANTS,) and slots.dtype == np.float64
        assert tuple(slots[: len(formula.constants)]) == formula.constants


def test_an_edited_number_never_recompiles():
    texts = ["3*x^2 + 1*y^2", "5*x^2 + 1*y^2", "0.001*x^2 + 7*y^2", "-2*x^2 + 1e-3*y^2"]
    formulas = [parse_formula(t) for t in texts]
    assert len({f.structure for f in formulas}) == 1
    fn = jax.jit(formula_fn(formulas[0].structure))

    @jax.jit
    def descend(constants, start):
        def step(xy, _):
            loss, grad = jax.value_and_grad(formula_fn(formulas[0].structure))(xy, constants)
            return xy - 0.01 * grad, loss

        return jax.lax.scan(step, start, None, length=100)

    values, finals = [], []
    for formula in formulas:
        slots = constant_slots(formula.constants)
        values.append(float(fn(jnp.array([1.0, 2.0]), slots)))
        finals.append(np.asarray(descend(slots, jnp.array([1.0, 1.0]))[0]))
    assert values == pytest.approx([7.0, 9.0, 28.001, -1.996], rel=1e-15)
    assert fn._cache_size() == 1 and descend._cache_size() == 1
    assert len({tuple(f) for f in finals}) == len(formulas)


def test_the_function_is_cached_per_structure_and_evaluates_grids():
    formula = parse_formula("x^2 + 3*y")
    assert formula_fn(formula.structure) is formula_fn(parse_formula("x^2 + 5*y").structure)
    xs, ys = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(0, 2, 4))
    grid = formula_fn(formula.structure)(jnp.stack([xs, ys]), constant_slots(formula.constants))
    np.testing.assert_allclose(grid, xs**2 + 3 * ys, rtol=1e-15)
    constant = parse_formula("2")
    fn = formula_fn(constant.structure)
    assert fn(jnp.stack([xs, ys]), constant_slots(constant.constants)).shape == xs.shape


@pytest.mark.parametrize("text", ["log(x)", "1/(x - x)", "sqrt(x)", "x^0.5", "log(0*x)", "0/0"])
def test_undefined_values_are_nan_or_inf_never_errors(text):
    formula = parse_formula(text)
    fn = jax.jit(jax.value_and_grad(formula_fn(formula.structure)))
    loss, grad = fn(jnp.array([-1.0, 0.5]), constant_slots(formula.constants))
    assert not (np.isfinite(loss) and np.all(np.isfinite(grad)))


# --- exact derivatives against torch.autograd ------------------------------------------------

UNARY = sorted(name for name, f in FUNCTIONS.items() if f.arity == 1)
BINARY_FUNCTIONS = sorted(name for name, f in FUNCTIONS.items() if f.arity == 2)
ALIAS_OF = {"log": "ln", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2"}

numbers = st.one_of(
    st.integers(0, 12).map(float),
    st.floats(0.01, 9.99, allow_nan=False).map(lambda v: round(v, 3)),
    st.sampled_from([1e-3, 2.5e-2, 1e2, 1e6]),
)
leaves = st.one_of(
    st.just(("x",)),
    st.just(("y",)),
    st.just(("pi",)),
    st.just(("e",)),
    numbers.map(lambda v: ("num", v)),
)


def _extend(children):
    literal_exponents = st.one_of(
        st.integers(-3, 5).map(lambda n: ("num", float(n))),
        st.sampled_from([0.5, 1.5, 2.5]).map(lambda v: ("num", v)),
    )
    # a power with a computed exponent is defined for a positive base only (elsewhere torch
    # and JAX differentiate it by different conventions: a NaN times a zero, or a zero)
    positive = st.one_of(
        st.just(("e",)),
        children.map(lambda a: ("exp", a)),
        children.map(lambda a: ("add", ("num", 1.0), ("pow", a, ("num", 2.0)))),
    )
    return st.one_of(
        st.tuples(st.sampled_from(["add", "sub", "mul", "div"]), children, children),
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("pow"), children, literal_exponents),
        st.tuples(st.just("pow"), positive, children),
        st.tuples(st.sampled_from(UNARY), children),
        st.tuples(st.sampled_from(BINARY_FUNCTIONS), children, children),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)


def render(tree, draw_style) -> str:
    """The tree as fully parenthesized formula text (operators and names spelled either way)."""
    op = tree[0]
    if op == "num":
        return repr(tree[1])
    if op in ("x", "y", "pi", "e"):
        return op
    args = [render(child, draw_style) for child in tree[1:]]
    if op == "neg":
        return f"(-{args[0]})"
    if op in ("add", "sub", "mul", "div"):
        return f"({args[0]} {'+-*/'[['add', 'sub', 'mul', 'div'].index(op)]} {args[1]})"
    if op == "pow":
        return f"({args[0]}{draw_style(st.sampled_from(['^', '**']))}({args[1]}))"
    name = draw_style(st.sampled_from([op, ALIAS_OF.get(op, op)]))
    return f"{name}({', '.join(args)})"


TORCH = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "arcsin": torch.asin,
    "arccos": torch.acos,
    "arctan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "exp": torch.exp,
    "log": torch.log,
    "log1p": torch.log1p,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "softplus": lambda a: torch.logaddexp(a, torch.zeros_like(a)),
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "arctan2": torch.atan2,
    "min": torch.minimum,
    "max": torch.maximum,
}


def torch_value(tree, xy: torch.Tensor) -> torch.Tensor:
    """The generated tree computed by torch (its own reading of the tree, not the parser's)."""
    op = tree[0]
    if op == "num":
        return torch.tensor(tree[1], dtype=torch.float64)
    if op == "x":
        return xy[0]
    if op == "y":
        return xy[1]
    if op in ("pi", "e"):
        return torch.tensor(math.pi if op == "pi" else math.e, dtype=torch.float64)
    if op == "neg":
        return -torch_value(tree[1], xy)
    if op == "pow" and tree[2][0] == "num" and float(tree[2][1]).is_integer():
        return torch_value(tree[1], xy) ** int(tree[2][1])
    args = [torch_value(child, xy) for child in tree[1:]]
    operators = {
        "add": torch.add,
        "sub": torch.sub,
        "mul": torch.mul,
        "div": torch.div,
        "pow": torch.pow,
    }
    return {**operators, **TORCH}[op](*args)


def torch_terms(tree, point: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    def fn(xy):
        return torch_value(tree, xy)

    xy = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    loss = fn(xy)
    (grad,) = torch.autograd.grad(loss, xy) if loss.requires_grad else (torch.zeros(2),)
    loss = loss.detach()
    hessian = torch.autograd.functional.hessian(fn, xy.detach())
    return float(loss), grad.numpy(), hessian.numpy()


def assert_agrees(ours: np.ndarray, reference: np.ndarray, label: str, size: float) -> None:
    """Within DERIVATIVE_TOL relative to `size` (the value's) or the largest entry, whichever
    is larger: entries come from sums of terms of about these sizes, whose rounding may
    leave a residue where the exact sum is 0. Where torch's numbers are all finite so are
    ours; where some are not (a derivative at the edge of where the formula is defined), which
    entries are NaN depends on the order of differentiation: the entries finite in both are
    compared."""
    if np.isfinite(reference).all():
        assert np.isfinite(ours).all(), (label, ours, reference)
    both = np.isfinite(reference) & np.isfinite(ours)
    if both.any():
        scale = 1.0 + max(abs(size), np.max(np.abs(reference[both])))
        assert np.max(np.abs(ours[both] - reference[both])) <= DERIVATIVE_TOL * scale, (
            label,
            ours,
            reference,
        )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, data=st.data())
def test_values_gradients_and_hessians_agree_with_torch(tree, data):
    text = render(tree, data.draw)
    try:
        formula = parse_formula(text)
    except FormulaError as error:  # only the limits may refuse a generated formula
        assert "too large" in error.message or "tower" in error.message, error.message
        return
    fn = formula_fn(formula.structure)
    slots = constant_slots(formula.constants)
    values = np.asarray(jax.vmap(fn, (0, None))(POINTS, slots))
    grads = np.asarray(jax.vmap(jax.grad(fn), (0, None))(POINTS, slots))
    hessians = np.asarray(jax.vmap(jax.hessian(fn), (0, None))(POINTS, slots))
    for i, point in enumerate(POINTS):
        loss, grad, hessian = torch_terms(tree, point)
        where = f"{text} at {tuple(point)}"
        assert np.isfinite(values[i]) == np.isfinite(loss), (where, values[i], loss)
        if not np.isfinite(loss):  # undefined here (NaN in both): no derivatives to compare
            continue
        assert_agrees(values[i : i + 1], np.array([loss]), f"value of {where}", loss)
        assert_agrees(grads[i], grad, f"gradient of {where}", loss)
        assert_agrees(hessians[i], hessian, f"Hessian of {where}", loss)
    # the canonical text (minimal parentheses) is the same formula
    assert parse_formula(formula.text) == formula


# --- landmarks found numerically -------------------------------------------------------------


def typed(name: str):
    """A registered surface typed as a formula, analysed over its domain."""
    return formula_landmarks(parse_formula(BUILTIN_FORMULAS[name]), SURFACES[name].domain)


def assert_same_points(found, expected, tol=MINIMUM_TOL):
    assert len(found) == len(expected), (found, expected)
    for point in expected:
        assert min(np.max(np.abs(np.subtract(point, p))) for p in found) <= tol, (point, found)


@pytest.mark.parametrize(
    "name", ["rosenbrock", "himmelblau", "six_hump_camel", "double_well", "styblinski_tang"]
)
def test_minima_of_formulas_are_the_registered_ones(name):
    surface = SURFACES[name]
    found = typed(name)
    params = surface.defaults()
    assert_same_points(found.minima, surface.minima(params))
    assert_same_points(found.local_minima, surface.local_minima(params))
    assert found.min_value == pytest.approx(surface.min_value, abs=1e-12)
    (x_low, x_high), (y_low, y_high) = surface.domain
    x, y = found.default_start
    assert x_low <= x <= x_high and y_low <= y <= y_high
    away = min(np.hypot(x - p[0], y - p[1]) for p in surface.minima(params))
    assert away >= 0.25 * max(x_high - x_low, y_high - y_low)


def test_four_global_minima_of_himmelblau_and_two_plus_four_of_the_camel():
    assert (len(typed("himmelblau").minima), len(typed("himmelblau").local_minima)) == (4, 0)
    camel = typed("six_hump_camel")
    assert (len(camel.minima), len(camel.local_minima)) == (2, 4)


@pytest.mark.parametrize("name", ["saddle", "monkey_saddle"])
def test_no_minimum_when_values_keep_decreasing_toward_the_edge(name):
    found = typed(name)
    assert found.min_value is None and found.minima == () and found.local_minima == ()


@pytest.mark.parametrize(
    ("name", "log_scale"),
    [
        *((name, True) for name in ("rosenbrock", "beale", "goldstein_price")),
        *(
            (name, False)
            for name in ("sphere", "canyon", "rastrigin", "ackley", "six_hump_camel", "double_well")
        ),
    ],
)
def test_log_scale_where_values_span_more_than_three_decades(name, log_scale):
    assert typed(name).log_scale is log_scale


@pytest.mark.parametrize(
    ("text", "minima", "min_value"),
    [
        ("x^4 + y^4", [(0.0, 0.0)], 0.0),  # degenerate: a zero Hessian
        ("abs(x) + 2*abs(y)", [(0.0, 0.0)], 0.0),  # a kink: no Hessian at all
        ("(x - 1)^2 + (y + 2)^2 + 3", [(1.0, -2.0)], 3.0),
        ("x + y", [], None),  # a plane: lowest in a corner
        ("-(x^2 + y^2)", [], None),
        ("(x - 5)^2 + y^2", [], None),  # the minimum lies outside the domain
        ("log(x^2 + y^2)", [], None),  # −inf at the origin
    ],
)
def test_landmarks_of_typed_surfaces(text, minima, min_value):
    found = formula_landmarks(parse_formula(text), ((-3.0, 3.0), (-3.0, 3.0)))
    assert_same_points(found.minima, minima, tol=1e-6)
    if min_value is None:
        assert found.min_value is None
    else:
        assert found.min_value == pytest.approx(min_value, abs=1e-9)


def test_undefined_everywhere_gives_landmarks_without_errors():
    found = formula_landmarks(parse_formula("log(-1 - x^2)"), ((-3.0, 3.0), (-3.0, 3.0)))
    assert found.minima == () and found.min_value is None and found.default_start == (0.0, 0.0)


def test_an_edited_number_reuses_the_compiled_search():
    domain = ((-3.0, 3.0), (-3.0, 3.0))
    formula_landmarks(parse_formula("(x - 1)^2 + 2*(y - 0.5)^2"), domain)
    before = compile_count()
    found = formula_landmarks(parse_formula("(x - 3)^2 + 7*(y - 1.5)^2"), ((-4.0, 4.0), (-1, 3)))
    assert compile_count() == before
    assert_same_points(found.minima, [(3.0, 1.5)])


# --- the registry's surfaces as formulas -----------------------------------------------------


def test_every_registered_surface_has_a_formula():
    assert set(BUILTIN_FORMULAS) == set(SURFACES)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_builtin_formulas_equal_the_registered_surfaces(name):
    surface = SURFACES[name]
    formula = parse_formula(BUILTIN_FORMULAS[name])
    assert parse_formula(formula.text) == formula
    fn, slots = formula_fn(formula.structure), constant_slots(formula.constants)
    params = {k: np.float64(v) for k, v in surface.defaults().items()}
    (x_low, x_high), (y_low, y_high) = surface.domain
    rng = np.random.default_rng(13)
    points = np.stack([rng.uniform(x_low, x_high, 64), rng.uniform(y_low, y_high, 64)], 1)
    for derivative in (lambda f: f, jax.grad, jax.hessian):
        ours = np.asarray(jax.jit(jax.vmap(derivative(fn), (0, None)))(points, slots))
        theirs = np.asarray(jax.jit(jax.vmap(derivative(surface.fn), (0, None)))(points, params))
        scale = 1.0 + np.abs(theirs).reshape(len(points), -1).max(axis=1)
        error = np.abs(ours - theirs).reshape(len(points), -1).max(axis=1)
        assert np.all(error <= BUILTIN_TOL * scale), (name, error.max())
