"""The unit algebra of SVR, in one table.

Owns the value types an expression can have and what each operator does to them
(money ÷ money → number, money + number → an error, …). The checker asks this module;
nothing else in svrules decides what units combine.
"""

from __future__ import annotations

MONEY, NUMBER, PERCENT, BOOL, TEXT, DATE = "money", "number", "percent", "yes/no", "text", "date"

# Field types as declared; `count` is a whole `number` ≥ 0 and behaves as one in arithmetic.
FIELD_TYPES = ("money", "number", "count", "percent", "yes/no", "text", "date")
NUMERIC = (MONEY, NUMBER, PERCENT)


def expression_type(field_type: str) -> str:
    """The type a declared field has inside expressions."""
    return NUMBER if field_type == "count" else field_type


def list_of(item: str) -> str:
    return f"list of {item}"


def list_item(t: str) -> str | None:
    return t[len("list of ") :] if t.startswith("list of ") else None


_M, _N, _P = MONEY, NUMBER, PERCENT

ARITHMETIC: dict[tuple[str, str, str], str] = {
    ("+", _M, _M): _M, ("-", _M, _M): _M,
    ("+", _N, _N): _N, ("-", _N, _N): _N,
    ("+", _P, _P): _P, ("-", _P, _P): _P,
    ("*", _M, _N): _M, ("*", _N, _M): _M, ("*", _M, _P): _M, ("*", _P, _M): _M,
    ("*", _N, _N): _N, ("*", _P, _P): _P, ("*", _P, _N): _P, ("*", _N, _P): _N,
    ("/", _M, _N): _M, ("/", _M, _P): _M, ("/", _M, _M): _N,
    ("/", _N, _N): _N, ("/", _P, _N): _P, ("/", _N, _P): _N, ("/", _P, _P): _N,
}  # fmt: skip

_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}
_ORDERED = {MONEY, NUMBER, PERCENT, DATE}


def arithmetic(op: str, left: str, right: str) -> str | None:
    """The result type of `left op right`, or None when the units do not combine."""
    return ARITHMETIC.get((op, left, right))


def a(t: str) -> str:
    """The type with its article, for messages: 'money', 'a number', 'a percent'."""
    if t in (MONEY, TEXT):
        return t
    if t == BOOL:
        return "a yes/no"
    if t.startswith("list of "):
        return f"a {t}"
    return f"a {t}"


def arithmetic_error(op: str, left: str, right: str) -> str:
    if op in "+-":
        verb = _VERBS[op]
        joiner = "and" if op == "+" else "from"
        if op == "-":
            return f"cannot subtract {a(right)} from {a(left)}"
        return f"cannot {verb} {a(left)} {joiner} {a(right)}"
    if op == "*":
        return f"cannot multiply {a(left)} by {a(right)}"
    return f"cannot divide {a(left)} by {a(right)}"


def comparable(op: str, left: str, right: str) -> bool:
    """Whether `left op right` is a valid comparison (same type; order only where it means something)."""
    if left != right:
        return False
    return op in ("==", "!=") or left in _ORDERED
