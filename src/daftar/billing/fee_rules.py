"""Fee rules: one tariff line kept as data (``kind`` + ``definition``), turned into whole rials.

Municipal tariffs change every fiscal year and are written by finance staff, not programmers,
so a rule is plain data from a tariff file, checked by :func:`fee_rule_problems` when the file
is loaded so that a broken rule is refused before any case is charged. Evaluation is pure (no
database): all a rule may look at is the *context* mapping, reached by dotted paths such as
``"data.area_m2"`` or ``"property.zone"``.

Arithmetic is exact: every number becomes a :class:`~decimal.Decimal` (a float is read from its
text, so ``1.1`` is exactly eleven tenths), and the result is rounded half-up to whole rials and
then to ``round_to``. Formulas run in simpleeval, narrowed further by an AST whitelist: numbers,
arithmetic, comparisons, ``and/or/not``, ``x if c else y``, dotted context names and the functions
in :data:`FUNCTIONS`; text only inside comparisons; powers only to a small literal exponent.
"""

from __future__ import annotations

import ast
import copy
import decimal
import functools
import json
import operator
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final

from django.utils.translation import gettext_lazy as _
from simpleeval import InvalidExpression, SimpleEval

from daftar.core.errors import InvalidValue
from daftar.core.money import MAX_RIALS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RULE_KINDS: Final = ("fixed", "per_unit", "table", "formula")
MAX_EXPONENT: Final = 10  # ``x ** 2`` for a square, never a number that eats the server
MAX_EXPRESSION: Final = 1000  # characters; also keeps simpleeval's recursion shallow

_AMOUNT_KEYS: Final = ("amount", "rate", "minimum", "maximum", "default", "round_to")
_KEYS: Final[dict[str, tuple[set[str], set[str]]]] = {  # kind -> (required keys, optional keys)
    "fixed": ({"amount"}, set()),
    "per_unit": ({"quantity", "rate"}, {"minimum", "maximum", "free_units", "round_to", "defaults"}),
    "table": ({"rows"}, {"default", "round_to", "defaults"}),
    "formula": ({"expression"}, {"minimum", "maximum", "round_to", "defaults"}),
}
_PATH: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
# Ample precision for rials; a small exponent range so a runaway formula overflows at once.
_DECIMAL: Final = decimal.Context(
    prec=40, rounding=ROUND_HALF_UP, Emax=60, Emin=-60,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)  # fmt: skip
_NODES: Final = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name,
    ast.Attribute, ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
    ast.Pow, ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt,
    ast.GtE,
)  # fmt: skip


def _error(code: str, message: StrOrPromise, rule_code: str, **params: object) -> InvalidValue:
    return InvalidValue(code, message, {"rule": rule_code or "-", **params})


def context_value(context: Mapping[str, Any], path: str, *, rule_code: str = "") -> Any:
    """The value at a dotted ``path``; a missing, ``None`` or blank value is an error, never 0.

    Charging a case as if an unanswered intake question were zero would under-bill silently,
    so the clerk is told which value (and which rule) needs it instead.
    """
    value: Any = context
    for key in path.split("."):
        if not isinstance(value, Mapping) or value.get(key) is None or value.get(key) == "":
            raise _missing(path, rule_code)
        value = value[key]
    return value


def _missing(path: str, rule_code: str) -> InvalidValue:
    message = _("Fee rule %(rule)s needs the value %(path)s, which this case does not have.")
    return _error("fee.input_missing", message, rule_code, path=path)


Lookup = Callable[[Mapping[str, Any]], Any]


def _path_compile(path: str, rule_code: str) -> Lookup:
    """:func:`context_value` for one path, split once."""
    keys = tuple(path.split("."))

    def lookup(context: Mapping[str, Any]) -> Any:
        value: Any = context
        for key in keys:
            if not isinstance(value, Mapping) or (found := value.get(key)) is None or found == "":
                raise _missing(path, rule_code)
            value = value[key]
        return value

    return lookup


def _quantity_compile(path: str, rule_code: str) -> Callable[[Mapping[str, Any]], Decimal]:
    """:func:`_quantity` for one path."""
    lookup = _path_compile(path, rule_code)

    def quantity(context: Mapping[str, Any]) -> Decimal:
        value = lookup(context)
        if (number := _number_or_none(value)) is None:
            message = _("Fee rule %(rule)s needs a number for %(path)s, not %(value)s.")
            raise _error("fee.input_not_number", message, rule_code, path=path, value=str(value))
        return number

    return quantity


def fee_rule_problems(*, kind: str, definition: Mapping[str, Any]) -> list[str]:
    """Every problem in a rule definition, as English text naming the key; empty when valid.

    Run when tariff files are loaded, so all mistakes of a file are shown together and a broken
    rule never reaches a case. Formulas are parsed and their syntax tree checked, never run.
    """
    if kind not in RULE_KINDS:
        return [f"kind: unknown kind {kind!r}; expected one of {', '.join(RULE_KINDS)}"]
    if not isinstance(definition, Mapping):
        return ["definition: must be a mapping"]
    required, optional = _KEYS[kind]
    problems = [f"{key}: required" for key in sorted(required - set(definition), key=str)]
    problems += [f"{key}: unknown key" for key in sorted(set(definition) - required - optional, key=str)]
    for key in _AMOUNT_KEYS:
        if key in definition and key in required | optional:
            problems += _amount_problems(key, definition[key], least=1 if key == "round_to" else 0)
    low, high = definition.get("minimum"), definition.get("maximum")
    if type(low) is int and type(high) is int and low > high:
        problems.append("minimum: must not be above maximum")
    if kind == "per_unit" and "quantity" in definition:
        problems += _path_problems("quantity", definition["quantity"])
    if kind == "per_unit" and "free_units" in definition:
        free = definition["free_units"]
        if isinstance(free, bool | float) or (number := _number_or_none(free)) is None or number < 0:
            problems.append("free_units: must be a number of at least 0 (an int or a decimal string)")
    if "defaults" in definition:
        problems += _defaults_problems(definition["defaults"])
    if kind == "table" and "rows" in definition:
        problems += _rows_problems(definition["rows"])
    if kind == "formula" and "expression" in definition:
        problems += [f"expression: {problem}" for problem in _expression_problems(definition["expression"])]
    return problems


def fee_rule_evaluate(
    *, kind: str, definition: Mapping[str, Any], context: Mapping[str, Any], rule_code: str = ""
) -> int:
    """The fee in whole rials (>= 0) that one rule charges for the case described by ``context``.

    The definition is checked again here, so a rule that skipped loading still cannot run code.
    Compiled once per distinct rule (an LRU cache keyed on the definition's content, so a rule
    edited in place is compiled again), then run as plain closures: see :func:`fee_rule_compile`.
    """
    return _compiled(kind=kind, definition=definition, rule_code=rule_code)(context)


Evaluator = Callable[[Mapping[str, Any]], int]
COMPILED_CACHE_SIZE: Final = 1024
# Formulas nested deeper than this run in simpleeval (the reference) instead of closures, so that
# where the reference runs out of stack (it uses more frames per level) the result is the same.
MAX_COMPILED_DEPTH: Final = 40


def fee_rule_compile(*, kind: str, definition: Mapping[str, Any], rule_code: str = "") -> Evaluator:
    """The rule turned once into a function ``context -> rials``, for evaluating it many times.

    Gives exactly what :func:`fee_rule_evaluate` gives (same Decimal arithmetic in the same
    order, same rounding, same errors), minus the per-call cost of checking the definition and
    walking the formula's syntax tree: checked here once, table rows and bands are read into
    Python values once, and a formula's whitelisted syntax tree becomes nested closures over
    Decimal. An invalid rule compiles to a function that raises ``fee.invalid_rule`` on every call
    (as evaluating it always did), so a run that bills many records reports each one.
    """
    if problems := fee_rule_problems(kind=kind, definition=definition):
        listed = "; ".join(problems)

        def invalid(context: Mapping[str, Any]) -> int:
            message = _("Fee rule %(rule)s is invalid: %(problems)s")
            raise _error("fee.invalid_rule", message, rule_code, problems=listed)

        return invalid
    definition = copy.deepcopy(dict(definition))  # the closures must not see later edits of the caller's
    defaults: Mapping[str, Any] = definition.get("defaults") or {}
    value_of = _value_compile(kind, definition, rule_code)
    to_rials = _rounding_compile(definition, rule_code)

    def evaluate(context: Mapping[str, Any]) -> int:
        context = _with_defaults(context, defaults)
        with decimal.localcontext(_DECIMAL):
            try:
                value = value_of(context)
            except ArithmeticError as error:  # a Decimal overflow: far beyond any fee
                raise _invalid_result("too large a number", rule_code) from error
            return to_rials(value)

    return evaluate


def _compiled(*, kind: str, definition: Mapping[str, Any], rule_code: str) -> Evaluator:
    try:
        key = json.dumps(definition, sort_keys=True, default=_json_tagged)
        return _compiled_cached(kind, key, rule_code, _Held(definition))
    except TypeError:  # keys that cannot be sorted or hashed: compile without the cache
        return fee_rule_compile(kind=kind, definition=definition, rule_code=rule_code)


class _Held:
    """The definition passed to the cached compiler without being part of its key."""

    __slots__ = ("definition",)

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Held)


def _json_tagged(value: object) -> str:
    """A value JSON cannot spell (a Decimal…), tagged with its type so 1 and Decimal(1) stay apart."""
    return f"\x00{type(value).__qualname__}:{value!r}"


@functools.lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compiled_cached(kind: str, key: str, rule_code: str, held: _Held) -> Evaluator:
    return fee_rule_compile(kind=kind, definition=held.definition, rule_code=rule_code)


def _value_compile(
    kind: str, definition: Mapping[str, Any], rule_code: str
) -> Callable[[Mapping[str, Any]], Decimal]:
    """The rule's amount before clamping and rounding, as a function of the context."""
    if kind == "fixed":
        amount = Decimal(definition["amount"])
        return lambda context: amount
    if kind == "per_unit":
        path, rate = definition["quantity"], definition["rate"]
        free = _number_or_none(definition.get("free_units", 0)) or Decimal(0)
        zero = Decimal(0)
        quantity = _quantity_compile(path, rule_code)
        return lambda context: rate * max(zero, quantity(context) - free)
    if kind == "table":
        return _table_compile(definition, rule_code)
    return _formula_compile(definition["expression"], rule_code)


def _rounding_compile(definition: Mapping[str, Any], rule_code: str) -> Callable[[Decimal], int]:
    """:func:`_to_rials` with the definition's minimum, maximum and step read once."""
    low = Decimal(definition["minimum"]) if "minimum" in definition else None
    high = Decimal(definition["maximum"]) if "maximum" in definition else None
    step = definition.get("round_to", 1)
    one = Decimal(1)

    def to_rials(value: Decimal) -> int:
        if value < 0:
            raise _invalid_result(value, rule_code)
        if low is not None:
            value = max(value, low)
        if high is not None:
            value = min(value, high)
        if value > MAX_RIALS:
            raise _invalid_result(value, rule_code)
        steps, rest = divmod(int(value.quantize(one, rounding=ROUND_HALF_UP)), step)
        return int((steps + (2 * rest >= step)) * step)

    return to_rials


Test = Callable[[Mapping[str, Any]], bool]


def _condition_compile(path: str, condition: Any, rule_code: str) -> Test:
    """:func:`_matches` for one ``when`` entry, its band or options read once."""
    if isinstance(condition, Mapping):  # a band: min inclusive, max exclusive
        low, high = _number_or_none(condition.get("min")), _number_or_none(condition.get("max"))
        quantity = _quantity_compile(path, rule_code)

        def band(context: Mapping[str, Any]) -> bool:
            number = quantity(context)
            return (low is None or number >= low) and (high is None or number < high)

        return band
    lookup = _path_compile(path, rule_code)
    if isinstance(condition, list | tuple):
        options = frozenset(_text(option) for option in condition)
        return lambda context: _text(lookup(context)) in options
    wanted = _text(condition)
    return lambda context: _text(lookup(context)) == wanted


def _table_compile(definition: Mapping[str, Any], rule_code: str) -> Callable[[Mapping[str, Any]], Decimal]:
    """:func:`_table` with each row's conditions and amount read once."""
    rows: list[tuple[tuple[Test, ...], Callable[[Mapping[str, Any]], Decimal]]] = []
    for row in definition["rows"]:
        tests = tuple(_condition_compile(path, cond, rule_code) for path, cond in row.get("when", {}).items())
        rows.append((tests, _row_amount_compile(row, rule_code)))
    default = Decimal(definition["default"]) if "default" in definition else None

    def table(context: Mapping[str, Any]) -> Decimal:
        for tests, amount in rows:
            if all(test(context) for test in tests):
                return amount(context)
        if default is not None:
            return default
        raise _error("fee.no_tariff_row", _("No row of fee rule %(rule)s applies to this case."), rule_code)

    return table


def _row_amount_compile(row: Mapping[str, Any], rule_code: str) -> Callable[[Mapping[str, Any]], Decimal]:
    if "amount" in row:
        amount = Decimal(row["amount"])
        return lambda context: amount
    rate, quantity = row["rate"], _quantity_compile(row["quantity"], rule_code)
    return lambda context: rate * quantity(context)


def _evaluate_reference(
    *, kind: str, definition: Mapping[str, Any], context: Mapping[str, Any], rule_code: str = ""
) -> int:
    """The rule evaluated the slow, plain way (checked on every call, formulas walked by simpleeval).

    What :func:`fee_rule_compile` must equal exactly; kept for the property tests that say so.
    """
    if problems := fee_rule_problems(kind=kind, definition=definition):
        message = _("Fee rule %(rule)s is invalid: %(problems)s")
        raise _error("fee.invalid_rule", message, rule_code, problems="; ".join(problems))
    context = _with_defaults(context, definition.get("defaults") or {})
    with decimal.localcontext(_DECIMAL):
        try:
            if kind == "fixed":
                value = Decimal(definition["amount"])
            elif kind == "per_unit":
                quantity = _quantity(context, definition["quantity"], rule_code)
                free = _number_or_none(definition.get("free_units", 0)) or Decimal(0)
                value = definition["rate"] * max(Decimal(0), quantity - free)
            elif kind == "table":
                value = _table(definition, context, rule_code)
            else:
                value = _formula(definition["expression"], context, rule_code)
        except ArithmeticError as error:  # a Decimal overflow: far beyond any fee
            raise _invalid_result("too large a number", rule_code) from error
        return _to_rials(value, definition, rule_code)


def _defaults_problems(defaults: object) -> list[str]:
    """``defaults: {data.parking_spaces: 0}``: what an optional intake field counts as when blank."""
    if not isinstance(defaults, Mapping) or not defaults:
        return ["defaults: must map paths to values"]
    problems = []
    for path, value in defaults.items():
        problems += _path_problems(f"defaults.{path}", path)
        if isinstance(value, float) or not isinstance(value, int | str | bool):
            problems.append(f"defaults.{path}: must be an int, a decimal string, text or true/false")
    return problems


def _with_defaults(context: Mapping[str, Any], defaults: Mapping[str, Any]) -> Mapping[str, Any]:
    """The context with each default filled in where the case left the value out (copied, not changed)."""
    if not defaults:
        return context
    filled: dict[str, Any] = copy.deepcopy(dict(context))
    for path, value in defaults.items():
        *parents, leaf = str(path).split(".")
        node = filled
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        if node.get(leaf) in (None, ""):
            node[leaf] = value
    return filled


def _amount_problems(key: str, value: object, *, least: int) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{key}: must be an int of rials, not {type(value).__name__}"]
    return [f"{key}: must be at least {least}"] if value < least else []


def _path_problems(key: str, path: object) -> list[str]:
    if isinstance(path, str) and _PATH.fullmatch(path):
        return []
    return [f"{key}: must be a dotted path such as 'data.area_m2', not {path!r}"]


def _rows_problems(rows: object) -> list[str]:
    if not isinstance(rows, list | tuple) or not rows:
        return ["rows: must be a non-empty list"]
    problems: list[str] = []
    for index, row in enumerate(rows):
        label = f"rows[{index}]"
        if not isinstance(row, Mapping):
            problems.append(f"{label}: must be a mapping")
            continue
        unknown = set(row) - {"when", "amount", "rate", "quantity"}
        problems += [f"{label}.{key}: unknown key" for key in sorted(unknown, key=str)]
        if ("amount" in row) == ("rate" in row):
            problems.append(f"{label}: give either amount, or rate with quantity")
        for key in ("amount", "rate"):
            problems += _amount_problems(f"{label}.{key}", row[key], least=0) if key in row else []
        if "rate" in row or "quantity" in row:
            problems += _path_problems(f"{label}.quantity", row.get("quantity"))
        when = row.get("when", {})
        if not isinstance(when, Mapping):
            problems.append(f"{label}.when: must be a mapping of path to condition")
            continue
        for path, condition in when.items():
            problems += _path_problems(f"{label}.when", path)
            problems += [f"{label}.when.{path}: {problem}" for problem in _condition_problems(condition)]
    return problems


def _condition_problems(condition: object) -> list[str]:
    def scalar(value: object) -> bool:
        return isinstance(value, str | int | float | Decimal)

    if isinstance(condition, list | tuple):
        return [] if condition and all(map(scalar, condition)) else ["a list must hold plain values"]
    if not isinstance(condition, Mapping):
        return [] if scalar(condition) else ["must be a value, a list of values or {min, max}"]
    if not condition or set(condition) - {"min", "max"}:
        return ["a band has only min and/or max"]
    if any(_number_or_none(value) is None for value in condition.values()):
        return ["min and max must be numbers"]
    low, high = _number_or_none(condition.get("min")), _number_or_none(condition.get("max"))
    return ["min must be below max"] if low is not None and high is not None and low >= high else []


def _number_or_none(value: object) -> Decimal | None:
    """An exact Decimal for an int, a float (read from its text) or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


def _quantity(context: Mapping[str, Any], path: str, rule_code: str) -> Decimal:
    value = context_value(context, path, rule_code=rule_code)
    if (number := _number_or_none(value)) is None:
        message = _("Fee rule %(rule)s needs a number for %(path)s, not %(value)s.")
        raise _error("fee.input_not_number", message, rule_code, path=path, value=str(value))
    return number


def _text(value: object) -> str:
    """How values are compared in ``when`` and ``==``: 3, 3.0 and "3" agree; True and "true" too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):  # 3.50 and 3.5 agree; no context, so no rounding
        text = format(Decimal(str(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = str(value).strip()
    return text.casefold() if text.casefold() in {"true", "false"} else text


def _table(definition: Mapping[str, Any], context: Mapping[str, Any], rule_code: str) -> Decimal:
    for row in definition["rows"]:
        conditions = row.get("when", {}).items()
        if all(_matches(context, path, condition, rule_code) for path, condition in conditions):
            if "amount" in row:
                return Decimal(row["amount"])
            return row["rate"] * _quantity(context, row["quantity"], rule_code)
    if "default" in definition:
        return Decimal(definition["default"])
    raise _error("fee.no_tariff_row", _("No row of fee rule %(rule)s applies to this case."), rule_code)


def _matches(context: Mapping[str, Any], path: str, condition: Any, rule_code: str) -> bool:
    if isinstance(condition, Mapping):  # a band: min inclusive, max exclusive
        number = _quantity(context, path, rule_code)
        low, high = _number_or_none(condition.get("min")), _number_or_none(condition.get("max"))
        return (low is None or number >= low) and (high is None or number < high)
    value = _text(context_value(context, path, rule_code=rule_code))
    if isinstance(condition, list | tuple):
        return value in {_text(option) for option in condition}
    return value == _text(condition)


def _to_rials(value: Decimal, definition: Mapping[str, Any], rule_code: str) -> int:
    """Clamp to minimum/maximum, then round half-up to whole rials and then to ``round_to``."""
    if value < 0:
        raise _invalid_result(value, rule_code)
    if "minimum" in definition:
        value = max(value, Decimal(definition["minimum"]))
    if "maximum" in definition:
        value = min(value, Decimal(definition["maximum"]))
    if value > MAX_RIALS:  # more than a BigIntegerField holds: a broken rule or input, not a fee
        raise _invalid_result(value, rule_code)
    step = definition.get("round_to", 1)
    steps, rest = divmod(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)), step)
    return (steps + (2 * rest >= step)) * step


def _invalid_result(result: object, rule_code: str) -> InvalidValue:
    message = _("Fee rule %(rule)s gave %(result)s, which is not an amount of money.")
    return _error("fee.invalid_result", message, rule_code, result=str(result))


@functools.lru_cache(maxsize=512)
def _parse(expression: str) -> ast.Expression:
    return ast.parse(expression.strip(), mode="eval")


def _expression_problems(expression: object) -> list[str]:
    if not isinstance(expression, str) or not expression.strip():
        return ["must be a non-empty string"]
    if len(expression) > MAX_EXPRESSION:
        return [f"longer than {MAX_EXPRESSION} characters"]
    try:
        nodes = list(ast.walk(_parse(expression)))
    except (SyntaxError, ValueError) as error:
        return [f"does not parse ({getattr(error, 'msg', error)})"]
    compared = {
        id(side) for node in nodes if isinstance(node, ast.Compare) for side in (node.left, *node.comparators)
    }
    problems: list[str] = []
    for node in nodes:
        name = _dotted_name(node) if isinstance(node, ast.Name | ast.Attribute) else ""
        value = node.value if isinstance(node, ast.Constant) else None
        if not isinstance(node, _NODES):
            problems.append(f"{type(node).__name__} is not allowed")
        elif isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
        ):
            problems.append(f"only the functions {', '.join(FUNCTIONS)} may be called, without keywords")
        elif name and any(not part or part[0] in "_?" for part in name.split(".")):
            problems.append(f"{name!r}: only context names like data.area_m2, none starting with _")
        elif isinstance(node, ast.Constant) and type(value) not in (int, float, bool, str):
            problems.append(f"the literal {value!r} is not allowed")
        elif isinstance(value, str) and id(node) not in compared:
            problems.append("text may only be compared, as in data.use == 'residential'")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not _small_literal(node.right):
            problems.append(f"a power must be a number literal of at most {MAX_EXPONENT}")
    return list(dict.fromkeys(problems))


def _dotted_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted_name(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


def _small_literal(node: ast.expr) -> bool:
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= MAX_EXPONENT


def _numbers(*values: object) -> list[Decimal]:
    numbers = [value for value in values if isinstance(value, Decimal)]
    if not numbers or len(numbers) != len(values):
        raise TypeError("this needs numbers")
    return numbers


def _arithmetic(function: Callable[[Decimal, Decimal], Any]) -> Callable[[object, object], Any]:
    return lambda left, right: function(*_numbers(left, right))


def _power(base: Decimal, exponent: Decimal) -> Decimal:
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"a power must be at most {MAX_EXPONENT}")
    return base**exponent


def _round_to(value: object, step: object) -> Decimal:
    number, size = _numbers(value, step)
    if size <= 0:
        raise ValueError("round_to needs a step above 0")
    return (number / size).quantize(Decimal(1), rounding=ROUND_HALF_UP) * size


FUNCTIONS: Final[dict[str, Callable[..., Decimal]]] = {
    "min": lambda *values: min(_numbers(*values)),
    "max": lambda *values: max(_numbers(*values)),
    "ceil": lambda value: _numbers(value)[0].to_integral_value(rounding=ROUND_CEILING),
    "floor": lambda value: _numbers(value)[0].to_integral_value(rounding=ROUND_FLOOR),
    "abs": lambda value: abs(_numbers(value)[0]),
    "round_to": _round_to,
}
_OPERATORS: Final[dict[type, Callable[..., object]]] = {
    **{node: _arithmetic(function) for node, function in [
        (ast.Add, operator.add), (ast.Sub, operator.sub), (ast.Mult, operator.mul),
        (ast.Div, operator.truediv), (ast.FloorDiv, operator.floordiv), (ast.Mod, operator.mod),
        (ast.Pow, _power), (ast.Lt, operator.lt), (ast.LtE, operator.le), (ast.Gt, operator.gt),
        (ast.GtE, operator.ge),
    ]},
    ast.USub: lambda value: -_numbers(value)[0],
    ast.UAdd: lambda value: +_numbers(value)[0],
    ast.Not: operator.not_,
    ast.Eq: lambda left, right: _text(left) == _text(right),
    ast.NotEq: lambda left, right: _text(left) != _text(right),
}  # fmt: skip
# The same operators without the check that both sides are numbers, for when they are Decimals.
_ON_DECIMALS: Final[dict[type, Callable[[Decimal, Decimal], Any]]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: _power, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}  # fmt: skip


class _DecimalEval(SimpleEval):
    """simpleeval whose literals and context numbers are Decimals and whose dots read dict keys.

    A dotted name is read as one context path, so ``data.items`` is the intake value ``items``,
    never the dict method, and a missing one is reported by its full path.
    """

    def __init__(self, context: Mapping[str, Any], rule_code: str) -> None:
        super().__init__(operators=dict(_OPERATORS), functions=dict(FUNCTIONS), names={})
        self.context, self.rule_code = context, rule_code
        self.nodes[ast.Constant] = lambda node: _exact(node.value)
        self.nodes[ast.Name] = self.nodes[ast.Attribute] = self._lookup

    def _lookup(self, node: ast.Name | ast.Attribute) -> object:
        return _exact(context_value(self.context, _dotted_name(node), rule_code=self.rule_code))


def _exact(value: object) -> object:
    """Numbers as exact Decimals; "true"/"false" typed into a form as booleans, so ``if`` reads them."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, str) and value.strip().casefold() in {"true", "false"}:
        return value.strip().casefold() == "true"
    return value


def _formula(expression: str, context: Mapping[str, Any], rule_code: str) -> Decimal:
    """The reference evaluation of a formula: simpleeval over the whitelisted syntax tree."""

    def run() -> object:
        return _DecimalEval(context, rule_code).eval(expression, previously_parsed=_parse(expression).body)

    return _formula_result(run, rule_code)


def _formula_result(run: Callable[[], object], rule_code: str) -> Decimal:
    """Run a formula, turning what it may raise into ``fee.formula_error`` and checking its result."""
    try:
        result = run()
    except InvalidValue:
        raise
    except (InvalidExpression, ArithmeticError, TypeError, ValueError, RecursionError) as error:
        reason = str(error)
        if isinstance(error, decimal.DecimalException):  # whose str() is a list of signal classes
            reason = "division by zero" if isinstance(error, ZeroDivisionError) else "a number out of range"
        message = _("Fee rule %(rule)s could not be computed: %(reason)s")
        raise _error("fee.formula_error", message, rule_code, reason=reason) from error
    if not isinstance(result, Decimal) or result < 0:
        raise _invalid_result(result, rule_code)
    return result


# --- formulas compiled to closures -----------------------------------------------------------------

Node = Callable[[Mapping[str, Any]], Any]


def _formula_compile(expression: str, rule_code: str) -> Callable[[Mapping[str, Any]], Decimal]:
    """A formula as nested closures that do what simpleeval does with :class:`_DecimalEval`.

    Node by node the same operator functions (:data:`_OPERATORS`, :data:`FUNCTIONS`) are applied
    to the same operands in the same order, with simpleeval's short-circuits for ``and``/``or``,
    chained comparisons and ``x if c else y``; names read the context through :func:`_exact`.
    """
    tree = _parse(expression).body
    if _depth(tree) > MAX_COMPILED_DEPTH:
        return lambda context: _formula(expression, context, rule_code)
    node = _node_compile(tree, rule_code)
    return lambda context: _formula_result(lambda: node(context), rule_code)


def _depth(node: ast.AST) -> int:
    return 1 + max((_depth(child) for child in ast.iter_child_nodes(node)), default=0)


def _node_compile(node: ast.expr, rule_code: str) -> Node:
    if isinstance(node, ast.Constant):
        value = _exact(node.value)
        return lambda context: value
    if isinstance(node, ast.Name | ast.Attribute):
        path = _dotted_name(node)
        lookup = _path_compile(path, rule_code)
        return lambda context: _exact(lookup(context))
    if isinstance(node, ast.BinOp):
        left, right = _node_compile(node.left, rule_code), _node_compile(node.right, rule_code)
        return _binary_compile(type(node.op), left, right)
    if isinstance(node, ast.UnaryOp):
        unary = _OPERATORS[type(node.op)]
        operand = _node_compile(node.operand, rule_code)
        return lambda context: unary(operand(context))
    if isinstance(node, ast.BoolOp):
        return _boolean_compile(node, rule_code)
    if isinstance(node, ast.Compare):
        return _compare_compile(node, rule_code)
    if isinstance(node, ast.IfExp):
        test, body = _node_compile(node.test, rule_code), _node_compile(node.body, rule_code)
        orelse = _node_compile(node.orelse, rule_code)
        return lambda context: body(context) if test(context) else orelse(context)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function = FUNCTIONS[node.func.id]
        arguments = [_node_compile(argument, rule_code) for argument in node.args]
        return lambda context: function(*(argument(context) for argument in arguments))
    raise ValueError(f"{type(node).__name__} is not allowed")  # unreachable: the rule was checked


def _binary_compile(op: type, left: Node, right: Node) -> Node:
    binary, plain = _OPERATORS[op], _ON_DECIMALS.get(op)
    if plain is None:
        return lambda context: binary(left(context), right(context))

    def arithmetic(context: Mapping[str, Any]) -> Any:
        first, second = left(context), right(context)
        if type(first) is Decimal and type(second) is Decimal:  # what _numbers() lets through as is
            return plain(first, second)
        return binary(first, second)

    return arithmetic


def _boolean_compile(node: ast.BoolOp, rule_code: str) -> Node:
    values = [_node_compile(value, rule_code) for value in node.values]
    every = isinstance(node.op, ast.And)

    def boolean(context: Mapping[str, Any]) -> Any:
        result: Any = False
        for value in values:
            result = value(context)
            if (not result) if every else result:
                break
        return result

    return boolean


def _compare_compile(node: ast.Compare, rule_code: str) -> Node:
    first = _node_compile(node.left, rule_code)
    steps = [
        (_OPERATORS[type(op)], _ON_DECIMALS.get(type(op)), _node_compile(comparator, rule_code))
        for op, comparator in zip(node.ops, node.comparators, strict=True)
    ]

    def compare(context: Mapping[str, Any]) -> Any:
        right = first(context)
        result: Any = True
        for test, plain, comparator in steps:
            if not result:
                break
            left, right = right, comparator(context)
            if plain is not None and type(left) is Decimal and type(right) is Decimal:
                result = plain(left, right)
            else:
                result = test(left, right)
        return result

    return compare
