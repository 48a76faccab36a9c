"""Previewing a policy before there is a bid: stand-ins for what only a bid can give, one
implementation for documents and policy pages. For the closures, `preview_env` holds a
contract, bid or delivery report that may be absent (reading it raises `Unknown`). For
templates, `preview_context` makes what is not known undefined (`is defined` is false)
or, on policy pages, a placeholder shown as `[contract.value]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, Final, cast

from jinja2 import Environment
from jinja2.exceptions import UndefinedError

from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.explain import template_context
from svrules.engine.failures import RUN_TIME_FAILURES, MissingField
from svrules.language import nodes as n
from svrules.language.templates import NeedsBid, NeedsDelivery, environment, not_known_yet, render


class _NotKnown:
    """The value of something a preview cannot work out."""

    def __repr__(self) -> str:
        return "NOT_KNOWN"


NOT_KNOWN: Final = _NotKnown()


class Unknown(Exception):
    """A value that only a bid (or a delivery report, or the contract) can give was needed."""

    def __init__(self, root: str):
        super().__init__(root)
        self.root = root


class Absent(dict[str, Any]):
    """The contract, bid or delivery figures of a preview that has none: reading raises."""

    def __init__(self, root: str):
        super().__init__()
        self.root = root

    def __getitem__(self, key: str) -> Any:
        raise Unknown(self.root)


class PreviewLets(dict[str, Any]):
    """A rule's lets; a let that could not be worked out raises `Unknown` when it is used."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, str] = {}
        """Each let not worked out → why: "bid", "delivery", "contract", "missing" or "error"."""

    def __missing__(self, key: str) -> Any:
        raise Unknown(self.pending.get(key, "bid"))


class NoSocialValue:
    """`social_value` where no bid is known: any use of it raises `Unknown`."""

    def _unknown(self, *args: Any) -> Any:
        raise Unknown("bid")

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _unknown
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _unknown
    __truediv__ = __rtruediv__ = __neg__ = __abs__ = __bool__ = _unknown


def preview_env(
    contract: Mapping[str, Any] | None,
    bid: Mapping[str, Any] | None,
    params: Mapping[str, Any],
    social_value: Decimal | None = None,
) -> Env:
    """The values a rule sees in a preview: what is not given is absent, never empty."""
    env = Env(
        dict(contract) if contract is not None else Absent("contract"),
        dict(bid) if bid is not None else Absent("bid"),
        dict(params),
        # without a bid, a stand-in that raises `Unknown` wherever the closures use it
        social_value if bid is not None and social_value is not None else cast(Decimal, NoSocialValue()),
        Absent("delivery"),
    )
    env.lets = PreviewLets()
    return env


def is_previewed(env: Env) -> bool:
    """Whether an environment has no bid (so `social_value` is a stand-in)."""
    return isinstance(env.social_value, NoSocialValue)


def work_out_lets(rule: CompiledRule, env: Env) -> PreviewLets:
    """The rule's lets in order: those that can be worked out, and why each other cannot."""
    lets = PreviewLets()
    rule_env = Env(env.contract, env.bid, env.params, env.social_value, env.delivery)
    rule_env.lets = lets
    for name, fn in rule.lets:
        try:
            lets[name] = fn(rule_env)
        except Unknown as unknown:
            lets.pending[name] = unknown.root
        except MissingField:
            lets.pending[name] = "missing"
        except TypeError:  # arithmetic with the `social_value` stand-in
            if not is_previewed(env):
                raise
            lets.pending[name] = "bid"
        except RUN_TIME_FAILURES:
            lets.pending[name] = "error"
    return lets


def lookup(values: Any, name: str) -> Any:
    """A field or let's value, `NOT_KNOWN` when a preview does not have it, None when missing."""
    if values is None or isinstance(values, Absent):
        return NOT_KNOWN
    if name in values:
        return dict.get(values, name)
    return NOT_KNOWN if isinstance(values, PreviewLets) else None


def params_in_force(compiled: CompiledPolicy, as_of: date) -> dict[str, Any]:
    """Each parameter's value on `as_of`; one not yet in force (or depending on one that
    is not) is left out, where an evaluation would refuse the date."""
    values: dict[str, Any] = {}
    for param in compiled.params:
        name = param.param.name
        if param.dated:
            in_force = [value for start, value in param.dated if start <= as_of]
            if in_force:
                values[name] = in_force[-1]
        elif param.value is not None:
            try:
                values[name] = param.value(Env({}, {}, values))
            except (KeyError, *RUN_TIME_FAILURES):  # reads a parameter not yet in force
                continue
    return values


# ---------------------------------------------------------------- templates


class Placeholder(str):
    """A value known only once there is a contract or a bid, shown as `[contract.value]`."""

    __slots__ = ()


class Placeholders:
    """`contract`, `bid` or `delivery` on a policy page: every field is a placeholder."""

    def __init__(self, root: str):
        self._root = root

    def __getattr__(self, name: str) -> Placeholder:
        if name.startswith("_"):
            raise AttributeError(name)
        return Placeholder(f"[{self._root}.{name}]")

    def __getitem__(self, name: str) -> Placeholder:
        return Placeholder(f"[{self._root}.{name}]")


def preview_context(
    compiled: CompiledPolicy,
    rule: CompiledRule,
    env: Env,
    *,
    placeholders: bool = False,
    with_bid: bool = True,
) -> dict[str, Any]:
    """What a rule's templates see in a preview. A value that is not known is undefined
    (`is defined` is false, and using it raises `NeedsBid` or `NeedsDelivery`), or with
    `placeholders` shows as `[name]`. Without `with_bid` there is no `bid` at all."""

    def stand_in(name: str, why: type[UndefinedError] = NeedsBid) -> Any:
        return Placeholder(f"[{name}]") if placeholders else not_known_yet(name, why)

    def record(root: str, why: type[UndefinedError] = NeedsBid) -> Any:
        return Placeholders(root) if placeholders else not_known_yet(root, why)

    context = template_context(compiled, rule, env, with_bid=with_bid)
    for name in compiled.checked.param_types:
        context.setdefault(name, stand_in(name))
    if isinstance(env.contract, Absent):
        context["contract"] = record("contract")
    if with_bid and isinstance(env.bid, Absent):
        context["bid"] = record("bid")
    if isinstance(env.lets, PreviewLets):
        for name, why in env.lets.pending.items():
            context[name] = stand_in(name, NeedsDelivery if why == "delivery" else NeedsBid)
    if with_bid and isinstance(rule.rule, n.Kpi) and isinstance(env.delivery, Absent):
        context["delivery"] = record("delivery", NeedsDelivery)
    return context


def render_preview(text: str, context: Mapping[str, Any]) -> str | None:
    """Template text rendered with placeholders (within the render limits); None if it
    cannot be, so the page shows the text as written instead."""
    try:
        return render(_preview_environment().from_string(text), context)
    except Exception:  # any failure of a preview means: show the template as written
        return None


@cache
def _preview_environment() -> Environment:
    """The template environment, with its svrules filters passing placeholders through."""
    env = environment().overlay()
    env.filters = dict(env.filters)
    for name in ("money", "number", "percent", "date"):
        env.filters[name] = _passing_placeholders(env.filters[name])
    return env


def _passing_placeholders(real: Any) -> Any:
    def apply(value: Any, *args: Any) -> Any:
        return value if isinstance(value, Placeholder) else real(value, *args)

    return apply
