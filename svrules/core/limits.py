"""Every limit svrules sets on what it reads, checks and renders, in one table.

A limit turns an input svrules cannot handle safely (an expression nested too deep for the
generated code, a template that would allocate gigabytes, a FIFO given as a policy file)
into a located diagnostic that names the limit, instead of a crash or a hang. Each is set
well above anything a real policy, tender or template needs; docs/limits.md lists them.
"""

from __future__ import annotations

# ---------------------------------------------------------------- policies

MAX_EXPRESSION_DEPTH = 100
"""How deeply one expression may nest (brackets, unary `-`/`not`, `if … else`, operands)."""
MAX_EXPRESSION_TERMS = 500
"""How many operators and operands one expression may hold in all."""

# ---------------------------------------------------------------- files

MAX_FILE_BYTES = 16 * 1024 * 1024
"""The largest policy, clause, tender or report file svrules reads (16 MiB)."""
MAX_PATH_CHARS = 1024
"""The longest path a policy may name for a clause file."""

# ---------------------------------------------------------------- JSON input

MAX_JSON_DEPTH = 64
"""How deeply arrays and objects may nest in a tender or report."""
