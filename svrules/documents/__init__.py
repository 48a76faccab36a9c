"""Documents from the rules: the social value schedule (`schedule`), the assessment summary
(`feedback`) and the assessment methodology (`methodology`), built from a compiled policy as
one neutral document model (`model`), which `writers` writes as Markdown, HTML or DOCX; and
a policy's published page (`policy_pages`). Templates render through `templates.render`; a
failure is a `PolicyError` at its line.
"""

from __future__ import annotations

from svrules.documents.common import compiled_of, read_contract
from svrules.documents.feedback import feedback, feedback_all, file_stems
from svrules.documents.methodology import methodology
from svrules.documents.model import Block, Bullets, ClauseBlock, Document, Facts, Paragraph, Section, Table
from svrules.documents.schedule import schedule
from svrules.documents.view import PolicyView
from svrules.words.runs import Inline, plain_text

__all__ = [
    "Block",
    "Bullets",
    "ClauseBlock",
    "Document",
    "Facts",
    "Inline",
    "Paragraph",
    "PolicyView",
    "Section",
    "Table",
    "compiled_of",
    "feedback",
    "feedback_all",
    "file_stems",
    "methodology",
    "plain_text",
    "read_contract",
    "schedule",
]
