"""One change in meaning between two versions of a policy, and how it reads.

Owns the `Change` record every comparison produces (its JSON form is documented in
docs/diff.md, so it stays stable), the one-line summary people read, and the small
helpers comparing and wording share: the unified diff of two texts and `DiffError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from svrules.language.printer import quote


class DiffError(Exception):
    """A diff that cannot be made: different policies, or a revision that cannot be read."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        return f"error: {self.message}" + (f"\n    hint: {self.hint}" if self.hint else "")


@dataclass
class Change:
    """One change in meaning. `old`/`new` are JSON values (SVR text, lists, booleans)."""

    kind: str
    target: str
    id: str | None = None
    aspect: str | None = None
    name: str | None = None
    old: Any = None
    new: Any = None
    details: list[str] = field(default_factory=list)
    text_diff: str | None = None

    @property
    def who(self) -> str:
        """What changed, as the summary names it: `policy`, `bid.value`, `criterion local_jobs`."""
        if self.target == "policy":
            return "policy"
        if self.target in ("contract", "bid", "delivery"):
            return f"{self.target}.{self.id}"
        return f"{self.target} {self.id}" if self.id else self.target

    @property
    def summary(self) -> str:
        """One line for people, e.g. `criterion local_jobs: weight 4% → 5%`."""
        return _added_or_removed(self) or _replaced_or_moved(self) or _aspect_changed(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "id": self.id,
            "aspect": self.aspect,
            "name": self.name,
            "old": self.old,
            "new": self.new,
            "details": list(self.details),
            "text_diff": self.text_diff,
            "summary": self.summary,
        }


def _added_or_removed(change: Change) -> str | None:
    who, kind, old, new = change.who, change.kind, change.old, change.new
    if kind == "field_added":
        return f"{who} added: {new}"
    if kind == "field_removed":
        return f"{who} removed (was {old})"
    if kind in ("rule_added", "rule_removed"):
        info = new if kind == "rule_added" else old
        verb = "added" if kind == "rule_added" else "removed"
        return f"{who} {quote(info['title'])} {verb} ({_theme_name(info['theme'])})"
    if kind in ("theme_added", "theme_removed"):
        title = new if kind == "theme_added" else old
        return f"{who} {quote(title)} {'added' if kind == 'theme_added' else 'removed'}"
    if kind == "param_added":
        return f"{who} added: {_short(new)}"
    if kind == "param_removed":
        return f"{who} removed (was {_short(old)})"
    return None


def _replaced_or_moved(change: Change) -> str | None:
    if change.kind == "param_changed":
        return f"{change.who}: {_short(change.old)} → {_short(change.new)}"
    if change.kind == "rule_moved":
        return f"{change.who} moved from {_theme_name(change.old)} to {_theme_name(change.new)}"
    if change.kind == "policy_renamed":
        return f"policy id {change.old} → {change.new}"
    return None


def _aspect_changed(change: Change) -> str:
    who = change.who
    aspect = (change.aspect or "").replace("_", " ")
    if change.aspect == "let":
        aspect = f"let {change.name}"
        if change.old is None:
            return f"{who}: {aspect} added: {change.name} = {change.new}"
        if change.new is None:
            return f"{who}: {aspect} removed (was {change.old})"
    if change.text_diff is not None and change.aspect in ("explain", "clause", "summary"):
        return f"{who}: {aspect} text changed"
    if change.text_diff is not None:
        return f"{who}: {aspect} changed"
    return f"{who}: {aspect} {_short(change.old)} → {_short(change.new)}"


def _theme_name(theme: str | None) -> str:
    return f"theme {theme}" if theme else "no theme (directly under the policy)"


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ", ".join(
                str(v.get("value")) + (f" from {v['from']}" if v.get("from") else "") for v in value
            )
        return "[" + ", ".join(quote(v) if isinstance(v, str) else str(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if v is not None)
    return str(value)


def text_diff(old: str | None, new: str | None, old_label: str = "old", new_label: str = "new") -> str:
    """A unified diff of two texts (a template, a summary), without trailing spaces."""
    lines = difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), old_label, new_label, lineterm="", n=2
    )
    return "\n".join(line.rstrip() for line in lines)


def keys_in_order(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    """Keys of `a` in order, then the keys only `b` has, in order."""
    out = list(a)
    seen = set(out)
    out += [k for k in b if k not in seen]
    return out
