"""Template injection: every payload in tests/ssti/ is refused at check time or inert at render.

Templates are written by policy leads and reviewed, but not trusted. Each payload is put
in a policy's clause (a clause file) and explain (inline), then:

- if `svrules check` reports it, the diagnostics must be template errors at the payload's
  line (nothing renders);
- otherwise rendering the schedule and the feedback must end in a clear svrules error or
  plain text, with no file opened and no process started while it renders.

Each payload is also rendered directly through the sandbox, skipping the check.
"""

from __future__ import annotations

import builtins
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import svrules
import svrules.documents
import svrules.documents.writers  # imported now: a lazy import reads files, which the tripwires refuse
from svrules.api import check_file
from svrules.core.diagnostics import SvrulesError
from svrules.language.templates import (
    Money,
    TemplateRenderError,
    compile_template,
    render,
)

CORPUS = sorted((Path(__file__).parent / "ssti").glob("*.j2"))

POLICY = """policy ssti "Template injection probe":
    version "1"
    contract:
        value: money "Contract value"
    bid:
        fte: number "Local hires"
    requirement probe "Probe":
        ref "A reference"
        met when bid.fte >= 0
        explain "{explain}"
        clause from "clauses/payload.md.j2"
"""

TENDER = '{"contract": {"value": 1000000}, "bids": [{"bidder": "A Ltd", "fte": 2}]}'
LEAKS = ("<class", "<module", "<function", "<built-in", "uid=", "root:", "__globals__", "os.popen")


def test_the_corpus_has_at_least_fifteen_payloads() -> None:
    assert len(CORPUS) >= 15


class Tripwires:
    """Records (and refuses) any attempt to read a file or start a process, once armed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.monkeypatch = monkeypatch
        self.calls: list[str] = []

    def arm(self) -> None:
        for module, name in (
            (os, "system"),
            (os, "popen"),
            (os, "execv"),
            (os, "execve"),
            (os, "spawnv"),
            (subprocess, "Popen"),
            (subprocess, "run"),
            (subprocess, "check_output"),
            (builtins, "open"),
        ):
            self.monkeypatch.setattr(module, name, self._refuse(f"{module.__name__}.{name}"))

    def _refuse(self, name: str):  # type: ignore[no-untyped-def]
        def tripped(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls.append(name)
            raise RuntimeError(f"{name} called during rendering")

        return tripped


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> Tripwires:
    return Tripwires(monkeypatch)


def _policy_folder(tmp_path: Path, payload: str, explain: str | None = None) -> Path:
    folder = tmp_path / "policy"
    (folder / "clauses").mkdir(parents=True)
    escaped = (payload if explain is None else explain).replace("\\", "\\\\").replace('"', '\\"')
    (folder / "policy.svr").write_text(POLICY.format(explain=escaped), encoding="utf-8")
    (folder / "clauses" / "payload.md.j2").write_text(payload, encoding="utf-8")
    (folder / "tender.json").write_text(TENDER, encoding="utf-8")
    return folder


def _inert(text: str) -> bool:
    return not any(leak in text for leak in LEAKS) and len(text) < 1_100_000


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_payload_is_refused_at_check_or_inert_at_render(
    path: Path, tmp_path: Path, tripwires: Tripwires
) -> None:
    payload = path.read_text(encoding="utf-8")
    folder = _policy_folder(tmp_path, payload)
    _, diagnostics, _ = check_file(folder / "policy.svr")
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        for diag in errors:
            assert diag.code.startswith("template-") or diag.code in ("bare-root", "too-deep"), diag
            assert diag.span is not None
            # the clause file's first line, or the explain's line in the policy
            assert (diag.span.path.endswith("payload.md.j2") and diag.span.line == 1) or (
                diag.span.path.endswith("policy.svr") and diag.span.line == 10
            ), diag
        return
    policy = svrules.load_policy(folder / "policy.svr")
    tender = policy.validate(Path(folder / "tender.json"))
    tripwires.arm()
    outputs = []
    for render_document in (
        lambda: policy.render_schedule(tender=tender),
        lambda: policy.render_schedule(tender=tender, bidder="A Ltd"),
        lambda: policy.evaluate(tender).feedback("A Ltd"),
    ):
        try:
            outputs.append(render_document())
        except SvrulesError as exc:
            assert {d.code for d in exc.diagnostics} <= {"render-failed", "render-limit"}, exc
            message = str(exc)
            assert "probe" in message and "ssti" in message, message  # names the rule and policy
            assert "Traceback" not in message
    assert tripwires.calls == []
    assert all(_inert(text) for text in outputs)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_sandbox_alone_refuses_or_renders_inert(path: Path, tripwires: Tripwires) -> None:
    """Defence in depth: compiled without the check, every payload still fails cleanly."""
    payload = path.read_text(encoding="utf-8")
    try:
        template = compile_template(payload)
    except TemplateRenderError as exc:  # too deep to compile: refused, with svrules' code
        assert exc.code == "too-deep", exc
        return
    except Exception as exc:  # a syntax error Jinja reports while compiling is also refusal
        assert type(exc).__module__.startswith("jinja2"), exc
        return
    context = {
        "contract": {"value": Money(Decimal(1000000))},
        "bid": {"fte": Decimal(2)},
        "rule": {"id": "probe", "title": "Probe", "refs": ["A reference"]},
    }
    tripwires.arm()
    try:
        text = render(template, context)
    except TemplateRenderError as exc:
        assert exc.code in ("render-failed", "render-limit")
    else:
        assert _inert(text), text[:200]
    assert tripwires.calls == []


def test_limits_name_the_template_line(tmp_path: Path) -> None:
    payload = "Line one.\n{% set s = 'x' * 1000 %}\n{{ s * 5000 }}\n"
    folder = _policy_folder(tmp_path, payload, explain="Fine.")
    policy = svrules.load_policy(folder / "policy.svr")
    with pytest.raises(SvrulesError) as caught:
        policy.render_schedule(tender=Path(folder / "tender.json"))
    (diag,) = caught.value.diagnostics
    assert diag.code == "render-limit"
    assert diag.span is not None and diag.span.path.endswith("payload.md.j2") and diag.span.line == 3
    assert "requirement 'probe'" in diag.message and "policy 'ssti'" in diag.message


def test_rendering_stops_after_two_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from svrules.core import limits

    monkeypatch.setattr(limits, "MAX_SECONDS", 0.05)
    monkeypatch.setattr(limits, "MAX_LOOP_STEPS", 10**9)
    slow = compile_template(
        "{% set s = 'x' * 2000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
    )
    with pytest.raises(TemplateRenderError) as caught:
        render(slow, {})
    assert caught.value.code == "render-limit" and "seconds" in caught.value.message
