"""`svrules fmt`: one canonical layout, the same meaning, every comment kept.

The promises tested here: formatting is a fixed point (formatting the output again
changes nothing); the AST of the output equals the AST of the input (spans aside); every
comment survives; a file that does not parse is never touched; `--check` changes nothing
and names what it would change. Hypothesis generates random policy ASTs (every kind of
rule, every score form, random expressions and strings) and random comments.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from svrules.cli.app import app
from svrules.core.literals import money_literal, percent_literal
from svrules.core.source import SourceFile
from svrules.language import nodes as n
from svrules.language.builder import build
from svrules.language.parser import parse
from svrules.language.printer import expr_text, policy_text, string_literal
from svrules.tools.fmt import FormatError, format_policy

from .conftest import EXAMPLES

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EXAMPLE_POLICIES = sorted(EXAMPLES.glob("*/policy.svr"))


def read_ast(text: str, path: str = "<test>") -> n.Policy:
    """Parse and build, failing the test on any error or warning."""
    policy, diagnostics = build(parse(SourceFile(path, text)), path)
    assert not diagnostics, diagnostics
    return policy


def comment_lines(text: str) -> list[str]:
    """Every comment of a text, full-line and end-of-line: a `#` outside strings, to the line's end."""
    found, i, quote = [], 0, ""
    while i < len(text):
        if quote:
            if text.startswith("\\", i):
                i += 2
                continue
            if text.startswith(quote, i):
                i, quote = i + len(quote), ""
                continue
            i += 1
        elif text.startswith('"""', i) or text[i] == '"':
            quote = '"""' if text.startswith('"""', i) else '"'
            i += len(quote)
        elif text[i] == "#":
            end = text.find("\n", i) % (len(text) + 1)
            found.append(text[i:end].rstrip())
            i = end
        else:
            i += 1
    return found


def fmt(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["fmt", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize("path", EXAMPLE_POLICIES, ids=lambda p: p.parent.name)
def test_examples_format_to_a_fixed_point_with_the_same_ast(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = format_policy(text, str(path))
    assert format_policy(once, str(path)) == once
    assert read_ast(once) == read_ast(text)
    for comment in comment_lines(text):
        assert comment in once


def test_examples_are_found() -> None:
    assert len(EXAMPLE_POLICIES) >= 3


# --------------------------------------------------------------------------- golden files

MESSY = '''\
# Messy Borough: every line here is written the long way round.
policy messy_borough   "Messy Borough social value policy"  :   # the header
  summary "Contracts of £1m or more."
  # the version comes first in canonical order
  version   "2025.1"
  applies when ((contract.value >= £1000000))
  authority "Messy Borough Council"

  bid:
     pays_rlw: yes/no "Pays the Real Living Wage"   # yes or no
     sme_spend:   percent from 0% to 100.0% "Share of spend with SMEs"
     apprenticeships : count

  contract:
     value: money "Contract value"
     category: text one of ["goods","services" ,   "works"]



  param threshold = £2,500,000   # two and a half million
  param rate = £12.60 from 2024-04-01,£13.45 from 2025-04-01
  theme fair "Fair work":
    # a gate
    requirement rlw "Real Living Wage":
      explain "Pay at least {{ rate | money }} an hour, or \\"more\\"."
      met when (bid.pays_rlw) and (contract.value >= threshold)
      ref "Living Wage Foundation"
      applies when contract.category in (["services", "works"])
    criterion sme "SME spend":
      score linear (bid.sme_spend) from 10% to (40.0%)
      weight 5%     # of the whole tender
    criterion apprentices "Apprenticeships":
      weight 5%
      let per_m = (contract.value / £1m)
      let wanted = ((per_m * 2) - (1 - 0.5))
      score bands bid.apprenticeships / wanted:
          at least 1 : 100%
          otherwise : 0%
      clause """
  The Supplier shall create {{ wanted }} apprenticeships. # not a comment
  """
  # closing remarks
'''

CANONICAL = '''\
# Messy Borough: every line here is written the long way round.
policy messy_borough "Messy Borough social value policy":  # the header
    # the version comes first in canonical order
    version "2025.1"
    authority "Messy Borough Council"
    applies when contract.value >= £1m
    summary """
        Contracts of £1m or more.
    """

    contract:
        value: money "Contract value"
        category: text one of ["goods", "services", "works"]

    bid:
        pays_rlw: yes/no "Pays the Real Living Wage"  # yes or no
        sme_spend: percent from 0% to 100% "Share of spend with SMEs"
        apprenticeships: count

    param threshold = £2.5m  # two and a half million
    param rate = £12.60 from 2024-04-01, £13.45 from 2025-04-01

    theme fair "Fair work":

        # a gate
        requirement rlw "Real Living Wage":
            ref "Living Wage Foundation"
            applies when contract.category in ["services", "works"]
            met when bid.pays_rlw and contract.value >= threshold
            explain "Pay at least {{ rate | money }} an hour, or \\"more\\"."

        criterion sme "SME spend":
            weight 5%  # of the whole tender
            score linear bid.sme_spend from 10% to 40%

        criterion apprentices "Apprenticeships":
            let per_m = contract.value / £1m
            let wanted = per_m * 2 - (1 - 0.5)
            weight 5%
            score bands bid.apprenticeships / wanted:
                at least 1: 100%
                otherwise: 0%
            clause """
                The Supplier shall create {{ wanted }} apprenticeships. # not a comment
            """
# closing remarks
'''


def test_messy_file_formats_to_the_golden_canonical_file() -> None:
    assert format_policy(MESSY, "messy.svr") == CANONICAL
    assert format_policy(CANONICAL, "canonical.svr") == CANONICAL
    assert read_ast(MESSY) == read_ast(CANONICAL)


def test_every_comment_of_the_messy_file_survives() -> None:
    out = format_policy(MESSY)
    comments = comment_lines(MESSY)
    assert len(comments) == 8
    for comment in comments:
        assert comment in out
    # A `#` inside a string is text, not a comment: it stays inside the clause.
    assert "apprenticeships. # not a comment\n" in out


def test_check_passes_a_canonical_file_and_names_a_messy_one(tmp_path: Path) -> None:
    canonical = tmp_path / "canonical.svr"
    messy = tmp_path / "messy.svr"
    canonical.write_text(CANONICAL, encoding="utf-8")
    messy.write_text(MESSY, encoding="utf-8")

    code, out, _ = fmt("--check", canonical)
    assert code == 0
    assert "would reformat" not in out

    code, out, _ = fmt("--check", tmp_path)
    assert code == 1
    assert f"would reformat: {messy}" in out
    assert str(canonical) not in out
    assert messy.read_text(encoding="utf-8") == MESSY  # --check changes nothing


def test_fmt_rewrites_changed_files_only(tmp_path: Path) -> None:
    canonical = tmp_path / "canonical.svr"
    messy = tmp_path / "messy.svr"
    canonical.write_text(CANONICAL, encoding="utf-8")
    messy.write_text(MESSY, encoding="utf-8")
    messy.chmod(0o640)
    before = canonical.stat().st_mtime_ns

    code, out, _ = fmt(tmp_path)
    assert code == 0
    assert out.strip() == f"reformatted: {messy}"
    assert messy.read_text(encoding="utf-8") == CANONICAL
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640  # the rewrite keeps the file's mode
    assert canonical.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canonical.svr", "messy.svr"]  # no temp files left

    code, out, _ = fmt("--check", tmp_path)
    assert (code, out) == (0, "")


def test_bom_crlf_and_missing_final_newline_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "p.svr"
    path.write_bytes(b"\xef\xbb\xbf" + CANONICAL.rstrip("\n").replace("\n", "\r\n").encode("utf-8"))
    code, _, _ = fmt("--check", path)
    assert code == 1
    code, _, _ = fmt(path)
    assert code == 0
    assert path.read_bytes() == CANONICAL.encode("utf-8")


# --------------------------------------------------------------------------- files with errors

BROKEN = CANONICAL.replace("met when bid.pays_rlw and", "met when bid.pays_rlw = yes and")


@pytest.mark.parametrize("check", [False, True])
def test_a_file_with_a_syntax_error_is_left_byte_for_byte(tmp_path: Path, check: bool) -> None:
    path = tmp_path / "broken.svr"
    raw = BROKEN.replace("    ", "  ").encode("utf-8")  # messy as well as broken
    path.write_bytes(raw)
    code, _, err = fmt(*(["--check"] if check else []), path)
    assert code == 1
    assert path.read_bytes() == raw
    line = (
        BROKEN.splitlines().index("            met when bid.pays_rlw = yes and contract.value >= threshold")
        + 1
    )
    assert f"{path}:{line}:" in err
    assert "'=' cannot compare two values" in err
    assert "^" in err  # the caret under the place
    assert f"not formatted: {path}" in err


def test_a_rule_the_builder_sets_aside_is_never_formatted_away(tmp_path: Path) -> None:
    # Without its `met when`, the builder drops the rule: printing the AST would lose it.
    text = CANONICAL.replace("            met when bid.pays_rlw and contract.value >= threshold\n", "")
    with pytest.raises(FormatError) as failed:
        format_policy(text, "x.svr")
    assert [d.code for d in failed.value.diagnostics] == ["missing-item"]


def test_an_ambiguous_comma_is_not_made_permanent() -> None:
    text = CANONICAL.replace("at least 1: 100%", "at least [100,200]: 100%")
    with pytest.raises(FormatError) as failed:
        format_policy(text, "x.svr")
    assert [d.code for d in failed.value.diagnostics] == ["ambiguous-comma"]


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.svr"
    path.write_text(BROKEN, encoding="utf-8")
    script = Path(sys.executable).with_name("svrules")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "svrules"]
    env = {k: v for k, v in os.environ.items() if k != "SVRULES_DEBUG"}
    for args in (
        ["fmt", str(path)],
        ["fmt", str(tmp_path / "missing.svr")],
        ["fmt", str(tmp_path / "empty")],
    ):
        result = subprocess.run(
            [*command, *args], capture_output=True, text=True, encoding="utf-8", env=env, timeout=60
        )
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr + result.stdout
    assert path.read_text(encoding="utf-8") == BROKEN


def test_no_policies_found(tmp_path: Path) -> None:
    code, _, err = fmt(tmp_path)
    assert code == 1
    assert "no .svr files found" in err


# --------------------------------------------------------------------------- literals and expressions


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("£1000000", "£1m"),
        ("£1,000,000", "£1m"),
        ("£2400000", "£2.4m"),
        ("£250,000", "£250k"),
        ("£1500", "£1.5k"),
        ("£1010", "£1,010"),
        ("£5,193,000", "£5,193,000"),
        ("£139,688", "£139,688"),
        ("£12.60", "£12.60"),
        ("£12.00", "£12"),
        ("£245.50", "£245.50"),
        ("£0.25", "£0.25"),
        ("£2bn", "£2bn"),
        ("£2500bn", "£2,500bn"),
        ("-£5", "-£5"),
        ("-£1.5m", "-£1.5m"),
    ],
)
def test_money_is_written_in_its_shortest_exact_form(written: str, canonical: str) -> None:
    assert _param_text(written) == canonical


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("12.50%", "12.5%"), ("100.0%", "100%"), ("0%", "0%"), ("1,000", "1000"), ("2.50", "2.5"), ("-3", "-3")],
)
def test_percents_and_numbers_are_plain(written: str, canonical: str) -> None:
    assert _param_text(written) == canonical


def _param_text(written: str) -> str:
    out = format_policy(f'policy p "P":\n    param x = {written}\n')
    return out.splitlines()[1].removeprefix("    param x = ")


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a + (b - c)", "a + (b - c)"),
        ("a / (b * c)", "a / (b * c)"),
        ("(a * b) + (c / d)", "a * b + c / d"),
        ("(a + b) * c", "(a + b) * c"),
        ("-(a + b)", "-(a + b)"),
        ("-(a)", "-a"),
        ("a * -2", "a * -2"),
        ("(-2) * a", "-2 * a"),
        ("not (a and b)", "not (a and b)"),
        ("(not a) and b", "not a and b"),
        ("a or (b and c)", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b or c)", "a or (b or c)"),
        ("(a < b) == c", "(a < b) == c"),
        ("not (a < b)", "not a < b"),
        ("(a if b else c) if d else e", "(a if b else c) if d else e"),
        ("a if b else (c if d else e)", "a if b else c if d else e"),
        ("a if (b or c) else d", "a if b or c else d"),
        ("(a if b else c) + 1", "(a if b else c) + 1"),
        ("max((a), (b + 1),c)", "max(a, b + 1, c)"),
        ('contract.category not in (["a","b"])', 'contract.category not in ["a", "b"]'),
    ],
)
def test_expressions_keep_only_the_parentheses_they_need(written: str, canonical: str) -> None:
    assert _param_text(written) == canonical


@pytest.mark.parametrize(
    "value", ["plain", 'a "quoted" word', "back\\slash", '\\"', "tab\there", "#not a comment", ""]
)
def test_strings_are_re_escaped_and_read_back(value: str) -> None:
    token = string_literal(value)
    lit = n.Literal("text", value)
    assert read_ast(f'policy p "P":\n    param x = {token}\n').params[0].values[0].value == lit


def test_triple_quoted_text_is_re_indented_to_its_block() -> None:
    text = 'policy p "P":\n    requirement r "R":\n     met when yes\n     explain """\nline one\n  line two\n\n"""\n'
    out = format_policy(text)
    assert out.endswith('        explain """\n            line one\n              line two\n\n        """\n')
    assert read_ast(out) == read_ast(text)


# --------------------------------------------------------------------------- comments

COMMENTED = '''\
#!header comment

# second header comment
policy p "P":  # on the header
    bid:
        # before a field
        x: number  # after a field
    applies when (contract.value  # inside a statement
        # a full line inside a statement
        >= £1m)
    requirement r "R":
        explain """
            # not a comment
        """  # after a triple-quoted string
        met when yes  # after met when
        # before the end of the rule
    # at the end of the policy

        # deeper, at the end of the file
'''


def test_comments_go_with_their_statements() -> None:
    out = format_policy(COMMENTED)
    assert out == (
        "#!header comment\n"
        "\n"
        "# second header comment\n"
        'policy p "P":  # on the header\n'
        "    # a full line inside a statement\n"
        "    applies when contract.value >= £1m  # inside a statement\n"
        "\n"
        "    bid:\n"
        "        # before a field\n"
        "        x: number  # after a field\n"
        "\n"
        '    requirement r "R":\n'
        "        met when yes  # after met when\n"
        '        explain """\n'
        "            # not a comment\n"
        '        """  # after a triple-quoted string\n'
        "        # before the end of the rule\n"
        "    # at the end of the policy\n"
        "\n"
        "        # deeper, at the end of the file\n"
    )
    assert format_policy(out) == out
    assert read_ast(out) == read_ast(COMMENTED)


def test_a_comment_in_an_unusual_place_is_never_lost() -> None:
    text = 'policy p "P":\n    kpi k "K":\n        rating delivery.x:  # the scale\n            otherwise: other  # last\n        material  # flagged\n'
    out = format_policy(text)
    for comment in ("# the scale", "# last", "# flagged"):
        assert comment in out
    assert "        material  # flagged\n" in out
    assert format_policy(out) == out


# --------------------------------------------------------------------------- random policies

NAMES = st.from_regex(r"[a-z]{1,5}_[a-z0-9]{0,3}", fullmatch=True)
ALPHABET = st.sampled_from([*"ab Z09\"\\#{}%£é:,.()-'", "\t", "{{ x }}", '"""', "\\\\"])
SHORT_TEXT = st.lists(ALPHABET, max_size=8).map("".join)
_LINE = st.tuples(st.sampled_from(list("aZ9#£{\"'\\")), SHORT_TEXT).map("".join)
BLOCK_TEXT = st.lists(st.one_of(st.just(""), _LINE), min_size=1, max_size=4).map("\n".join)
ANY_TEXT = st.one_of(SHORT_TEXT, SHORT_TEXT, BLOCK_TEXT)
TEXTS = st.one_of(SHORT_TEXT.map(lambda v: n.Text(v, False)), BLOCK_TEXT.map(lambda v: n.Text(v, True)))


def _signed(values: st.SearchStrategy[Decimal]) -> st.SearchStrategy[Decimal]:
    return st.tuples(values, st.booleans()).map(lambda vs: -vs[0] if vs[1] else vs[0])


_MONEY = _signed(
    st.one_of(
        st.integers(0, 10**7).map(Decimal),
        st.decimals(min_value=0, max_value=10**9, places=2),
        st.tuples(st.integers(1, 99999), st.sampled_from([10, 10**4, 10**7])).map(
            lambda t: Decimal(t[0] * t[1])
        ),
    )
)
_NUMBER = _signed(
    st.one_of(st.integers(0, 10**6).map(Decimal), st.decimals(min_value=0, max_value=10**6, places=3))
)
_PERCENT = _signed(st.decimals(min_value=0, max_value=1000, places=2)).map(lambda d: d.scaleb(-2))
_DATES = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
DATE_LITERALS = _DATES.map(lambda d: n.Literal("date", d))
PERCENTS = _PERCENT.map(lambda v: n.Literal("percent", v))
LITERALS = st.one_of(
    _MONEY.map(lambda v: n.Literal("money", v)),
    _NUMBER.map(lambda v: n.Literal("number", v)),
    PERCENTS,
    DATE_LITERALS,
    st.one_of(SHORT_TEXT, SHORT_TEXT, BLOCK_TEXT).map(lambda v: n.Literal("text", v)),
    st.booleans().map(lambda v: n.Literal("yes/no", v)),
)
_NUMERIC = ("money", "number", "percent")


def _extend(sub: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    return st.one_of(
        st.builds(n.Binary, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(n.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]), sub, sub),
        st.builds(n.Logical, st.sampled_from(["and", "or"]), sub, sub),
        st.builds(n.Not, sub),
        st.builds(n.Conditional, sub, sub, sub),
        # The builder folds `-` into a number it precedes, so Negate never holds one.
        sub.filter(lambda e: not (isinstance(e, n.Literal) and e.kind in _NUMERIC)).map(n.Negate),
        st.builds(
            n.Call,
            st.sampled_from(["ceil", "round", "max", "clamp", "f_x"]),
            st.lists(sub, max_size=3).map(tuple),
        ),
        st.lists(sub, max_size=3).map(lambda items: n.ListLiteral(tuple(items))),
    )


EXPRS = st.recursive(
    st.one_of(
        LITERALS,
        NAMES.map(n.Name),
        st.just(n.Name("social_value")),
        st.builds(n.Field, st.sampled_from(["contract", "bid", "delivery"]), NAMES),
    ),
    _extend,
    max_leaves=8,
)
MAYBE_EXPR = st.one_of(st.none(), EXPRS)
RATINGS = st.sampled_from(["good", "approaching_target", "requires_improvement", "inadequate", "other"])


def _bands(results: st.SearchStrategy[n.Expr | str]) -> st.SearchStrategy[tuple[n.Band, ...]]:
    band = st.one_of(
        st.builds(n.Band, st.sampled_from(["at_least", "at_most"]), EXPRS, results),
        st.builds(n.Band, st.just("otherwise"), st.none(), results),
    )
    return st.lists(band, min_size=1, max_size=3).map(tuple)


SCORES = st.one_of(
    st.builds(n.ExprScore, EXPRS),
    st.builds(n.BandScore, EXPRS, _bands(st.one_of(PERCENTS, EXPRS))),
    st.builds(n.LinearScore, EXPRS, EXPRS, EXPRS),
    st.builds(n.RelativeScore, EXPRS, st.booleans()),
    st.builds(
        n.ScaleScore,
        EXPRS,
        st.lists(st.builds(n.ScaleLevel, EXPRS, ANY_TEXT), min_size=1, max_size=3).map(tuple),
    ),
)
CLAUSES = st.one_of(
    st.none(),
    TEXTS.map(lambda t: n.Clause(n.Template(t))),
    TEXTS.map(lambda t: n.Clause(n.Template(t, True), t.value)),
)
_HEAD = {
    "name": NAMES,
    "title": ANY_TEXT,
    "theme": st.none(),
    "span": st.just(n.NO_SPAN),
    "name_span": st.just(n.NO_SPAN),
}
_COMMON = {
    **_HEAD,
    "refs": st.lists(TEXTS, max_size=2).map(tuple),
    "applies": MAYBE_EXPR,
    "lets": st.lists(st.builds(n.Let, NAMES, EXPRS), max_size=2).map(tuple),
    "explain": st.one_of(st.none(), TEXTS.map(n.Template)),
    "clause": CLAUSES,
}
RULES = st.one_of(
    st.builds(n.Requirement, **_COMMON, met_when=EXPRS),
    st.builds(n.Criterion, **_COMMON, weight=PERCENTS, score=SCORES),
    st.builds(
        n.Measure,
        **_HEAD,
        refs=st.lists(TEXTS, max_size=2).map(tuple),
        applies=st.none(),
        lets=st.just(()),
        explain=st.none(),
        clause=st.none(),
        unit=st.one_of(st.none(), TEXTS),
        proxy=EXPRS,
    ),
    st.builds(n.Kpi, **_COMMON, material=st.booleans(), rating=st.builds(n.Rating, EXPRS, _bands(RATINGS))),
)
_RANGE = st.one_of(st.just((None, None)), st.tuples(LITERALS, LITERALS))
FIELDS = st.lists(
    st.tuples(
        NAMES,
        st.sampled_from(["money", "number", "count", "percent", "yes/no", "text", "date"]),
        st.one_of(
            st.none(),
            st.lists(SHORT_TEXT.map(lambda v: n.Literal("text", v)), max_size=3).map(
                lambda xs: n.ListLiteral(tuple(xs))
            ),
        ),
        _RANGE,
        st.booleans(),
        st.one_of(st.none(), ANY_TEXT),
    ).map(lambda t: n.FieldDecl(t[0], t[1], t[2], t[3][0], t[3][1], t[4], t[5])),
    max_size=3,
).map(tuple)
PARAMS = st.lists(
    st.builds(
        n.Param,
        NAMES,
        st.one_of(
            EXPRS.map(lambda e: (n.ParamValue(e),)),
            st.lists(
                st.builds(n.ParamValue, EXPRS, st.one_of(st.none(), DATE_LITERALS)), min_size=1, max_size=3
            ).map(tuple),
        ),
    ),
    max_size=3,
).map(tuple)


@st.composite
def policies(draw: st.DrawFn) -> n.Policy:
    entries = draw(st.lists(st.one_of(RULES, st.lists(RULES, min_size=1, max_size=3)), max_size=4))
    groups = [e for e in entries if isinstance(e, list)]
    theme_names = draw(st.lists(NAMES, min_size=len(groups), max_size=len(groups), unique=True))
    themes: list[n.Theme] = []
    rules: list[n.Rule] = []
    for entry in entries:
        if isinstance(entry, list):
            theme = n.Theme(theme_names[len(themes)], draw(ANY_TEXT))
            themes.append(theme)
            rules += [replace(rule, theme=theme.name) for rule in entry]
        else:
            rules.append(entry)
    policy = n.Policy(
        name=draw(NAMES),
        title=draw(ANY_TEXT),
        version=draw(st.one_of(st.none(), SHORT_TEXT)),
        authority=draw(st.one_of(st.none(), ANY_TEXT)),
        effective=draw(st.one_of(st.none(), _DATES)),
        summary=draw(st.one_of(st.none(), ANY_TEXT)),
        applies=draw(MAYBE_EXPR),
        contract=draw(FIELDS),
        bid=draw(FIELDS),
        delivery=draw(FIELDS),
        params=draw(PARAMS),
        themes=tuple(themes),
        rules=tuple(rules),
    )
    body = (policy.version, policy.authority, policy.effective, policy.summary, policy.applies)
    parts = (policy.contract, policy.bid, policy.delivery, policy.params, policy.rules)
    if all(v is None for v in body) and not any(parts):  # a policy's body is never empty
        policy = replace(policy, version="1")
    return policy


@PROPERTY
@given(policies())
def test_random_policies_round_trip_and_are_a_fixed_point(policy: n.Policy) -> None:
    text = policy_text(policy)
    assert read_ast(text) == policy
    assert format_policy(text) == text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.data())
def test_random_comments_survive_in_place(policy: n.Policy, data: st.DataObject) -> None:
    lines = policy_text(policy).splitlines()
    # Where a comment may go: not inside a triple-quoted string.
    # The printer escapes quotes inside strings, so each `"""` opens or closes one.
    inside, can_end = False, []
    for line in lines:
        inside ^= line.count('"""') % 2 == 1
        can_end.append(not inside and bool(line.strip()))
    between = [i for i in range(len(lines) + 1) if i == 0 or can_end[i - 1]]
    ends = [i for i in range(len(lines)) if can_end[i]]
    words = st.text(st.sampled_from(list('ab "#£é:')), max_size=10).map(str.rstrip)
    picks = data.draw(
        st.lists(st.tuples(st.booleans(), st.integers(0, 10**6), st.integers(0, 12), words), max_size=6)
    )
    before: dict[int, list[str]] = {}
    after: dict[int, str] = {}
    comments = []
    for number, (full, where, indent, word) in enumerate(picks):
        comment = f"# c{number} {word}".rstrip()
        comments.append(comment)
        if full or not ends:
            before.setdefault(between[where % len(between)], []).append(" " * indent + comment)
        else:
            line = ends[where % len(ends)]
            after[line] = after.get(line, "") + "  " + comment
    out = []
    for i, line in enumerate([*lines, None]):
        out += before.get(i, [])
        if line is not None:
            out.append(line + after.get(i, ""))
    text = "\n".join(out) + "\n"
    formatted = format_policy(text)
    for comment in comments:
        assert comment in formatted
    assert read_ast(formatted) == policy
    assert format_policy(formatted) == formatted


@PROPERTY
@given(_MONEY)
def test_every_amount_reads_back_exactly(value: Decimal) -> None:
    text = money_literal(value)
    parsed = read_ast(f'policy p "P":\n    param x = {text}\n').params[0].values[0].value
    assert parsed == n.Literal("money", value)


@PROPERTY
@given(_PERCENT)
def test_every_percent_reads_back_exactly(value: Decimal) -> None:
    parsed = read_ast(f'policy p "P":\n    param x = {percent_literal(value)}\n').params[0].values[0].value
    assert parsed == n.Literal("percent", value)


@PROPERTY
@given(EXPRS)
def test_expressions_read_back_as_themselves(expr: n.Expr) -> None:
    text = expr_text(expr, 4, as_written=False)
    parsed = read_ast(f'policy p "P":\n    param x = {text}\n').params[0].values[0].value
    assert parsed == expr
