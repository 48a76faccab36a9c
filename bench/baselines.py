"""The two engines svrules is measured against, written for this benchmark.

* ``float_floor(R)``: the hand-written Python floor, plain `if`s over the record's floats,
  the fastest a person would write the workload in Python. For R > 1 the same rule text is
  repeated with renamed ids, as if 120 rules had been written out one after another.
  S1 is written `fte >= 5 * v / 1e6` rather than `fte * 1e6 / v >= 5` because the
  latter misjudges exact ties in binary floating point (4.1 * 1e6 != 4100000); the
  former is exact for this data (see the anchor workload's notes).
* ``ZenExpr(R)``: GoRules Zen (``zen-engine`` on PyPI), the whole policy as one expression
  node of a JDM graph, evaluated one record at a time with ``ZenEngine.evaluate``: the
  fastest of the Zen set-ups in the anchor results (``zen-expr``). Zen's expression
  language computes in decimals; its Python binding returns the score as a float.

Both return, per record, ``(eligible, failed_rule_ids, score_0_to_100)`` with the anchor
workload's rule ids (``M1`` .. ``M7``, suffixed ``_r0`` .. when replicated).
"""

from __future__ import annotations

import math

import anchor_workload as W

# --------------------------------------------------------------------------- float floor

_REPLICA_GATES = """\
    if not b['pays_real_living_wage']: failed.append('M1{s}')
    if v >= 500000 and not b['modern_slavery_statement']: failed.append('M2{s}')
    if v >= 5000000 and not b['carbon_reduction_plan']: failed.append('M3{s}')
    if v >= 1000000 and b['apprenticeships'] < ceil(v / 1000000) * 2: failed.append('M4{s}')
    if b['net_zero_year'] > 2050: failed.append('M5{s}')
    if b['prompt_payment_days'] > 30: failed.append('M6{s}')
    if c['category'] in SME_CATS and b['sme_spend_pct'] < 25: failed.append('M7{s}')
"""

_REPLICA_SCORES = """\
    fte = b['local_hires_fte']
    s1 = 100 if fte >= 5 * v / 1000000 else 70 if fte >= 2 * v / 1000000 else 40 if fte >= v / 2000000 else 0
    if b['ex_offender_hires'] >= 1:
        s1 = min(100, s1 + 10)
    x = b['local_spend_pct']
    s2 = 80 if x >= 60 else 55 if x >= 40 else 30 if x >= 20 else 0
    x = b['supply_chain_msme_count']
    s2 += 20 if x >= 50 else 10 if x >= 10 else 0
    x = b['emissions_reduction_pct']
    s3 = 60 if x >= 50 else 35 if x >= 25 else 15 if x >= 10 else 0
    x = b['net_zero_year']
    s3 += 40 if x <= 2030 else 20 if x <= 2040 else 0
    x = b['training_weeks'] / c['duration_years']
    s4 = 100 if x >= 26 else 60 if x >= 12 else 30 if x >= 4 else 0
    fund = b['community_fund_gbp']
    x = fund * 100 / v
    s5 = 70 if x >= 1.0 else 40 if x >= 0.25 else 20 if fund > 0 else 0
    x = b['volunteering_hours']
    s5 += 30 if x >= 1000 else 15 if x >= 200 else 0
    score += {w1!r} * s1 + {w2!r} * s2 + {w3!r} * s3 + {w4!r} * s4 + {w5!r} * s5
"""


def float_floor_source(R: int = 1) -> str:
    lines = [
        "def evaluate(item):",
        "    c = item['contract']",
        "    b = item['bid']",
        "    v = c['value']",
        "    failed = []",
        "    score = 0.0",
    ]
    for k in range(R):
        lines.append(_REPLICA_GATES.format(s=W.sfx(k, R)).rstrip("\n"))
    for _ in range(R):
        weights = {f"w{i + 1}": W.weight(sid, R) for i, sid in enumerate(W.SCORED)}
        lines.append(_REPLICA_SCORES.format(**weights).rstrip("\n"))
    lines.append("    return (not failed, tuple(failed), score)")
    return "\n".join(lines) + "\n"


def float_floor(R: int = 1):
    """The hand-written evaluator as a function of one record."""
    namespace = {"ceil": math.ceil, "SME_CATS": W.SME_CATS}
    exec(compile(float_floor_source(R), f"<float floor, {12 * R} rules>", "exec"), namespace)
    return namespace["evaluate"]


# --------------------------------------------------------------------------- Zen


def _first_match(x: str, bands, otherwise: str = "0") -> str:
    """A band table as nested ternaries: the first band from the top that matches wins."""
    out = otherwise
    for threshold, points in reversed(bands):
        out = f"({x} >= {threshold} ? {points} : {out})"
    return out


def zen_expression_graph(R: int = 1) -> dict:
    """A JDM graph: input -> one expression node holding the whole policy -> output."""
    sme_cats = "[" + ", ".join(f"'{c}'" for c in W.SME_CATS) + "]"
    gates = {
        "M1": "bid.pays_real_living_wage == true",
        "M2": "contract.value < 500000 or bid.modern_slavery_statement == true",
        "M3": "contract.value < 5000000 or bid.carbon_reduction_plan == true",
        "M4": "contract.value < 1000000 or bid.apprenticeships >= ceil(contract.value / 1000000) * 2",
        "M5": "bid.net_zero_year <= 2050",
        "M6": "bid.prompt_payment_days <= 30",
        "M7": f"not (contract.category in {sme_cats}) or bid.sme_spend_pct >= 25",
    }
    exprs: list[tuple[str, str]] = []
    for k in range(R):
        exprs += [(f"ok.{m}{W.sfx(k, R)}", e) for m, e in gates.items()]
    ids = "[" + ", ".join(f"'{i}'" for i in W.mandatory_ids(R)) + "]"
    exprs += [("failed", f"filter({ids}, $.ok[#] == false)"), ("eligible", "len($.failed) == 0")]
    terms = []
    for k in range(R):
        s = W.sfx(k, R)
        fte_per_m = "bid.local_hires_fte * 1000000 / contract.value"
        fund_pct = "bid.community_fund_gbp * 100 / contract.value"
        exprs += [
            (
                f"p.S1{s}",
                f"min([100, {_first_match(fte_per_m, W.S1_BANDS)} + (bid.ex_offender_hires >= 1 ? 10 : 0)])",
            ),
            (
                f"p.S2{s}",
                _first_match("bid.local_spend_pct", W.S2A_BANDS)
                + " + "
                + _first_match("bid.supply_chain_msme_count", W.S2B_BANDS),
            ),
            (
                f"p.S3{s}",
                _first_match("bid.emissions_reduction_pct", W.S3A_BANDS)
                + " + (bid.net_zero_year <= 2030 ? 40 : (bid.net_zero_year <= 2040 ? 20 : 0))",
            ),
            (f"p.S4{s}", _first_match("bid.training_weeks / contract.duration_years", W.S4_BANDS)),
            (
                f"p.S5{s}",
                _first_match(fund_pct, W.S5A_BANDS, "(bid.community_fund_gbp > 0 ? 20 : 0)")
                + " + "
                + _first_match("bid.volunteering_hours", W.S5B_BANDS),
            ),
        ]
        terms += [f"{W.weight(sid, R)!r} * $.p.{sid}{s}" for sid in W.SCORED]
    exprs.append(("score", " + ".join(terms)))
    at = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "request", "position": at},
            {
                "id": "policy",
                "type": "expressionNode",
                "name": "policy",
                "position": at,
                "content": {
                    "expressions": [{"id": f"x{i}", "key": k, "value": v} for i, (k, v) in enumerate(exprs)]
                },
            },
            {"id": "out", "type": "outputNode", "name": "response", "position": at},
        ],
        "edges": [
            {"id": "e0", "sourceId": "in", "targetId": "policy", "type": "edge"},
            {"id": "e1", "sourceId": "policy", "targetId": "out", "type": "edge"},
        ],
    }


class ZenExpr:
    """ZenEngine with a static loader; `evaluate(record)` per record, single thread."""

    def __init__(self, R: int = 1):
        import zen

        self.engine = zen.ZenEngine(
            {"loader": {"type": "static", "content": {"policy": zen_expression_graph(R)}}}
        )
        self.engine.evaluate("policy", W.dataset(1)[0])  # load and compile the graph now

    def evaluator(self):
        evaluate = self.engine.evaluate

        def run(item):
            r = evaluate("policy", item)["result"]
            return (r["eligible"], tuple(r["failed"]), r["score"])

        return run
