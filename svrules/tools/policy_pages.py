"""`svrules docs`: the site of policy pages a contracting authority can publish.

Finds and loads the policies in a folder; `write_pages(folder, out, as_of)` writes a page
for each (`documents.policy_pages` writes one from the compiled policy) and an index.
Output depends only on the policy files and the as-of date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from svrules.api import Policy, load_policy
from svrules.core.decimals import date_text
from svrules.documents import policy_pages
from svrules.documents.writers import markdown as md
from svrules.words import preview

PAGE_INDEX = "index.md"


def find_policies(folder: Path) -> list[Path]:
    """`folder/policy.svr`, or `*/policy.svr` one level down, or a single `.svr` file; sorted."""
    if folder.is_file():
        return [folder]
    own = folder / "policy.svr"
    if own.is_file():
        return [own]
    return sorted(p for p in folder.glob("*/policy.svr") if p.is_file())


def page_name(path: Path) -> str:
    """`examples/example-borough/policy.svr` → `example-borough.md`; `x/my.svr` → `my.md`."""
    stem = path.parent.name if path.name == "policy.svr" and path.parent.name else path.stem
    return f"{stem}.md"


def policy_page(policy: Policy, as_of: date) -> str:
    """The Markdown page of one policy, with parameters and clauses as of `as_of`."""
    return policy_pages.policy_page(policy.compiled, as_of)


def params_in_force(policy: Policy, as_of: date) -> dict[str, Any]:
    """Each parameter's value on `as_of`; a parameter not yet in force is left out."""
    return preview.params_in_force(policy.compiled, as_of)


@dataclass(frozen=True)
class Page:
    """One policy's page: its file name, its text and the policy it shows."""

    name: str
    text: str
    policy: Policy


def build_pages(folder: Path, as_of: date) -> list[Page]:
    """A page for each policy in `folder` (loading raises `PolicyError`), and the index."""
    pages = []
    for path in find_policies(folder):
        policy = load_policy(path)
        pages.append(Page(page_name(path), policy_page(policy, as_of), policy))
    return pages


def index_page(pages: list[Page], as_of: date) -> str:
    """The index of the site: a row per policy, linking to its page."""
    lines = [
        "# Policies",
        "",
        "The social value policies published here, generated from their `.svr` files by "
        f"`svrules docs`. Parameter values and contract wording are as of {date_text(as_of)}.",
        "",
        "| Policy | Authority | Version | Effective | Summary |",
        "|---|---|---|---|---|",
    ]
    for page in pages:
        p = page.policy.checked.policy
        cells = [
            f"[{md.text_cell(p.title)}]({page.name})",
            md.text_cell(p.authority or ""),
            md.text_cell(p.version or ""),
            date_text(p.effective) if p.effective else "",
            md.text_cell(_first_sentence(p.summary) if p.summary else ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_pages(folder: Path, out: Path, as_of: date) -> list[Path]:
    """Write every policy's page and `index.md` into `out`; the paths written, in order."""
    pages = build_pages(folder, as_of)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in [(p.name, p.text) for p in pages] + [(PAGE_INDEX, index_page(pages, as_of))]:
        target = out / name
        target.write_text(text, encoding="utf-8", newline="\n")
        written.append(target)
    return written


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", flat)
    return match.group(1) if match else flat


__all__ = [
    "Page",
    "build_pages",
    "find_policies",
    "index_page",
    "page_name",
    "params_in_force",
    "policy_page",
    "write_pages",
]
