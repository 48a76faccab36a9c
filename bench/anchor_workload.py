# ruff: noqa  (vendored as is; see below)
# Vendored from the project's shared anchor benchmark (shared/bench/anchors/workload.py),
# so that a clone of this repository can run the benchmark without ../shared. No licence
# is stated in the anchors' files; they are the project's own shared benchmark.
#
# Changes from the original (everything else is byte-for-byte the same):
# - reference_eval() takes `exact=False`; with exact=True it returns the score as the
#   exact Fraction, plus each criterion's points (0-100) of replica 0, instead of a float.
#   bench/run.py compares svrules' Decimals with these rationals exactly.
"""The one shared workload: contract + bid records, the 12-rule policy, and the
deterministic data generator.  See WORKLOAD.md for the prose specification.

Every engine adapter in engines.py implements exactly the policy described
here; run.py checks that all of them agree bid-by-bid.
"""
from __future__ import annotations

import math
import random

SEED = 20251124

CATEGORIES = [
    "construction",
    "facilities_management",
    "it_services",
    "health_social_care",
    "consultancy",
    "transport",
]
# M7 applies only to these categories (membership condition on the contract)
SME_CATS = ("construction", "facilities_management", "transport")

MIN_VALUE = 50_000
MAX_VALUE = 40_000_000  # contract values are whole multiples of GBP 1,000 in [MIN, MAX]

MANDATORY = ["M1", "M2", "M3", "M4", "M5", "M6", "M7"]
SCORED = ["S1", "S2", "S3", "S4", "S5"]
WEIGHTS = {"S1": 0.30, "S2": 0.20, "S3": 0.25, "S4": 0.15, "S5": 0.10}

# Band tables (first match wins, top to bottom; 'else' gives 0).
# S1 local employment: FTE per GBP 1m of contract value  (+10 if ex_offender_hires >= 1, capped at 100)
S1_BANDS = [(5, 100), (2, 70), (0.5, 40)]
# S2 local economy: local_spend_pct band + supply_chain_msme_count band
S2A_BANDS = [(60, 80), (40, 55), (20, 30)]
S2B_BANDS = [(50, 20), (10, 10)]
# S3 environment: emissions_reduction_pct band + net_zero_year band (<=)
S3A_BANDS = [(50, 60), (25, 35), (10, 15)]
S3B_BANDS = [(2030, 40), (2040, 20)]  # net_zero_year <= year
# S4 skills: training_weeks per contract year
S4_BANDS = [(26, 100), (12, 60), (4, 30)]
# S5 community: community fund as % of contract value (>0 gives 20) + volunteering_hours band
S5A_BANDS = [(1.0, 70), (0.25, 40)]  # then fund > 0 -> 20
S5B_BANDS = [(1000, 30), (200, 15)]

BID_FIELDS = [
    "local_hires_fte", "apprenticeships", "pays_real_living_wage", "sme_spend_pct",
    "local_spend_pct", "carbon_reduction_plan", "net_zero_year", "volunteering_hours",
    "modern_slavery_statement", "prompt_payment_days", "ex_offender_hires", "training_weeks",
    "supply_chain_msme_count", "emissions_reduction_pct", "community_fund_gbp",
]
DECIMAL_FIELDS = ["local_hires_fte", "sme_spend_pct", "local_spend_pct", "emissions_reduction_pct"]


def sfx(k: int, R: int) -> str:
    """Rule-id suffix of replica k when the policy is replicated R times."""
    return "" if R == 1 else f"_r{k}"


def mandatory_ids(R: int = 1) -> list[str]:
    return [m + sfx(k, R) for k in range(R) for m in MANDATORY]


def scored_ids(R: int = 1) -> list[str]:
    return [s + sfx(k, R) for k in range(R) for s in SCORED]


def weight(sid: str, R: int) -> float:
    """Weight of one scored rule in a policy replicated R times (weights sum to 1)."""
    return WEIGHTS[sid] / R


# --------------------------------------------------------------------------- data
def _bid(rng: random.Random, i: int) -> dict:
    # contract --------------------------------------------------------------
    if rng.random() < 0.04:  # deliberate boundary values for the conditional rules
        value = rng.choice([500_000, 1_000_000, 2_000_000, 3_000_000, 5_000_000])
    else:
        value = int(round(math.exp(rng.uniform(math.log(MIN_VALUE), math.log(MAX_VALUE))) / 1000.0)) * 1000
        value = min(MAX_VALUE, max(MIN_VALUE, value))
    category = rng.choice(CATEGORIES)
    duration = rng.randint(1, 7)
    vm = value / 1_000_000

    # bid --------------------------------------------------------------------
    if rng.random() < 0.05:  # exact / near ties on the per-GBPm band edges
        fte = round(rng.choice([5, 2, 0.5]) * vm, 1)
    else:
        fte = round(vm * rng.uniform(0.0, 7.0), 1)
    required_app = math.ceil(vm) * 2 if value >= 1_000_000 else 0
    if rng.random() < 0.05:
        app = required_app + rng.choice([-1, 0])
        app = max(app, 0)
    else:
        app = int(vm * rng.uniform(0.8, 3.5)) + rng.randint(0, 3)
    plw = rng.random() < 0.90
    sme = 25.0 if rng.random() < 0.04 else round(rng.uniform(5.0, 80.0), 1)
    local = rng.choice([20.0, 40.0, 60.0]) if rng.random() < 0.05 else round(rng.uniform(0.0, 90.0), 1)
    crp = rng.random() < 0.85
    nzy = rng.randint(2030, 2055)
    vol = rng.choice([200, 1000]) if rng.random() < 0.03 else rng.randint(0, 2500)
    mss = rng.random() < 0.93
    ppd = rng.choice([7, 14, 21, 30, 30, 45, 60])
    exo = rng.choice([0, 0, 0, 1, 2, 3])
    if rng.random() < 0.04:
        tw = rng.choice([26, 12, 4]) * duration
    else:
        tw = rng.randint(0, 200)
    msme = rng.randint(0, 120)
    emis = rng.choice([10.0, 25.0, 50.0]) if rng.random() < 0.04 else round(rng.uniform(0.0, 70.0), 1)
    u = rng.random()
    if u < 0.04:  # exact ties on the 1% / 0.25% fund bands
        fund = value // 100 if (value % 400 or rng.random() < 0.5) else value // 400
    elif u < 0.14:
        fund = 0
    else:
        fund = int(value * rng.uniform(0.0, 0.02) / 50) * 50

    return {
        "contract": {"id": f"C{i:06d}", "value": value, "category": category, "duration_years": duration},
        "bid": {
            "id": f"B{i:06d}",
            "local_hires_fte": fte,
            "apprenticeships": app,
            "pays_real_living_wage": plw,
            "sme_spend_pct": sme,
            "local_spend_pct": local,
            "carbon_reduction_plan": crp,
            "net_zero_year": nzy,
            "volunteering_hours": vol,
            "modern_slavery_statement": mss,
            "prompt_payment_days": ppd,
            "ex_offender_hires": exo,
            "training_weeks": tw,
            "supply_chain_msme_count": msme,
            "emissions_reduction_pct": emis,
            "community_fund_gbp": fund,
        },
    }


def generate(n: int, seed: int = SEED):
    """Yield the first n records of the deterministic bid stream (prefix-stable:
    generate(1000) is the first 1000 records of generate(100000))."""
    rng = random.Random(seed)
    for i in range(n):
        yield _bid(rng, i)


def dataset(n: int, seed: int = SEED) -> list[dict]:
    return list(generate(n, seed))


# ---------------------------------------------------------------- reference (spec)
def reference_eval(item: dict, R: int = 1, scored: bool = True, exact: bool = False):
    """Straightforward, unoptimised statement of the policy, used as the oracle.
    Uses exact rational arithmetic for the ratio bands so that it defines the
    decimal semantics independently of any float formulation."""
    from fractions import Fraction as F
    c, b = item["contract"], item["bid"]
    v = c["value"]
    res_failed = []
    score = F(0)
    for k in range(R):
        s = sfx(k, R)
        checks = [
            ("M1", not b["pays_real_living_wage"]),
            ("M2", v >= 500_000 and not b["modern_slavery_statement"]),
            ("M3", v >= 5_000_000 and not b["carbon_reduction_plan"]),
            ("M4", v >= 1_000_000 and b["apprenticeships"] < math.ceil(F(v, 1_000_000)) * 2),
            ("M5", b["net_zero_year"] > 2050),
            ("M6", b["prompt_payment_days"] > 30),
            ("M7", c["category"] in SME_CATS and F(str(b["sme_spend_pct"])) < 25),
        ]
        res_failed += [m + s for m, bad in checks if bad]
        if not scored:
            continue

        def band(x, bands, ge=True):
            for thr, pts in bands:
                if (x >= F(str(thr))) if ge else (x <= thr):
                    return pts
            return 0

        ratio = F(str(b["local_hires_fte"])) * 1_000_000 / v
        s1 = band(ratio, S1_BANDS)
        if b["ex_offender_hires"] >= 1:
            s1 = min(100, s1 + 10)
        s2 = band(F(str(b["local_spend_pct"])), S2A_BANDS) + band(b["supply_chain_msme_count"], S2B_BANDS)
        s3 = band(F(str(b["emissions_reduction_pct"])), S3A_BANDS) + band(b["net_zero_year"], S3B_BANDS, ge=False)
        s4 = band(F(b["training_weeks"], c["duration_years"]), S4_BANDS)
        pct = F(b["community_fund_gbp"] * 100, v)
        s5 = band(pct, S5A_BANDS) or (20 if b["community_fund_gbp"] > 0 else 0)
        s5 += band(b["volunteering_hours"], S5B_BANDS)
        if k == 0:
            points = (s1, s2, s3, s4, s5)
        for sid, pts in zip(SCORED, (s1, s2, s3, s4, s5)):
            score += F(str(WEIGHTS[sid])) / R * pts
    if exact:
        return (not res_failed, tuple(res_failed), score if scored else None, points if scored else None)
    return (not res_failed, tuple(res_failed), float(score) if scored else None)


def canonical_order(R: int) -> dict[str, int]:
    return {rid: i for i, rid in enumerate(mandatory_ids(R))}
