"""Write the policy variants the benchmark runs, all derived from bench/workload.svr.

    python bench/make_policy.py [--out DIR]     # writes the variants to DIR (default: a temp dir)

Variants (each a function of the 12-rule text, so there is one source of truth):

* ``replicated(text, 10)``: the 120-rule policy. Every rule is repeated R times with its id
  suffixed ``_r0`` .. ``_r{R-1}`` and its weight divided by R, requirements first in
  replica order (m1_r0 .. m7_r0, m1_r1, ...), then criteria the same way: the rule order
  of the anchor workload's scaled policy. Same verdict and score as the 12-rule policy,
  each failure reported R times.
* ``criteria_only(text)``: the requirements removed. SVR scores compliant bids only, while
  the workload scores every bid; with no requirements every bid is compliant, so this
  variant is how the benchmark checks every bid's scores against the oracle.
* ``contract_in_bid(text)``: the contract's fields declared as bid fields
  (``contract.value`` becomes ``bid.contract_value``). An SVR tender has one contract and
  the workload's contract changes from record to record, so tenders of many records
  (the 1,000-bid chunks) need the contract carried by each bid. Same rules, same results.

run.py imports these functions and writes the variants to a temporary folder at run time.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOAD_SVR = HERE / "workload.svr"

_RULE = re.compile(r"^    (requirement|criterion) ([a-z][a-z0-9_]*) ")
_WEIGHT = re.compile(r"^(\s+weight )([0-9.]+)%\s*$")
_FIELD = re.compile(r"^        ([a-z_][a-z0-9_]*): ")


def split_rules(text: str) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """The lines before the first rule, and each rule as (kind, id, lines)."""
    preamble: list[str] = []
    rules: list[tuple[str, str, list[str]]] = []
    for line in text.splitlines():
        m = _RULE.match(line)
        if m:
            rules.append((m[1], m[2], [line]))
        elif rules:
            rules[-1][2].append(line)
        else:
            preamble.append(line)
    if not rules:
        raise ValueError("no requirement or criterion found at indentation 4")
    return preamble, rules


def _join(preamble: list[str], blocks: list[list[str]]) -> str:
    lines = list(preamble)
    for block in blocks:
        body = list(block)
        while body and not body[-1].strip():
            body.pop()
        lines += [*body, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _rename(block: list[str], rule_id: str, new_id: str, divide_weight_by: int) -> list[str]:
    out = []
    for i, line in enumerate(block):
        if i == 0:
            line = line.replace(f" {rule_id} ", f" {new_id} ", 1)
        else:
            m = _WEIGHT.match(line)
            if m:
                w = Decimal(m[2]) / divide_weight_by
                line = f"{m[1]}{w.normalize():f}%"
        out.append(line)
    return out


def replicated(text: str, copies: int) -> str:
    """The policy with every rule repeated `copies` times (ids suffixed, weights divided)."""
    if copies == 1:
        return text
    preamble, rules = split_rules(text)
    blocks = []
    for kind in ("requirement", "criterion"):
        for k in range(copies):
            for rule_kind, rule_id, block in rules:
                if rule_kind == kind:
                    blocks.append(_rename(block, rule_id, f"{rule_id}_r{k}", copies))
    title = f"(replicated x{copies}, {copies * len(rules)} rules)"
    preamble = [
        re.sub(r'^(policy [a-z_0-9]+) "(.*)":$', rf'\1_x{copies} "\2 {title}":', line) for line in preamble
    ]
    return _join(preamble, blocks)


def criteria_only(text: str) -> str:
    """The policy without its requirements: every bid is compliant, so every bid is scored."""
    preamble, rules = split_rules(text)
    preamble = [
        re.sub(r'^(policy [a-z_0-9]+) "(.*)":$', r'\1_scores "\2 (criteria only)":', line)
        for line in preamble
    ]
    return _join(preamble, [block for kind, _, block in rules if kind == "criterion"])


def contract_in_bid(text: str) -> str:
    """The contract's fields declared in `bid:` as `contract_NAME`, and read from the bid."""
    preamble, rules = split_rules(text)
    out: list[str] = []
    moved: list[str] = []
    section = None
    for line in preamble:
        if re.match(r"^    contract:\s*$", line):
            section = "contract"
            continue
        if re.match(r"^    bid:\s*$", line):
            section = "bid"
            out.append(line)
            continue
        if section == "contract":
            m = _FIELD.match(line)
            if m:
                moved.append("        contract_" + line[8:])
                continue
            if line.strip():
                section = None
            else:
                continue
        out.append(line)
    bid_at = next(i for i, line in enumerate(out) if re.match(r"^    bid:\s*$", line))
    out[bid_at + 1 : bid_at + 1] = moved
    out = [
        re.sub(r'^(policy [a-z_0-9]+) "(.*)":$', r'\1_chunked "\2 (contract fields in each bid)":', line)
        for line in out
    ]
    blocks = [[re.sub(r"\bcontract\.", "bid.contract_", line) for line in block] for _, _, block in rules]
    return _join(out, blocks)


def write_variants(folder: Path, copies: int = 10) -> dict[str, Path]:
    """Write every variant the benchmark runs to `folder`; returns name -> path."""
    text = WORKLOAD_SVR.read_text(encoding="utf-8")
    variants = {
        "12": text,
        f"{12 * copies}": replicated(text, copies),
        "12-criteria-only": criteria_only(text),
        "12-contract-in-bid": contract_in_bid(text),
    }
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, body in variants.items():
        path = folder / f"workload-{name}.svr"
        path.write_text(body, encoding="utf-8")
        paths[name] = path
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="folder to write to (default: a new temporary folder)")
    ap.add_argument("--copies", type=int, default=10, help="replication factor R (12*R rules)")
    args = ap.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="svrules-bench-"))
    for name, path in write_variants(folder, args.copies).items():
        print(f"{name:>20}: {path}")


if __name__ == "__main__":
    main()
