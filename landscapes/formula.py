"""Surfaces typed as formulas: `f(x, y)` text parsed into data and a pure JAX function.

The text is parsed by lark's LALR parser against the grammar below, never evaluated as Python.
The result is a `Formula`: a hashable `structure` (the tree, each number replaced by the index
of its slot), the `constants` in those slots, and a canonical `text`. `formula_fn(structure)`
turns a structure into `f(xy, constants)`; compiled code takes the constants as an array of
MAX_CONSTANTS slots, so editing `3*x^2` into `5*x^2` changes data only and never recompiles.

Grammar (usual precedence; `^` binds tighter than a unary minus, so `-x^2` is −(x²), and is
right-associative, so `2^3^2` is 2⁹):

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom (("^" | "**") unary)?
    atom    := number | name | name "(" sum ("," sum)* ")" | "(" sum ")"

Numbers are decimal (`2`, `0.5`, `.5`, `1e-3`); names are the variables `x` and `y`, the
constants `pi` and `e`, and the FUNCTIONS below. A whole-number exponent written as a literal
(`x^2`, `x^-1`) is part of the structure: computed by multiplication, exact for negative bases
and as fast as a built-in surface; editing it recompiles. Every other number is data.

Limits, checked before anything is computed (each error names its 1-based column): MAX_LENGTH
characters, ASCII only (look-alikes such as a Cyrillic `х` are named), MAX_DEPTH levels of
nesting, MAX_NODES operations, MAX_CONSTANTS numbers of size at most MAX_CONSTANT, towers of
at most MAX_TOWER powers (`a^b^c`), and exponents made of numbers only of size at most
MAX_EXPONENT (so `9^9^9` is refused, not computed). Where a formula is undefined (log of a
negative number, 1/0) its value is NaN or ±inf, which the engine reports as divergence.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

MAX_LENGTH = 500  # characters
MAX_DEPTH = 100  # nested operations or parentheses (a sum of n terms nests n deep)
MAX_NODES = 300  # operations, names and numbers
MAX_CONSTANTS = 64  # numbers in one formula: the size of the constants array
MAX_CONSTANT = 1e6  # largest number that may be written
MAX_EXPONENT = 100  # largest size of an exponent made of numbers only
MAX_TOWER = 2  # powers stacked in exponents: a^b^c

Node = tuple  # ("x",), ("const", slot), ("ipow", node, n), (operation, *nodes)


class FormulaError(ValueError):
    """A formula that cannot be used: `message` says why and where, `column` is 1-based."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.message = message
        self.column = column


class Formula(NamedTuple):
    """A parsed formula: what compiles (`structure`), its numbers, and its canonical text."""

    text: str
    structure: Node
    constants: tuple[float, ...]


class Function(NamedTuple):
    """A function a formula may call: its arity, its JAX implementation and what it is."""

    arity: int
    fn: Callable
    description: str


FUNCTIONS: dict[str, Function] = {
    "sin": Function(1, jnp.sin, "sine"),
    "cos": Function(1, jnp.cos, "cosine"),
    "tan": Function(1, jnp.tan, "tangent"),
    "arcsin": Function(1, jnp.arcsin, "inverse sine"),
    "arccos": Function(1, jnp.arccos, "inverse cosine"),
    "arctan": Function(1, jnp.arctan, "inverse tangent"),
    "arctan2": Function(2, jnp.arctan2, "arctan2(a, b): the angle of the point (b, a)"),
    "sinh": Function(1, jnp.sinh, "hyperbolic sine"),
    "cosh": Function(1, jnp.cosh, "hyperbolic cosine"),
    "tanh": Function(1, jnp.tanh, "hyperbolic tangent"),
    "exp": Function(1, jnp.exp, "exponential"),
    "log": Function(1, jnp.log, "natural logarithm"),
    "log1p": Function(1, jnp.log1p, "log(1 + a), accurate for small a"),
    "sqrt": Function(1, jnp.sqrt, "square root"),
    "abs": Function(1, jnp.abs, "absolute value"),
    "softplus": Function(1, jax.nn.softplus, "log(1 + exp(a))"),
    "sigmoid": Function(1, jax.nn.sigmoid, "1 / (1 + exp(-a))"),
    "relu": Function(1, jax.nn.relu, "max(a, 0)"),
    "min": Function(2, jnp.minimum, "the smaller of two values"),
    "max": Function(2, jnp.maximum, "the larger of two values"),
}
ALIASES = {"ln": "log", "asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2"}
VARIABLES = ("x", "y")
NAMED_CONSTANTS = {"pi": math.pi, "e": math.e}

_BINARY = {
    "add": (jnp.add, " + ", 1),
    "sub": (jnp.subtract, " - ", 1),
    "mul": (jnp.multiply, "*", 2),
    "div": (jnp.divide, "/", 2),
}

_GRAMMAR = r"""
?start: sum
?sum: product
    | sum _PLUS product -> add
    | sum _MINUS product -> sub
?product: unary
    | product _STAR unary -> mul
    | product _SLASH unary -> div
?unary: power
    | _MINUS unary -> neg
    | _PLUS unary
?power: atom
    | atom _POW unary -> pow
?atom: NUMBER -> number
    | NAME -> name
    | NAME _LPAR sum (_COMMA sum)* _RPAR -> call
    | _LPAR sum _RPAR

NUMBER: /(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
_POW.2: "^" | "**"
_PLUS: "+"
_MINUS: "-"
_STAR: "*"
_SLASH: "/"
_LPAR: "("
_RPAR: ")"
_COMMA: ","
%ignore /[ \t\r\n]+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True)

_WHITESPACE = " \t\r\n"
_LOOKALIKES = {
    "\u0445": "x",  # Cyrillic ha
    "\u0425": "x",
    "\u0443": "y",  # Cyrillic u
    "\u0435": "e",  # Cyrillic ie
    "\u0430": "a",
    "\u043e": "o",
    "\u0440": "p",
    "\u0441": "c",
    "\u03c0": "pi",
    "\u2212": "-",  # minus sign
    "\u2013": "-",
    "\u00d7": "*",
    "\u00b7": "*",
    "\u22c5": "*",
    "\u2217": "*",
    "\u00f7": "/",
    "\u00b2": "^2",
    "\u00b3": "^3",
}
_OPERANDS = {"NUMBER", "NAME", "_LPAR"}  # what may start an operand (besides a sign)
_OPERATORS = {"_PLUS", "_MINUS", "_STAR", "_SLASH", "_POW"}


def parse_formula(text: str) -> Formula:
    """The formula `text` parsed and checked, or FormulaError naming the first problem."""
    _check_characters(text)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    builder = _Builder()
    structure, _value, _tower = builder.build(tree, 1)
    formula = Formula("", structure, tuple(builder.constants))
    return formula._replace(text=formula_text(formula.structure, formula.constants))


def constant_slots(constants: tuple[float, ...]) -> np.ndarray:
    """A formula's constants in the fixed-size float64 array compiled code takes."""
    slots = np.zeros(MAX_CONSTANTS, np.float64)
    slots[: len(constants)] = constants
    return slots


@functools.lru_cache(maxsize=512)
def formula_fn(structure: Node) -> Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]:
    """The pure function `f(xy, constants)` of a structure (one per structure).

    `xy[0]`, `xy[1]` are x and y (scalars or arrays of one shape: the value has their shape);
    `constants` is `constant_slots(...)`, or any array indexed by the structure's slots.
    """

    def fn(xy, constants):
        x, y = xy[0], xy[1]
        return jnp.broadcast_to(_evaluate(structure, x, y, constants), jnp.shape(x))

    return fn


def formula_text(structure: Node, constants: tuple[float, ...]) -> str:
    """The canonical text of a formula: minimal parentheses, `^` for powers, spaces around
    `+` and `-`. Parsing it gives the same structure and constants."""
    return _text(structure, constants)[0]


# --- evaluation -------------------------------------------------------------------------------


def _evaluate(node: Node, x, y, constants):
    """The value of `node` (traced: called once per structure when a function is jitted)."""
    op = node[0]
    if op == "x":
        return x
    if op == "y":
        return y
    if op in NAMED_CONSTANTS:
        return NAMED_CONSTANTS[op]
    if op == "const":
        return constants[node[1]]
    if op == "neg":
        return -_evaluate(node[1], x, y, constants)
    if op == "ipow":
        return jax.lax.integer_pow(_evaluate(node[1], x, y, constants), node[2])
    args = [_evaluate(child, x, y, constants) for child in node[1:]]
    if op == "pow":
        return jnp.power(*args)
    if op in _BINARY:
        return _BINARY[op][0](*args)
    return FUNCTIONS[op].fn(*args)


# --- checks before parsing --------------------------------------------------------------------


def _check_characters(text: str) -> None:
    """Length, characters and parenthesis depth: all checked in one bounded pass."""
    if not isinstance(text, str):
        raise FormulaError("a formula must be text", 1)
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"formula too long: {len(text)} characters (at most {MAX_LENGTH})", MAX_LENGTH + 1
        )
    if not text.strip(_WHITESPACE):
        raise FormulaError("empty formula: type f(x, y), e.g. x^2 + 3*y^2", 1)
    depth = 0
    for index, char in enumerate(text):
        column = index + 1
        if ord(char) > 127:
            raise FormulaError(_foreign(char, column), column)
        if not (char.isprintable() or char in _WHITESPACE):
            raise FormulaError(f"control character U+{ord(char):04X} at column {column}", column)
        depth += (char == "(") - (char == ")")
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"nested too deeply at column {column} (at most {MAX_DEPTH} levels)", column
            )


def _foreign(char: str, column: int) -> str:
    """What to say about a non-ASCII character, with the ASCII it probably stands for."""
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    meant = _LOOKALIKES.get(char)
    if meant is None:
        folded = unicodedata.normalize("NFKC", char)
        meant = folded if folded.isascii() and folded.isprintable() and folded != char else None
    hint = f": did you mean {meant!r}?" if meant else ": formulas are plain ASCII"
    return f"non-ASCII character {char!r} ({name}) at column {column}{hint}"


def _syntax_error(text: str, error: UnexpectedInput) -> FormulaError:
    """lark's parse error as a sentence naming the column."""
    if isinstance(error, UnexpectedCharacters):
        column = error.pos_in_stream + 1
        char = text[error.pos_in_stream]
        return FormulaError(f"unexpected character {char!r} at column {column}", column)
    if not isinstance(error, UnexpectedToken):
        column = (getattr(error, "pos_in_stream", None) or 0) + 1
        return FormulaError(f"syntax error at column {column}", column)
    token, expected = error.token, set(error.expected)
    at_end = token.type == "$END"
    column = len(text.rstrip(_WHITESPACE)) + 1 if at_end else token.start_pos + 1
    found = "the end" if at_end else repr(token.value)
    if token.type in _OPERANDS and expected & _OPERATORS:
        return FormulaError(
            f"operator expected before {found} at column {column} "
            f"(a product is written with *, as in 2*x)",
            column,
        )
    if "_RPAR" in expected:
        return FormulaError(f"')' expected at column {column}", column)
    if expected & _OPERANDS:
        return FormulaError(
            f"a number, x, y or '(' expected at column {column}, not {found}", column
        )
    return FormulaError(f"unexpected {found} at column {column}", column)


# --- the tree as data -------------------------------------------------------------------------


class _Builder:
    """Turns lark's tree into a structure, collecting constants and checking the limits."""

    def __init__(self) -> None:
        self.constants: list[float] = []
        self.nodes = 0

    def build(self, tree: Tree, depth: int) -> tuple[Node, float | None, int]:
        """(structure, its value when made of numbers only, the height of its power tower)."""
        column = _column(tree)
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"nested too deeply at column {column} (at most {MAX_DEPTH} levels)", column
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormulaError(
                f"formula too large at column {column} (at most {MAX_NODES} operations)", column
            )
        kind = tree.data
        if kind == "number":
            value = _number(tree.children[0])
            return self._constant(value, column), value, 0
        if kind == "name":
            return _name(tree.children[0])
        if kind == "call":
            return self._call(tree, depth)
        if kind == "neg":
            (child,) = tree.children
            if child.data == "number":  # a negative number is one constant: its sign is data
                value = -_number(child.children[0])
                return self._constant(value, column), value, 0
            node, value, tower = self.build(child, depth + 1)
            return ("neg", node), None if value is None else -value, tower
        if kind == "pow":
            return self._power(tree, depth)
        (left, lv, lt), (right, rv, rt) = (self.build(c, depth + 1) for c in tree.children)
        return (kind, left, right), _fold(kind, lv, rv), max(lt, rt)

    def _constant(self, value: float, column: int) -> Node:
        if len(self.constants) >= MAX_CONSTANTS:
            raise FormulaError(
                f"too many numbers: the one at column {column} is number "
                f"{MAX_CONSTANTS + 1} (at most {MAX_CONSTANTS})",
                column,
            )
        self.constants.append(value)
        return ("const", len(self.constants) - 1)

    def _call(self, tree: Tree, depth: int) -> tuple[Node, None, int]:
        name, *args = tree.children
        column = name.start_pos + 1
        canonical = ALIASES.get(str(name), str(name))
        if canonical not in FUNCTIONS:
            if name in VARIABLES or name in NAMED_CONSTANTS:
                raise FormulaError(
                    f"{str(name)!r} is not a function (at column {column}): "
                    f"write a product as {name}*(...)",
                    column,
                )
            raise FormulaError(f"unknown function {str(name)!r} at column {column}", column)
        arity = FUNCTIONS[canonical].arity
        if len(args) != arity:
            raise FormulaError(
                f"{name} takes {arity} argument{'s' * (arity > 1)}, not {len(args)} "
                f"(at column {column})",
                column,
            )
        built = [self.build(arg, depth + 1) for arg in args]
        return (canonical, *(node for node, _, _ in built)), None, max(t for _, _, t in built)

    def _power(self, tree: Tree, depth: int) -> tuple[Node, float | None, int]:
        base_tree, exponent_tree = tree.children
        base, base_value, base_tower = self.build(base_tree, depth + 1)
        whole = _literal_integer(exponent_tree)
        if whole is not None and abs(whole) <= MAX_EXPONENT:
            value = _fold("pow", base_value, float(whole))
            return ("ipow", base, whole), value, max(base_tower, 1)
        exponent, exponent_value, exponent_tower = self.build(exponent_tree, depth + 1)
        column = _column(exponent_tree)
        if exponent_value is not None and not abs(exponent_value) <= MAX_EXPONENT:
            raise FormulaError(
                f"exponent {_number_text(exponent_value)} at column {column} is too large "
                f"(at most {MAX_EXPONENT} in size)",
                column,
            )
        tower = max(base_tower, exponent_tower + 1)
        if tower > MAX_TOWER:
            raise FormulaError(
                f"tower of powers too high at column {column} "
                f"(at most {MAX_TOWER} powers stacked, as in a^b^c)",
                column,
            )
        return ("pow", base, exponent), _fold("pow", base_value, exponent_value), tower


def _column(tree: Tree | Token) -> int:
    """The 1-based column where a subtree starts."""
    if isinstance(tree, Token):
        return tree.start_pos + 1
    return tree.meta.start_pos + 1


def _number(token: Token) -> float:
    """A numeric literal's value, refused when larger than MAX_CONSTANT."""
    value = float(token)
    if not value <= MAX_CONSTANT:
        column = token.start_pos + 1
        raise FormulaError(
            f"number {str(token)!r} at column {column} is too large (at most {MAX_CONSTANT:,.0f})",
            column,
        )
    return value


def _name(token: Token) -> tuple[Node, float | None, int]:
    """A variable or a named constant (as a node, its value, no tower)."""
    name, column = str(token), token.start_pos + 1
    if name in VARIABLES:
        return (name,), None, 0
    if name in NAMED_CONSTANTS:
        return (name,), NAMED_CONSTANTS[name], 0
    if name in FUNCTIONS or name in ALIASES:
        raise FormulaError(
            f"function {name!r} at column {column} needs an argument, as in {name}(x)", column
        )
    raise FormulaError(
        f"unknown name {name!r} at column {column} (the variables are x and y)", column
    )


def _literal_integer(tree: Tree) -> int | None:
    """The value of an exponent written as a whole number (`2`, `-1`, `2.0`), else None."""
    sign = 1
    while tree.data == "neg":
        sign, tree = -sign, tree.children[0]
    if tree.data != "number":
        return None
    value = float(tree.children[0])
    return sign * int(value) if math.isfinite(value) and value.is_integer() else None


def _fold(kind: str, left: float | None, right: float | None) -> float | None:
    """The value of an operation on numbers only, in Python floats (None if not all numbers,
    or undefined). Exponents are checked before they are folded, so this is bounded."""
    if left is None or right is None:
        return None
    try:
        if kind == "add":
            return left + right
        if kind == "sub":
            return left - right
        if kind == "mul":
            return left * right
        if kind == "div":
            return left / right
        return math.pow(left, right)
    except OverflowError:
        return math.inf
    except (ZeroDivisionError, ValueError):
        return None


# --- canonical text ---------------------------------------------------------------------------

_ATOM, _POWER, _UNARY = 5, 4, 3


def _text(node: Node, constants: tuple[float, ...]) -> tuple[str, int]:
    """(text, precedence) of a node: 1 sums, 2 products, 3 negations, 4 powers, 5 atoms."""
    op = node[0]
    if op in VARIABLES or op in NAMED_CONSTANTS:
        return op, _ATOM
    if op == "const":
        value = constants[node[1]]
        return _number_text(value), _UNARY if math.copysign(1.0, value) < 0 else _ATOM
    if op == "neg":
        return "-" + _wrapped(node[1], constants, _POWER), _UNARY
    if op in ("pow", "ipow"):
        base = _wrapped(node[1], constants, _ATOM)
        if op == "ipow":
            return f"{base}^{node[2]}", _POWER
        return f"{base}^{_wrapped(node[2], constants, _UNARY)}", _POWER
    if op in _BINARY:
        _fn, symbol, level = _BINARY[op]
        left = _wrapped(node[1], constants, level)
        right, right_level = _text(node[2], constants)
        if right_level <= level or right_level == _UNARY:  # as written, (a - b) - c; x*(-y)
            right = f"({right})"
        return f"{left}{symbol}{right}", level
    return f"{op}({', '.join(_text(arg, constants)[0] for arg in node[1:])})", _ATOM


def _wrapped(node: Node, constants: tuple[float, ...], least: int) -> str:
    """A node's text, in parentheses when it binds less tightly than `least`."""
    text, level = _text(node, constants)
    return text if level >= least else f"({text})"


def _number_text(value: float) -> str:
    """The shortest text that reads back as exactly `value`."""
    if not math.isfinite(value):
        return repr(value)
    if value.is_integer() and abs(value) < 1e16:
        return ("-" if math.copysign(1.0, value) < 0 and value == 0 else "") + str(int(value))
    return repr(value)


# --- the built-in surfaces --------------------------------------------------------------------

BUILTIN_FORMULAS: dict[str, str] = {
    "sphere": "x^2 + y^2",
    "canyon": "0.5*(x^2 + 20*y^2)",
    "saddle": "x^2 - y^2",
    "rosenbrock": "(1 - x)^2 + 100*(y - x^2)^2",
    "monkey_saddle": "x^3 - 3*x*y^2",
    "beale": "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
    "himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "rastrigin": "(x^2 - 10*cos(2*pi*x)) + (y^2 - 10*cos(2*pi*y)) + 20",
    "ackley": "-20*exp(-0.2*sqrt((x^2 + y^2)/2)) - exp((cos(2*pi*x) + cos(2*pi*y))/2) + 20 + e",
    "booth": "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
    "goldstein_price": (
        "(1 + (x + y + 1)^2*(19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2))"
        "*(30 + (2*x - 3*y)^2*(18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))"
    ),
    "six_hump_camel": "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
    "styblinski_tang": "0.5*((x^4 - 16*x^2 + 5*x) + (y^4 - 16*y^2 + 5*y))",
    "double_well": "(x + 1)^2*((x - 1)^2 + 0.2) + y^2",
}
"""Every registered surface at its default parameters, in the formula syntax (the text a user
starts from to edit a built-in surface as their own)."""
