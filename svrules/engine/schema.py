"""Checked policy → JSON Schema of its tender input.

Owns the mapping from SVR field declarations to JSON Schema (draft 2020-12), so tools
that build tenders can validate them before they reach svrules. The schema states what
JSON can state; exactness rules (no more than 28 significant digits) are svrules' own.

Patterns end in `$(?!\n)`: in JSON Schema's (ECMA-262) dialect `$` is the end of the text,
but Python's `re`, which some validators use, also lets `$` match before a final newline;
the lookahead makes both refuse `"25%\n"`, as svrules does. Bounds are JSON numbers only
when a float carries them exactly; `x-svrules-range` always has them as exact strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from svrules.core.decimals import plain
from svrules.engine.tender import declared_options, declared_range
from svrules.language.checked import CheckedPolicy
from svrules.language.nodes import FieldDecl

_NUMBER_STRING = r"^-?[0-9]+(\.[0-9]+)?$(?!\n)"


def field_schema(decl: FieldDecl) -> dict[str, Any]:
    """The schema of one declared field's JSON value."""
    out: dict[str, Any]
    if decl.type == "money":
        amount = {"oneOf": [{"type": "number"}, {"type": "string", "pattern": _NUMBER_STRING}]}
        out = {
            "oneOf": [
                *amount["oneOf"],
                {
                    "type": "object",
                    "properties": {"amount": amount, "currency": {"const": "GBP"}},
                    "required": ["amount"],
                    "additionalProperties": False,
                },
            ]
        }
    elif decl.type == "number":
        out = {"type": "number"}
    elif decl.type == "count":
        out = {"type": "integer", "minimum": 0}
    elif decl.type == "percent":
        out = {
            "oneOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?%$(?!\n)"},
            ]
        }
    elif decl.type == "yes/no":
        out = {"type": "boolean"}
    elif decl.type == "date":
        out = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$(?!\n)"}
    else:
        out = {"type": "string"}
        if decl.one_of is not None:
            out["enum"] = list(declared_options(decl.one_of))
    bounds = declared_range(decl)
    if bounds is not None and decl.type in ("number", "count", "money"):
        low, high = (plain(Decimal(str(b.value)), None) for b in bounds)  # every digit, never rounded
        out["x-svrules-range"] = [low, high]
        if decl.type in ("number", "count"):
            exact = {k: _json_number(v) for k, v in (("minimum", low), ("maximum", high))}
            out |= {k: v for k, v in exact.items() if v is not None}
    if bounds is not None and decl.type == "percent":
        out["x-svrules-range"] = [bounds[0].text, bounds[1].text]
    if decl.description:
        out["description"] = decl.description
    if decl.optional:
        out = {
            "anyOf": [out, {"type": "null"}],
            **({"description": decl.description} if decl.description else {}),
        }
    return out


def _json_number(text: str) -> int | float | None:
    """A bound as a JSON number, or None when a float would not carry it exactly."""
    value = Decimal(text)
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


def _record(fields: dict[str, FieldDecl], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = dict(extra or {})
    properties |= {name: field_schema(decl) for name, decl in fields.items()}
    required = [*(extra or {}), *(name for name, decl in fields.items() if not decl.optional)]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def tender_schema(checked: CheckedPolicy) -> dict[str, Any]:
    """The JSON Schema of a tender file for this policy."""
    p = checked.policy
    bid = _record(
        checked.fields("bid"),
        {
            "bidder": {
                "type": "string",
                "minLength": 1,
                "description": "The bidder's name, unique in the tender",
            }
        },
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:svrules:{p.name}:{p.version or ''}:tender",
        "title": f"Tender for {p.title}",
        "description": "A contract and the bids for it, as svrules evaluates them. Numbers are read exactly.",
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "contract": _record(checked.fields("contract")),
            "bids": {"type": "array", "minItems": 1, "items": bid},
        },
        "required": ["contract", "bids"],
        "additionalProperties": False,
    }
