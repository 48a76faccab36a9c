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
"""The longest path a policy may name for a clause file (and any path svrules reads a file from)."""
MAX_BATCH_BYTES = 1024 * 1024 * 1024
"""The largest JSON Lines file `svrules batch` reads (1 GiB: many tenders, one per line)."""

# ---------------------------------------------------------------- JSON input

MAX_JSON_DEPTH = 64
"""How deeply arrays and objects may nest in a tender or report."""
MAX_NUMBER_DIGITS = 28
"""The most significant digits a number in a tender or report may have (svrules computes with 28)."""
MAX_NUMBER_PLACES = 28
"""The most decimal places a number in a tender or report may have (0.0000000000000000000000000001)."""
NUMBER_MAGNITUDE_DIGITS = 15
"""A number in a tender or report is below 10^15 (a thousand million million) in size."""

# ---------------------------------------------------------------- templates

MAX_OUTPUT = 1_000_000
"""The most characters one rendering may produce (about 1 MB); more aborts the rendering."""
MAX_SECONDS = 2.0
"""The longest one rendering may run."""
MAX_TEXT = 1_000_000
"""The longest text or list a template may build (by `*`, `+`, `~` or `join`)."""
MAX_LOOP_STEPS = 100_000
"""The most `{% for %}` iterations one rendering may take, over all its loops."""
MAX_EXPONENT = 100
"""The largest power `**` may raise a number to in a template."""
MAX_TEMPLATE_NESTING = 8
"""How deeply `{% %}` blocks (`for`, `if`, `with`, `filter`) may nest inside one another."""
MAX_TEMPLATE_EXPRESSION_DEPTH = 20
"""How deeply one `{{ }}` or `{% %}` expression may nest (brackets, operators, filters)."""
MAX_PLACES = 28
"""The most decimal places the `number` filter may round to."""
