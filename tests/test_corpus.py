"""The corpus of bad inputs: every defective policy and tender gives the right diagnostic.

`tests/corpus/policies/**/*.svr` each hold one defect (or, in a few files, several
independent ones); beside each, `<name>.expected.json` says which diagnostic(s) it must
give: the code (or a list of acceptable codes where the spec names none), the line, the
exact text the diagnostic underlines (or a list of acceptable texts where the spec leaves
the extent open; omitted only where it leaves the column open), a phrase of the message
and optionally of the hint, the severity (default error), `preceded_by` (the text just
before the underline, where the underlined text occurs twice on the line) and `file`
(a template file, relative to the policy's folder).

`tests/corpus/tenders/*.json` are bad tenders for `examples/example-borough/policy.svr`
(or the policy an expected file names); beside each, `<name>.expected.json` gives the
code, the bid and field named (`where`, exactly or as a substring), a phrase of the
message and, for a JSON syntax error, the line.

A file gives exactly the diagnostics it expects: no fewer (one run reports every error)
and no more (one defect is not reported as a cascade of others).
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from svrules import InputError, PolicyError, load_policy
from svrules.api import check_file
from svrules.core.diagnostics import Diagnostic, render, underlined_text
from svrules.core.source import SourceFile, SourceReadError, read_source

from .conftest import EXAMPLES, ROOT

CORPUS = Path(__file__).resolve().parent / "corpus"
POLICY_DIR = CORPUS / "policies"
TENDER_DIR = CORPUS / "tenders"
DEFAULT_POLICY = EXAMPLES / "example-borough" / "policy.svr"

POLICIES = sorted(POLICY_DIR.rglob("*.svr"))
TENDERS = sorted(p for p in TENDER_DIR.glob("*.json") if not p.name.endswith(".expected.json"))


def expected_of(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(f"{path.stem}.expected.json").read_text(encoding="utf-8"))


def expected_diagnostics(path: Path) -> list[dict[str, Any]]:
    expected = expected_of(path)
    return expected.get("diagnostics", [expected])


def case_id(path: Path) -> str:
    base = POLICY_DIR if path.is_relative_to(POLICY_DIR) else TENDER_DIR
    return str(path.relative_to(base).with_suffix(""))


def _options(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------- policies


def _source_for(diag: Diagnostic, sources: dict[str, SourceFile]) -> SourceFile | None:
    assert diag.span is not None
    if diag.span.path in sources:
        return sources[diag.span.path]
    try:
        return read_source(diag.span.path)
    except SourceReadError:
        return None


def _policy_mismatch(
    want: dict[str, Any], diag: Diagnostic, policy: Path, sources: dict[str, SourceFile]
) -> str | None:
    """Why `diag` is not the diagnostic `want` describes, or None if it is."""
    if diag.code not in _options(want["code"]):
        return f"code {diag.code}"
    if diag.severity != want.get("severity", "error"):
        return f"severity {diag.severity}"
    if diag.span is None:
        return "no place in the file"
    file = policy.parent / want["file"] if "file" in want else policy
    if Path(diag.span.path).resolve() != file.resolve():
        return f"file {diag.span.path}"
    if diag.span.line != want["line"]:
        return f"line {diag.span.line}"
    source = _source_for(diag, sources)
    if source is None:
        return "its file cannot be read back"
    if "underlined" in want:
        got = underlined_text(diag, source)
        if got not in _options(want["underlined"]):
            return f"underlines {got!r}"
    if "preceded_by" in want:
        before = source.line_text(diag.span.line)[: diag.span.column - 1]
        if not before.endswith(want["preceded_by"]):
            return f"is preceded by {before!r}"
    if want["message_contains"] not in diag.message:
        return f"message {diag.message!r}"
    if "hint_contains" in want and want["hint_contains"] not in (diag.hint or ""):
        return f"hint {diag.hint!r}"
    return None


def _match_all(
    wanted: list[dict[str, Any]], found: list[Diagnostic], mismatch: Any
) -> tuple[list[str], list[Diagnostic]]:
    """Pair each wanted diagnostic with a distinct found one; the problems and the leftovers."""
    left = list(found)
    problems = []
    for want in wanted:
        reasons = []
        for diag in left:
            why = mismatch(want, diag)
            if why is None:
                left.remove(diag)
                break
            reasons.append(f"{diag.code}: {why}")
        else:
            problems.append(f"expected {want} but got: {reasons or 'nothing'}")
    return problems, left


@pytest.mark.parametrize("policy", POLICIES, ids=case_id)
def test_bad_policy(policy: Path) -> None:
    wanted = expected_diagnostics(policy)
    _, found, sources = check_file(policy)
    shown = "\n".join(render(d, sources) for d in found) or "(no diagnostics)"
    problems, extra = _match_all(wanted, found, lambda w, d: _policy_mismatch(w, d, policy, sources))
    assert not problems, "\n".join(problems) + "\n--- svrules said:\n" + shown
    assert not extra, "unexpected further diagnostics:\n" + "\n".join(render(d, sources) for d in extra)


@pytest.mark.parametrize("policy", POLICIES, ids=case_id)
def test_bad_policy_through_load_policy(policy: Path) -> None:
    """`load_policy` refuses a policy with errors, carrying the diagnostics; warnings alone load."""
    wanted = expected_diagnostics(policy)
    errors = [want for want in wanted if want.get("severity", "error") == "error"]
    if not errors:
        loaded = load_policy(policy)
        assert {d.code for d in loaded.warnings} == {w["code"] for w in wanted}
        return
    with pytest.raises(PolicyError) as info:
        load_policy(policy)
    got = info.value.errors
    assert len(got) == len(errors), str(info.value)
    assert all(d.span is not None and d.span.line >= 1 for d in got)
    assert str(info.value)  # renders without raising


def test_policy_errors_say_what_to_do() -> None:
    """Spec, Diagnostics: every error in a policy 'says what to do' (the hint line)."""
    silent = []
    for policy in POLICIES:
        _, found, _ = check_file(policy)
        silent += [f"{case_id(policy)}: {d.code}" for d in found if d.severity == "error" and not d.hint]
    assert not silent, "errors with no hint:\n" + "\n".join(silent)


def test_policy_messages_read_as_english() -> None:
    """A message is a sentence a policy lead can read, e.g. not 'unexpected the end of the line'."""
    garbled = []
    for policy in POLICIES:
        _, found, _ = check_file(policy)
        garbled += [f"{case_id(policy)}: {d.message}" for d in found if "unexpected the " in d.message]
    assert not garbled, "\n".join(garbled)


GOOD_POLICIES = sorted((CORPUS / "good-policies").glob("*.svr"))


@pytest.mark.parametrize("policy", GOOD_POLICIES, ids=lambda p: p.stem)
def test_near_miss_checks_clean(policy: Path) -> None:
    """Valid text close to a defect (weights of exactly 100%, [100, 200], a guarded `bid`…) is not flagged."""
    _, found, sources = check_file(policy)
    assert not found, "\n".join(render(d, sources) for d in found)
    load_policy(policy)


# ---------------------------------------------------------------- tenders


@cache
def _policy(path: str) -> Any:
    return load_policy(path)


def _tender_mismatch(want: dict[str, Any], diag: Diagnostic) -> str | None:
    if diag.code not in _options(want["code"]):
        return f"code {diag.code}"
    if "where" in want and want["where"] not in (diag.where or ""):
        return f"where {diag.where!r}"
    if "where" not in want and diag.where:
        return f"where {diag.where!r} (none expected)"
    if want["message_contains"] not in diag.message:
        return f"message {diag.message!r}"
    if "hint_contains" in want and want["hint_contains"] not in (diag.hint or ""):
        return f"hint {diag.hint!r}"
    if "line" in want and (diag.span is None or diag.span.line not in _options(want["line"])):
        return f"place {diag.span}"
    if "column" in want and (diag.span is None or diag.span.column != want["column"]):
        return f"place {diag.span}"
    return None


def _tender_policy(tender: Path) -> str:
    return str(ROOT / expected_of(tender).get("policy", DEFAULT_POLICY.relative_to(ROOT)))


@pytest.mark.parametrize("tender", TENDERS, ids=case_id)
def test_bad_tender(tender: Path) -> None:
    wanted = expected_diagnostics(tender)
    policy = _policy(_tender_policy(tender))
    with pytest.raises(InputError) as info:
        policy.evaluate(tender)
    found = info.value.diagnostics
    shown = str(info.value)
    problems, extra = _match_all(wanted, found, _tender_mismatch)
    assert not problems, "\n".join(problems) + "\n--- svrules said:\n" + shown
    assert not extra, "unexpected further diagnostics:\n" + "\n".join(render(d) for d in extra)
    for diag in found:  # every problem names the file it is in
        assert diag.file is not None and Path(diag.file).name == tender.name, diag


@pytest.mark.parametrize(
    "tender",
    [t for t in TENDERS if t.is_file() and expected_diagnostics(t)[0]["code"] != "unreadable-file"],
    ids=case_id,
)
def test_bad_tender_as_text(tender: Path) -> None:
    """The same tender passed as JSON text gives the same problems."""
    policy = _policy(_tender_policy(tender))
    with pytest.raises(InputError) as from_file:
        policy.evaluate(tender)
    with pytest.raises(InputError) as from_text:
        policy.evaluate(tender.read_text(encoding="utf-8"))
    assert [(d.code, d.where, d.message) for d in from_text.value.diagnostics] == [
        (d.code, d.where, d.message) for d in from_file.value.diagnostics
    ]


def test_float_in_a_mapping_is_refused() -> None:
    policy = _policy(str(DEFAULT_POLICY))
    tender = json.loads((EXAMPLES / "example-borough" / "tenders" / "spec-two-bids.json").read_text())
    with pytest.raises(InputError) as info:
        policy.evaluate(tender)  # local_hires_fte 9.5 became a float
    assert [d.code for d in info.value.diagnostics] == ["float-input"]
    assert "9.5" in info.value.diagnostics[0].message
    exact = json.loads(
        (EXAMPLES / "example-borough" / "tenders" / "spec-two-bids.json").read_text(), parse_float=Decimal
    )
    assert policy.evaluate(exact).as_of.isoformat() == "2025-06-02"


@pytest.mark.parametrize("number", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_decimal_that_is_not_a_number_in_a_mapping(number: str) -> None:
    """Spec: NaN and Infinity are errors; a mapping holding Decimal('NaN') gives a diagnostic, not a crash."""
    policy = _policy(str(DEFAULT_POLICY))
    tender = json.loads(
        (EXAMPLES / "example-borough" / "tenders" / "spec-two-bids.json").read_text(), parse_float=Decimal
    )
    tender["bids"][0]["local_hires_fte"] = Decimal(number)
    with pytest.raises(InputError) as info:
        policy.evaluate(tender)
    [diag] = info.value.diagnostics
    assert diag.code == "bad-number"
    assert diag.where == "bid 'Acme Facilities Ltd', field 'local_hires_fte'"


@pytest.mark.parametrize("as_of", ["2025-13-01", "02/06/2025", "2025-6-2", "2025-02-29"])
def test_bad_as_of(as_of: str) -> None:
    policy = _policy(str(DEFAULT_POLICY))
    with pytest.raises(InputError) as info:
        policy.evaluate(EXAMPLES / "example-borough" / "tenders" / "spec-two-bids.json", as_of=as_of)
    assert [d.code for d in info.value.diagnostics] == ["bad-as-of"]
    assert as_of in info.value.diagnostics[0].message


def test_as_of_before_a_dated_parameter() -> None:
    """Spec, Edge cases: an error naming the parameter and its first date."""
    policy = _policy(str(EXAMPLES / "northfield-nhs" / "policy.svr"))
    with pytest.raises(InputError) as info:
        policy.evaluate(EXAMPLES / "northfield-nhs" / "tenders" / "estates-fm-2026.json", as_of="2023-12-31")
    [diag] = info.value.diagnostics
    assert diag.code == "as-of-before-param"
    assert "net_zero_target" in diag.message and "2024-01-01" in diag.message
    # the first date itself is fine
    result = policy.evaluate(
        EXAMPLES / "northfield-nhs" / "tenders" / "estates-fm-2026.json", as_of="2024-01-01"
    )
    assert result.to_json()["params"]["net_zero_target"] == "2045"


# ---------------------------------------------------------------- the corpus itself


def test_corpus_size_and_pairing() -> None:
    assert len(POLICIES) >= 40
    assert len(TENDERS) >= 20
    for path in [*POLICIES, *TENDERS]:
        assert path.with_name(f"{path.stem}.expected.json").is_file(), path
    for expected in [*POLICY_DIR.rglob("*.expected.json"), *TENDER_DIR.glob("*.expected.json")]:
        stem = expected.name.removesuffix(".expected.json")
        assert any(expected.with_name(stem + ext).exists() for ext in (".svr", ".json")), expected


def test_corpus_covers_the_codes() -> None:
    """The corpus exercises every policy and tender code the brief lists."""
    policy_codes = {c for p in POLICIES for w in expected_diagnostics(p) for c in _options(w["code"])[:1]}
    tender_codes = {c for t in TENDERS for w in expected_diagnostics(t) for c in _options(w["code"])[:1]}
    assert {
        "tab-indent", "bad-dedent", "unexpected-indent", "missing-colon", "unclosed-string",
        "single-equals", "chained-comparison", "syntax-error", "empty-block", "bad-money",
        "invalid-date", "unknown-field", "unknown-name", "unknown-type", "unknown-function",
        "unit-mismatch", "missing-percent", "not-yes-no", "true-false", "duplicate-field",
        "duplicate-rule", "duplicate-theme", "duplicate-param", "duplicate-let", "duplicate-item",
        "missing-item", "item-not-allowed", "reserved-name", "weights-over-100", "bad-weight",
        "bad-band-score", "bad-scale-level", "linear-empty-range", "template-unknown-name",
        "template-unknown-field", "template-unknown-filter", "template-filter-type",
        "template-syntax", "template-outside-folder", "template-not-found", "param-dates-order",
        "dated-param-not-literal", "let-shadows-param", "field-out-of-scope", "measure-field-clash",
        "one-of-not-text", "bad-range", "unknown-rating", "list-not-literal", "bad-call",
        "ambiguous-comma", "not-snake-case",
    } <= policy_codes  # fmt: skip
    assert {
        "bad-json", "unknown-key", "unknown-field", "missing-field", "wrong-type", "out-of-range",
        "not-one-of", "wrong-currency", "duplicate-bidder", "bad-bidder", "repeated-key",
        "bad-number", "bad-tender", "unreadable-file",
    } <= tender_codes  # fmt: skip
