"""How a criterion is scored, as document blocks: its score form in words (and its bands,
conditions or published scale as a table) from `words.scores`, what happens when an
optional answer is missing, and what each name means. The schedule, the methodology and
the assessment summary share it.
"""

from __future__ import annotations

from svrules.documents.model import Block, Paragraph, Table
from svrules.documents.view import PolicyView
from svrules.engine.compiler import CompiledRule, Env
from svrules.language import nodes as n
from svrules.words.scores import score_exprs, score_words


def method_blocks(
    view: PolicyView,
    crule: CompiledRule,
    env: Env | None,
    *,
    tender_word: str = "the tender",
    with_legend: bool = True,
) -> list[Block]:
    """How a criterion is scored, in words, with its bands or levels as a table; with a
    contract (`env`), thresholds show their values for it."""
    rule = crule.rule
    assert isinstance(rule, n.Criterion)
    said = score_words(rule.score, view.words, view.value_of(crule, env) if env is not None else None)
    blocks: list[Block] = [Paragraph(said.text)]
    if said.rows:
        blocks.append(Table(said.header, said.rows, said.numeric))
    note = view.unstated_note(
        [rule.applies, *(let.value for let in rule.lets), rule.score.value], "scores 0% on this criterion"
    )
    if note:
        blocks.append(Paragraph(note, "note"))
    if with_legend:
        legend = view.legend([rule.applies, *score_exprs(rule.score)], crule, env, tender_word=tender_word)
        if legend:
            blocks.append(legend)
    return blocks
