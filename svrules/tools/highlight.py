"""A Pygments lexer for SVR, so ```svr blocks highlight in the docs site, `pygmentize`
and Rich. Registered under the entry point `pygments.lexers: svr`. The built-ins it
knows are the language's own table (`language.functions`).
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from svrules.language.functions import BUILT_INS

_STATEMENTS = (
    "policy", "version", "authority", "effective", "summary", "applies", "when", "contract", "bid",
    "delivery", "param", "theme", "requirement", "criterion", "measure", "kpi", "ref", "let", "met",
    "explain", "clause", "weight", "score", "bands", "linear", "relative", "lowest", "scale", "unit",
    "proxy", "material", "rating", "at", "least", "most", "otherwise", "from", "to", "one", "of", "optional",
)  # fmt: skip
_OPERATORS = ("and", "or", "not", "in", "if", "else")
_TYPES = ("money", "number", "count", "percent", "text", "date")
_CONSTANTS = ("yes", "no", "good", "approaching_target", "requires_improvement", "inadequate", "other")


class SvrLexer(RegexLexer):
    """SVR, the social value rules language."""

    name = "SVR"
    aliases = ["svr"]  # noqa: RUF012 - Pygments reads these as class attributes
    filenames = ["*.svr"]  # noqa: RUF012
    mimetypes = ["text/x-svr"]  # noqa: RUF012

    tokens = {  # noqa: RUF012
        "root": [
            (r"\s+", Whitespace),
            (r"#.*$", Comment.Single),
            (r'"""', String.Doc, "long"),
            (r'"(\\\\|\\"|[^"\\\n])*"', String.Double),
            (r"£[0-9][0-9,]*(\.[0-9]+)?(k|m|bn)?", Number),
            (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", Number.Other),
            (r"[0-9][0-9,]*(\.[0-9]+)?%?", Number),
            (r"yes/no\b", Keyword.Type),
            (
                r"(contract|bid|delivery|rule)(\.)([A-Za-z_][A-Za-z0-9_]*)",
                bygroups(Name.Builtin, Punctuation, Name.Attribute),
            ),
            (words(_OPERATORS, suffix=r"\b"), Operator.Word),
            (words(_CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(_TYPES, suffix=r"\b"), Keyword.Type),
            (words(_STATEMENTS, suffix=r"\b"), Keyword),
            (words(tuple(BUILT_INS), suffix=r"(?=\()"), Name.Builtin),
            (r"social_value\b", Name.Builtin),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
            (r"==|!=|<=|>=|[<>=+\-*/]", Operator),
            (r"[:,()\[\].]", Punctuation),
            (r".", Text),
        ],
        "long": [
            (r'"""', String.Doc, "#pop"),
            (r'[^"]+|"', String.Doc),
        ],
    }
