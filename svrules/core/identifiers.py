"""Names from a policy, checked before they go into generated Python source.

Owns the one test of what may appear there: an ASCII identifier, `[A-Za-z_][A-Za-z0-9_]*`.
The engine's generators (record validators, compiled rules) put a name only inside a
quoted string or after a prefix such as `l_`, so a Python keyword is safe and allowed.
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def checked_identifier(name: str) -> str:
    """`name` itself, or a `ValueError` if it is not an ASCII identifier."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not an identifier: {name!r}")
    return name
