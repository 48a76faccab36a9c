"""A seeded fuzzer over the shipped tenders and policies, through the Python API.

Tenders (`examples/*/tenders/*.json`) have their JSON values mutated: types swapped,
huge and tiny numbers, strings with `%`, `£` and newlines, deep nesting, missing and
extra keys. Policies (`examples/*/policy.svr`, `policies/*/policy.svr`) have lines and
tokens deleted, duplicated and swapped, and long or deep expressions inserted. Each case
must end in a result or in svrules' own `InputError`/`PolicyError`, never another
exception; a result's `to_json()` (reasons included) holds no float; and a policy that
loads evaluates (on its example tender, or a generated valid one) and renders its
methodology.

The budget is small by default (about 20 seconds for both tests). For a long run:

    SVRULES_FUZZ_BUDGET=600 python -m pytest tests/test_fuzz.py -q -s

`SVRULES_FUZZ_SEED` picks another seed (default 20251205); `-s` prints the figures
(inputs per category, failures). Every failure is reported with its exact input. Each
case has a time bound (`SVRULES_FUZZ_CASE_SECONDS`, default 10 seconds).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from svrules import InputError, PolicyError, load_policy

from .conftest import EXAMPLES, ROOT

BUDGET = float(os.environ.get("SVRULES_FUZZ_BUDGET", "20"))
SEED = int(os.environ.get("SVRULES_FUZZ_SEED", "20251205"))
CASE_SECONDS = float(os.environ.get("SVRULES_FUZZ_CASE_SECONDS", "10"))
TENDERS = sorted(EXAMPLES.glob("*/tenders/*.json"))
POLICIES = sorted([*EXAMPLES.glob("*/policy.svr"), *(ROOT / "policies").glob("*/policy.svr")])

KNOWN_ELSEWHERE: dict[str, str] = {}
"""Failures that are another helper's open item, by a phrase of the error: skipped, listed."""


class CaseTimeout(Exception):
    pass


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise `CaseTimeout` in the case if it runs longer than `seconds` (main thread only)."""

    def expire(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---------------------------------------------------------------- JSON written exactly


def dump(value: Any) -> str:
    """JSON text with Decimals written as numbers, exactly (json.dumps would need floats)."""
    if isinstance(value, Decimal):
        return (
            str(value)
            if value.is_finite()
            else ("NaN" if value.is_nan() else str(value).replace("Inf", "Inf"))
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf] if depth % 2 else {"a": leaf}
    return leaf


def _odd_value(rng: random.Random) -> tuple[str, Any]:
    digits = rng.choice([1, 5, 16, 28, 29, 40, 5000])
    return rng.choice(
        [
            (
                "type",
                rng.choice([None, True, False, "", "text", [], {}, [Decimal(1)], {"amount": Decimal(5)}]),
            ),
            ("huge", Decimal(f"9e{rng.choice([15, 16, 400, 999999, 10**12])}")),
            ("huge", Decimal("9" * digits)),
            ("tiny", Decimal(f"1e-{rng.choice([10, 28, 29, 30, 1000025, 10**15])}")),
            ("tiny", Decimal("0." + "0" * rng.randrange(40) + "1")),
            (
                "special",
                rng.choice([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0")]),
            ),
            ("number", Decimal(rng.randrange(-(10**6), 10**6)).scaleb(-rng.randrange(0, 12))),
            (
                "string",
                rng.choice(
                    [
                        "25%",
                        "25%\n",
                        "£5,400,000",
                        "5400000\n",
                        " 12",
                        "1e5",
                        "-0",
                        "100%",
                        "50 %",
                        "\n",
                        "2025-06-02\n",
                        "2025-02-30",
                        "☃" * 100,
                        "\\ud800",
                        "x" * 10000,
                    ]
                ),
            ),
            ("deep", _nested(rng.choice([10, 63, 64, 65, 150]), Decimal(1))),
        ]
    )


def mutate_tender(data: Any, rng: random.Random) -> tuple[str, Any]:
    """One mutation of a tender (as exact Python values): its category and the new data."""
    paths = _paths(data)
    if len(paths) < 2:  # a value at the top: replace the whole tender
        return "type", _odd_value(rng)[1]
    path = rng.choice(paths[1:])
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    roll = rng.random()
    if roll < 0.12 and isinstance(parent, dict):
        del parent[path[-1]]
        return "missing-key", data
    if roll < 0.22 and isinstance(parent, dict):
        parent[rng.choice(["extra", "bidder", "amount", "currency", f"{path[-1]}_x"])] = _odd_value(rng)[1]
        return "extra-key", data
    category, value = _odd_value(rng)
    parent[path[-1]] = value
    return category, data


# ---------------------------------------------------------------- policy text


_LONG = " + ".join(["contract.value"] * 600)
_DEEP = "(" * 150 + "contract.value" + ")" * 150
_DEEP_OPS = "-" * 150 + "contract.value"
_IF = " if contract.value > £1 else ".join(["contract.value"] * 120)


def mutate_policy(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.splitlines()
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    roll = rng.randrange(7)
    if roll == 0:
        del lines[i]
        return "delete-line", "\n".join(lines)
    if roll == 1:
        lines.insert(i, lines[j])
        return "duplicate-line", "\n".join(lines)
    if roll == 2:
        lines[i], lines[j] = lines[j], lines[i]
        return "swap-lines", "\n".join(lines)
    tokens = text.split(" ")
    a, b = rng.randrange(len(tokens)), rng.randrange(len(tokens))
    if roll == 3:
        tokens[a], tokens[b] = tokens[b], tokens[a]
        return "swap-tokens", " ".join(tokens)
    if roll == 4:
        del tokens[a]
        return "delete-token", " ".join(tokens)
    if roll == 5:
        tokens.insert(a, tokens[b])
        return "duplicate-token", " ".join(tokens)
    expr = rng.choice([_LONG, _DEEP, _DEEP_OPS, _IF, "1 / 0", "£1 / 3", "round(contract.value / 7, 40)"])
    for k, line in enumerate(lines):  # a `let` in the first rule with a body
        stripped = line.lstrip()
        if stripped.startswith(("requirement ", "criterion ")) and k + 1 < len(lines):
            indent = len(lines[k + 1]) - len(lines[k + 1].lstrip())
            lines.insert(k + 1, " " * indent + f"let fuzz_value = {expr}")
            break
    return "long-or-deep-expression", "\n".join(lines)


def _valid_value(kind: str, decl: Any) -> Any:
    if decl.one_of is not None:
        return decl.one_of.items[0].value
    if decl.low is not None:
        return decl.low.value * (100 if kind == "percent" else 1)
    return {"money": Decimal(2_400_000), "number": Decimal(3), "count": Decimal(2), "percent": Decimal(30),
            "yes/no": True, "text": "services", "date": "2025-06-02"}.get(kind)  # fmt: skip


def generated_tender(policy: Any) -> dict[str, Any]:
    """A valid tender for a policy: each declared field at an ordinary value."""
    from svrules.language.checked import declared_fields

    checked = policy.checked.policy

    def record(root: str) -> dict[str, Any]:
        fields = declared_fields(checked, root)
        return {name: _valid_value(d.type, d) for name, d in fields.items() if not d.optional}

    return {"contract": record("contract"), "bids": [{"bidder": "Fuzz Ltd", **record("bid")}]}


# ---------------------------------------------------------------- the checks


def assert_no_float(value: Any, where: str = "result") -> None:
    if isinstance(value, float):
        raise AssertionError(f"a float in {where}: {value!r}")
    if isinstance(value, dict):
        for k, v in value.items():
            assert_no_float(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_no_float(v, f"{where}[{i}]")


def _evaluate(policy: Any, tender: Any) -> None:
    result = policy.evaluate(tender)
    out = result.to_json()
    assert_no_float(out)
    json.dumps(out, ensure_ascii=False).encode("utf-8")  # writable as UTF-8
    for bid in result.bids:
        for rule in [*bid.requirements, *bid.criteria]:
            assert isinstance(rule.reason, str)


class Campaign:
    """Counts inputs per category and collects failures with their exact inputs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.inputs: Counter[str] = Counter()
        self.failures: list[str] = []
        self.skipped: list[str] = []

    def case(self, category: str, shown: str, action: Callable[[], None]) -> None:
        self.inputs[category] += 1
        try:
            with time_bound(CASE_SECONDS):
                action()
        except (InputError, PolicyError):
            pass
        except Exception as exc:  # anything else is a defect: kept with its input
            text = f"{type(exc).__name__}: {exc}"[:300]
            known = next((v for k, v in KNOWN_ELSEWHERE.items() if k in text), None)
            entry = f"[{category}] {text}\n--- input ---\n{shown[:4000]}\n--- where ---\n{traceback.format_exc()[-1500:]}"
            (self.skipped if known else self.failures).append(entry)

    def report(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(self.inputs.items()))
        return f"{self.name}: {sum(self.inputs.values())} inputs ({counts}); {len(self.failures)} failures"


def _deadline(share: float) -> float:
    return time.monotonic() + BUDGET * share


def test_fuzz_tenders() -> None:
    rng = random.Random(SEED)
    policies = {path.parent.parent: load_policy(path.parent.parent / "policy.svr") for path in TENDERS}
    originals = {path: path.read_text(encoding="utf-8") for path in TENDERS}
    campaign = Campaign("tenders")
    deadline = _deadline(0.5)
    while time.monotonic() < deadline:
        path = rng.choice(TENDERS)
        policy = policies[path.parent.parent]
        data = json.loads(originals[path], parse_float=Decimal, parse_int=Decimal)
        for _ in range(rng.choice([1, 1, 2, 3])):
            category, data = mutate_tender(data, rng)
        text = dump(data)
        if rng.random() < 0.05:  # nesting far past any limit, written as text
            category, text = "deep-text", text.replace(": ", ": " + "[" * 100_000 + "]" * 100_000 + " ", 1)
        campaign.case(category, f"{path.relative_to(ROOT)}:\n{text}", partial(_evaluate, policy, text))
        if rng.random() < 0.3 and category != "deep-text":  # the same data as a mapping
            campaign.case(category + " (mapping)", f"{path.relative_to(ROOT)} as a mapping:\n{text}",
                          partial(_evaluate, policy, data))  # fmt: skip
    print("\n" + campaign.report())
    assert not campaign.failures, "\n\n".join(campaign.failures[:5])


def test_fuzz_policies(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    tenders = {p.parent.parent: p for p in TENDERS}
    folders = {}
    for path in POLICIES:  # a copy of each folder, so a mutated policy finds its clauses
        copy = tmp_path / f"{path.parent.parent.name}-{path.parent.name}"
        shutil.copytree(path.parent, copy)
        folders[path] = (copy, path.read_text(encoding="utf-8"))
    campaign = Campaign("policies")
    deadline = _deadline(0.5)
    while time.monotonic() < deadline:
        path = rng.choice(POLICIES)
        copy, original = folders[path]
        category, text = mutate_policy(original, rng)
        if rng.random() < 0.3:
            category, text = mutate_policy(text, rng)
        target = copy / "policy.svr"
        target.write_text(text, encoding="utf-8")
        tender = tenders.get(path.parent)

        def run(target: Path = target, tender: Path | None = tender) -> None:
            policy = load_policy(target)
            policy.render_methodology()
            try:
                _evaluate(policy, tender if tender is not None else generated_tender(policy))
            except InputError:  # the mutation changed the fields: a tender made for it must evaluate
                _evaluate(policy, generated_tender(policy))

        campaign.case(category, f"{path.relative_to(ROOT)} became:\n{text}", run)
    print("\n" + campaign.report())
    assert not campaign.failures, "\n\n".join(campaign.failures[:5])
