"""The change in meaning between two versions of a policy, for review (`svrules diff`).

Policies are compared as typed ASTs, so a change that only reformats a file is "no change
in meaning". The parts: `compare` (two policies → a list of `Change`s), `changes` (one
change and its wording), `impact` (a tender under both versions), `revisions` (a policy at
a git revision) and `report` (the whole diff as text, Markdown and the JSON of docs/diff.md).
"""

from svrules.language.printer import (
    band_text,
    expr_text,
    field_decl_text,
    literal_text,
    param_text,
    quote,
    rating_text,
    score_text,
)
from svrules.tools.diff.changes import Change, DiffError, text_diff
from svrules.tools.diff.compare import diff_policies, param_values
from svrules.tools.diff.impact import (
    BidImpact,
    Delta,
    RuleImpact,
    TenderImpact,
    compare_results,
    tender_impact,
)
from svrules.tools.diff.report import DIFF_FORMAT_VERSION, PolicyDiff, PolicySide
from svrules.tools.diff.revisions import load_revision, revision_source

__all__ = [
    "DIFF_FORMAT_VERSION",
    "BidImpact",
    "Change",
    "Delta",
    "DiffError",
    "PolicyDiff",
    "PolicySide",
    "RuleImpact",
    "TenderImpact",
    "band_text",
    "compare_results",
    "diff_policies",
    "expr_text",
    "field_decl_text",
    "literal_text",
    "load_revision",
    "param_text",
    "param_values",
    "quote",
    "rating_text",
    "revision_source",
    "score_text",
    "tender_impact",
    "text_diff",
]
