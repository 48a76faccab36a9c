"""svrules benchmark: the anchor workload (12 social value rules) against exact answers.

    python bench/run.py [--bids N] [--quick] [--reps R] [--ref COMMIT]

Needs svrules installed and `pip install -r bench/requirements.txt` (GoRules Zen).
Default N is 100,000 bids (5 to 10 minutes on 2 cores); --quick runs 2,000 bids,
one repetition, as a smoke test. --ref measures svrules as of a git commit instead of
the working tree. One run does all of this:

1. Generates N bid records with the anchor workload's seeded generator
   (bench/anchor_workload.py) and writes the policy variants (bench/make_policy.py) to a
   temporary folder: the 12-rule bench/workload.svr, its 120-rule replica, a criteria-only
   variant and a contract-in-bid variant for tenders of many records.
2. Times svrules through its public API (`load_policy`, `Policy.evaluate`) on every
   record, each measurement in a fresh process: input as Python mappings of Decimals (the
   main figure) and as JSON text; one bid per tender and 1,000 bids per tender. Reading
   back each bid's compliance, failed rule ids and total score is inside the timed
   region. Times the hand-written Python float floor and GoRules Zen (expression node) on
   the same records.
3. Checks EVERY bid of every svrules run against the exact-rational oracle
   (`reference_eval`): compliance, each requirement's outcome, the failed rule ids, each
   criterion's score and the total score, as Decimals against rationals, exactly. The
   float engines are checked too, to 1e-9.
4. Measures the 12 -> 120 rule slow-down, how batch size (bids per tender) changes
   throughput, `load_policy` (read, parse, check, compile) of the 120-rule policy (best of
   several runs) and the cold start of `svrules check examples/` (process start to exit).
5. Times `svrules batch` (JSON Lines, one tender per line) at --jobs 1 and --jobs 2, process
   start to exit, and checks its output against the oracle too.

Prints the tables and writes bench/results/latest.json and latest.md (quick.* for --quick).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import anchor_workload as W  # noqa: E402

AS_OF = date(2025, 11, 24)  # the policy has no dated parameters; a fixed as-of date keeps runs alike
WARMUP = 1000  # records evaluated untimed before each timed run
SCALE_R = 10  # 12 rules -> 120 rules
SCALE_MAX_N = 20_000  # records per scaling run
SWEEP_MAX_N = 20_000  # records per batch-size run
SWEEP_SIZES = (1, 10, 100, 1000, 10_000)
FLOAT_TOL = 1e-9
TARGETS = {
    "zen": 5.0,  # svrules throughput >= 5x Zen
    "floor": 0.25,  # >= 0.25x the hand-written float floor
    "slowdown": 10.0,  # 12 -> 120 rules slows down at most 10x
    "load_ms": 150.0,  # load_policy of the 120-rule policy
    "cold_ms": 400.0,  # `svrules check examples/`, process start to exit
}


# ============================================================ inputs


def _exact(value):
    """A generated value as svrules wants it from Python: numbers as Decimal, never float."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest repr is the decimal the record means
    return Decimal(value)


def _bid(record: dict, contract_in_bid: bool, convert) -> dict:
    bid = {"bidder": record["bid"]["id"]}
    if contract_in_bid:
        for key, value in record["contract"].items():
            if key != "id":
                bid[f"contract_{key}"] = convert(value)
    for key, value in record["bid"].items():
        if key != "id":
            bid[key] = convert(value)
    return bid


def make_tenders(records: list[dict], per_tender: int, contract_in_bid: bool, as_json: bool) -> list:
    """Records grouped into tenders: one record per tender with its own contract, or
    `per_tender` records per tender with each contract carried in its bid."""
    convert = (lambda v: v) if as_json else _exact
    tenders = []
    if not contract_in_bid:
        assert per_tender == 1, "tenders of several records need the contract-in-bid variant"
        for r in records:
            contract = {k: convert(v) for k, v in r["contract"].items() if k != "id"}
            tenders.append(
                {"id": r["contract"]["id"], "contract": contract, "bids": [_bid(r, False, convert)]}
            )
    else:
        for i in range(0, len(records), per_tender):
            chunk = records[i : i + per_tender]
            tenders.append(
                {"id": f"T{i:07d}", "contract": {}, "bids": [_bid(r, True, convert) for r in chunk]}
            )
    if as_json:
        return [json.dumps(t) for t in tenders]
    return tenders


# ============================================================ worker (one measurement, fresh process)


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux), so the peak counts the measured run only."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_kb() -> int:
    peak = _status_kb("VmHWM:")
    if peak is not None:
        return peak
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def source_digest() -> str:
    """sha256 of the svrules package and grammar actually imported: a run is only comparable
    with itself if svrules did not change under it."""
    import hashlib

    import svrules

    digest = hashlib.sha256()
    package = Path(svrules.__file__).parent
    files = (
        sorted(package.rglob("*.py"))
        + sorted(package.rglob("*.lark"))
        + sorted((ROOT / "grammar").glob("*.lark"))
    )
    for path in files:
        digest.update(str(path.relative_to(path.parents[1])).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def worker(job: dict) -> None:
    n, engine = job["n"], job["engine"]
    records = W.dataset(n)
    rec: dict = {"job": job}
    if engine == "svrules":
        import svrules

        inputs = make_tenders(records, job["per_tender"], job["contract_in_bid"], job["input"] == "json")
        t = time.perf_counter()
        policy = svrules.load_policy(job["policy_path"])
        rec["t_prepare"] = time.perf_counter() - t
        evaluate = policy.evaluate

        def run(batch):
            """What the other engines return: compliant, failed rule ids, total score."""
            out = []
            append = out.append
            for tender in batch:
                for b in evaluate(tender, as_of=AS_OF).bids:
                    append((b.compliant, tuple(b.failed_requirements), b.total_score))
            return out

        def run_detail(batch):
            """Every rule's outcome and every criterion's score: the full oracle check."""
            out = []
            append = out.append
            for tender in batch:
                for b in evaluate(tender, as_of=AS_OF).bids:
                    append(
                        (
                            b.compliant,
                            tuple([r.outcome for r in b.requirements]),
                            tuple([c.outcome for c in b.criteria]),
                            tuple([c.score for c in b.criteria]),
                            b.total_score,
                        )
                    )
            return out

        warm = inputs[: max(1, WARMUP // job["per_tender"])]
        first = evaluate(inputs[0], as_of=AS_OF).bids[0]
        rec["requirement_ids"] = [r.id for r in first.requirements]
        rec["criterion_ids"] = [c.id for c in first.criteria]
    else:
        import baselines as B

        t = time.perf_counter()
        fn = B.float_floor(job["R"]) if engine == "floor" else B.ZenExpr(job["R"]).evaluator()
        rec["t_prepare"] = time.perf_counter() - t
        inputs = records
        run_detail = None

        def run(batch):
            return [fn(item) for item in batch]

        warm = inputs[:WARMUP]
    run(warm)
    gc.collect()
    rec["rss_base_kb"] = _status_kb("VmRSS:")
    rec["peak_reset"] = _reset_peak()
    t, c = time.perf_counter(), time.process_time()
    results = run(inputs)
    rec["t_eval"] = time.perf_counter() - t
    rec["cpu_eval"] = time.process_time() - c
    rec["peak_kb"] = _peak_kb()
    rec["bids"] = len(results)
    if job.get("dump"):
        detail = None
        if run_detail is not None:
            del results[:]
            gc.collect()
            t = time.perf_counter()
            detail = run_detail(inputs)
            rec["t_detail"] = time.perf_counter() - t
            results = run(inputs)  # the timed pass's answers, checked too
        with open(job["dump"], "wb") as f:
            pickle.dump({"results": results, "detail": detail}, f, protocol=pickle.HIGHEST_PROTOCOL)
    rec["source_digest"] = source_digest()
    with open(job["out"], "w") as f:
        json.dump(rec, f)


def load_worker(job: dict) -> None:
    """Time `load_policy` (read, parse, check, compile) and `check_file` (read, parse, check)."""
    t0 = time.perf_counter()
    import svrules

    rec = {"job": job, "t_import": time.perf_counter() - t0, "policies": {}}
    for name, path in job["policies"].items():
        t = time.perf_counter()
        svrules.load_policy(path)
        first = time.perf_counter() - t
        loads, checks, loads_cpu = [], [], []
        for _ in range(job["runs"]):
            t, c = time.perf_counter(), time.process_time()
            svrules.load_policy(path)
            loads.append(time.perf_counter() - t)
            loads_cpu.append(time.process_time() - c)
            t = time.perf_counter()
            svrules.check_file(path)
            checks.append(time.perf_counter() - t)
        rec["policies"][name] = {
            "first_in_process": first,
            "load": loads,
            "load_cpu": loads_cpu,
            "check": checks,
        }
    with open(job["out"], "w") as f:
        json.dump(rec, f)


# ============================================================ orchestrator


LOADS: list[float] = []  # 1-minute load average before each measurement
ENV: dict[str, str] | None = None  # the environment of every process that runs svrules (see --ref)


def use_ref(ref: str, folder: Path) -> dict:
    """Run svrules as of git commit `ref`: its `svrules/` and `grammar/` are extracted (git
    archive, the repository is not touched) to `folder`, which goes first on PYTHONPATH of
    every process that imports svrules. Measures one fixed version even while the working
    tree changes, and lets two commits be compared."""
    global ENV
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"], capture_output=True, text=True
    )
    if commit.returncode != 0:
        raise SystemExit(f"--ref {ref}: not a commit of {ROOT}")
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit.stdout.strip(), "svrules", "grammar"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    ENV = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])),
    }
    return {"ref": ref, "commit": commit.stdout.strip(), "path": str(folder)}


def run_job(job: dict, tmp: Path, label: str) -> dict:
    out = tmp / f"job-{abs(hash(json.dumps(job, sort_keys=True)))}.json"
    job = {**job, "out": str(out)}
    LOADS.append(os.getloadavg()[0])
    p = subprocess.run(
        [sys.executable, str(HERE / "run.py"), "--worker", json.dumps(job)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    if p.returncode != 0:
        print(f"  !! {label} failed:\n{p.stderr[-3000:]}", flush=True)
        raise SystemExit(1)
    rec = json.loads(out.read_text())
    if "t_eval" in rec:
        rate = rec["bids"] / rec["t_eval"]
        print(
            f"  {label:44s} {rec['bids']:>8,d} bids  {rate:>11,.0f} bids/s  {rec['t_eval'] / rec['bids'] * 1e6:8.2f} µs/bid"
            f"  peak +{(rec['peak_kb'] - rec['rss_base_kb']) / 1024:6.1f} MB",
            flush=True,
        )
    return rec


def summarize(recs: list[dict]) -> dict:
    rates = [r["bids"] / r["t_eval"] for r in recs]
    return {
        "bids": recs[0]["bids"],
        "reps": len(recs),
        "bids_per_s": statistics.median(rates),
        "bids_per_s_all": [round(x) for x in rates],
        "us_per_bid": statistics.median([r["t_eval"] / r["bids"] * 1e6 for r in recs]),
        "cpu_per_wall": statistics.median([r["cpu_eval"] / r["t_eval"] for r in recs]),
        "cpu_us_per_bid": statistics.median([r["cpu_eval"] / r["bids"] * 1e6 for r in recs]),
        "peak_delta_mb": statistics.median([(r["peak_kb"] - r["rss_base_kb"]) / 1024 for r in recs]),
        "peak_rss_mb": statistics.median([r["peak_kb"] / 1024 for r in recs]),
        "prepare_ms": statistics.median([r["t_prepare"] * 1e3 for r in recs]),
        "peak_reset": all(r.get("peak_reset") for r in recs),
    }


# ------------------------------------------------------------ oracle checks


def _applies(rule: str, contract: dict) -> bool:
    v = contract["value"]
    return {
        "M2": v >= 500_000,
        "M3": v >= 5_000_000,
        "M4": v >= 1_000_000,
        "M7": contract["category"] in W.SME_CATS,
    }.get(rule, True)


def _anchor_id(svrules_id: str) -> str:
    """m1 -> M1, m1_r3 -> M1_r3."""
    return svrules_id[:2].upper() + svrules_id[2:]


def check_svrules(dump: Path, meta: dict, records: list[dict], oracle: list, scored_all: bool) -> dict:
    """Count the bids whose svrules result differs from the oracle in any way."""
    data = pickle.loads(dump.read_bytes())
    req_ids = [_anchor_id(i) for i in meta["requirement_ids"]]
    crit_ids = [_anchor_id(i) for i in meta["criterion_ids"]]
    bad, examples = 0, []
    rows = zip(data["detail"], data["results"], records, oracle, strict=True)
    for i, (res, quick, rec, orc) in enumerate(rows):
        compliant, outcomes, crit_outcomes, scores, total = res
        eligible, failed, score, points = orc
        problems = []
        if quick != (
            compliant,
            tuple(
                r for r, o in zip(meta["requirement_ids"], outcomes, strict=True) if o in ("not_met", "error")
            ),
            total,
        ):
            problems.append(f"timed pass answered {quick}, full read {res}")
        expected_compliant = True if scored_all else eligible
        if compliant is not expected_compliant:
            problems.append(f"compliant {compliant}, oracle {expected_compliant}")
        expected = tuple(
            "not_applicable"
            if not _applies(rid[:2], rec["contract"])
            else ("not_met" if rid in failed else "met")
            for rid in req_ids
        )
        if outcomes != expected:
            problems.append(f"requirements {outcomes}, oracle {expected}")
        got_failed = tuple(
            rid for rid, o in zip(req_ids, outcomes, strict=True) if o not in ("met", "not_applicable")
        )
        if not scored_all and got_failed != failed:
            problems.append(f"failed {got_failed}, oracle {failed}")
        if expected_compliant:
            want = tuple(Fraction(points[W.SCORED.index(cid[:2])], 100) for cid in crit_ids)
            if crit_outcomes != ("scored",) * len(crit_ids):
                problems.append(f"criteria outcomes {crit_outcomes}")
            elif tuple(Fraction(s) for s in scores) != want:
                problems.append(f"scores {scores}, oracle {want}")
            if total is None or Fraction(total) != score / 100:
                problems.append(f"total {total}, oracle {score / 100}")
        elif total is not None or any(s is not None for s in scores) or set(crit_outcomes) != {"not_scored"}:
            problems.append(f"non-compliant bid scored: {crit_outcomes} {scores} {total}")
        if problems:
            bad += 1
            if len(examples) < 5:
                examples.append(f"record {i}: " + "; ".join(problems))
    return {"checked": len(data["detail"]), "disagreements": bad, "examples": examples}


def check_float(dump: Path, oracle: list) -> dict:
    results = pickle.loads(dump.read_bytes())["results"]
    bad, examples = 0, []
    for i, (res, orc) in enumerate(zip(results, oracle, strict=True)):
        if (
            bool(res[0]) != orc[0]
            or tuple(res[1]) != orc[1]
            or abs(float(res[2]) - float(orc[2])) > FLOAT_TOL
        ):
            bad += 1
            if len(examples) < 5:
                examples.append(f"record {i}: got {res}, oracle {orc[:3]}")
    return {"checked": len(results), "disagreements": bad, "examples": examples}


# ------------------------------------------------------------ svrules batch (JSON Lines)


def _svrules_command() -> list[str]:
    exe = Path(sys.executable).parent / "svrules"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from svrules.cli import main; main()"]


def batch_available() -> bool:
    p = subprocess.run([*_svrules_command(), "batch", "--help"], capture_output=True, text=True, env=ENV)
    return p.returncode == 0 and "--jobs" in p.stdout


def _children_cpu() -> float:
    """CPU seconds (user + system) of every child process that has ended, its own children included."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


BATCH_CPU: dict[int, list[float]] = {}


def batch_run(policy: str, tenders: Path, jobs: int, out: Path) -> float:
    """Wall time of `svrules batch POLICY TENDERS --jobs J`, process start to exit."""
    cmd = [
        *_svrules_command(),
        "batch",
        policy,
        str(tenders),
        "--jobs",
        str(jobs),
        "--as-of",
        AS_OF.isoformat(),
        "--output",
        str(out),
    ]
    c = _children_cpu()
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - t
    BATCH_CPU.setdefault(jobs, []).append(_children_cpu() - c)
    if p.returncode != 0:
        print(
            f"  !! svrules batch --jobs {jobs} failed (exit {p.returncode}):\n{p.stderr[-2000:]}", flush=True
        )
        raise SystemExit(1)
    return wall


def check_batch(out: Path, oracle: list) -> dict:
    """The summary JSON lines of `svrules batch` against the oracle, exactly."""
    bad, examples, count = 0, [], 0
    with open(out, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    for i, (line, orc) in enumerate(zip(lines, oracle, strict=True)):
        count += 1
        eligible, failed, score, points = orc
        obj = json.loads(line)
        problems = []
        if obj.get("line") != i + 1 or len(obj.get("bids", ())) != 1:
            problems.append(f"line {obj.get('line')}, {len(obj.get('bids', ()))} bids")
        else:
            b = obj["bids"][0]
            if b["compliant"] is not eligible:
                problems.append(f"compliant {b['compliant']}")
            if tuple(_anchor_id(r) for r in b["failed_requirements"]) != failed:
                problems.append(f"failed {b['failed_requirements']}, oracle {failed}")
            if eligible:
                want = {sid.lower(): Fraction(p, 100) for sid, p in zip(W.SCORED, points, strict=True)}
                got = {k: Fraction(Decimal(v)) if v is not None else None for k, v in b["scores"].items()}
                if got != want:
                    problems.append(f"scores {b['scores']}")
                if b["total_score"] is None or Fraction(Decimal(b["total_score"])) != score / 100:
                    problems.append(f"total {b['total_score']}, oracle {score / 100}")
            elif b["total_score"] is not None:
                problems.append(f"non-compliant bid has total {b['total_score']}")
        if problems:
            bad += 1
            if len(examples) < 5:
                examples.append(f"line {i + 1}: " + "; ".join(problems))
    return {"checked": count, "disagreements": bad, "examples": examples}


# ------------------------------------------------------------ cold start


def cold_start(runs: int) -> dict:
    cmd = _svrules_command()
    out = {"command": " ".join([*cmd, "check", "examples/"]), "svrules": [], "svrules_cpu": [], "python": []}
    for _ in range(runs):
        c = _children_cpu()
        t = time.perf_counter()
        p = subprocess.run([*cmd, "check", "examples/"], cwd=ROOT, capture_output=True, text=True, env=ENV)
        out["svrules"].append(time.perf_counter() - t)
        out["svrules_cpu"].append(_children_cpu() - c)
        out["exit"] = p.returncode
        out["output"] = (p.stdout + p.stderr).strip()
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True)
        out["python"].append(time.perf_counter() - t)
    return out


# ------------------------------------------------------------ report


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def render(S: dict) -> str:
    m = S["main"]
    zen, floor = m["zen-expr"]["bids_per_s"], m["floor"]["bids_per_s"]
    which = (
        f"commit {S['measured']['commit'][:10]}"
        if S["measured"].get("commit")
        else f"working tree at {S['versions'].get('git', '?')}"
    )
    L = [
        f"svrules benchmark: {S['n']:,} bids, seed {W.SEED}, {S['reps']} repetition(s) per row (fresh process "
        f"each, median shown); {S['versions'].get('cpu', '?')}, {S['versions']['cpu_count']} cores, "
        f"Python {S['versions']['python']}, svrules {S['versions']['svrules']} ({which}, source digest "
        f"{', '.join(S['source_digests'])}), zen-engine {S['versions']['zen-engine']}; {S['started']}. "
        f"1-minute load average before each measurement: median {S['load_average']['median']:.2f}, "
        f"max {S['load_average']['max']:.2f} (the benchmark keeps one core busy; more means other work was "
        "competing for the cores, which inflates wall-clock times: the CPU µs/bid column is less affected).",
        "",
        "### Throughput, 12-rule policy",
        "",
        "| engine / set-up | bids | bids/s | µs/bid | CPU µs/bid | × Zen | × float floor | peak memory Δ (MB) "
        "| oracle disagreements |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    labels = {
        "floor": "Python float floor (hand-written)",
        "zen-expr": "GoRules Zen, expression node (`zen-expr`)",
        "sv-main": "**svrules, 1 bid/tender, Decimal mappings (main)**",
        "sv-json": "svrules, 1 bid/tender, JSON text",
        "sv-chunk": "svrules, 1,000 bids/tender, Decimal mappings",
        "sv-chunk-json": "svrules, 1,000 bids/tender, JSON text",
        "sv-scores": "svrules, criteria only (every bid scored), 1 bid/tender, mappings",
    }
    for key, label in labels.items():
        s = m[key]
        chk = S["checks"].get(key)
        agree = "n/a" if chk is None else f"{chk['disagreements']} of {chk['checked']:,}"
        L.append(
            f"| {label} | {s['bids']:,} | {_fmt_rate(s['bids_per_s'])} | {s['us_per_bid']:.2f} | "
            f"{s['cpu_us_per_bid']:.2f} | {s['bids_per_s'] / zen:.3g}× | {s['bids_per_s'] / floor:.3g}× | {s['peak_delta_mb']:.1f} | {agree} |"
        )
    md = S["main_detail"]
    L.append(
        f"| svrules, main set-up, reading every rule's outcome and score too (one run) | {m['sv-main']['bids']:,} | "
        f"{_fmt_rate(md['bids_per_s'])} | {md['us_per_bid']:.2f} | | {md['bids_per_s'] / zen:.3g}× | "
        f"{md['bids_per_s'] / floor:.3g}× | | (the check below) |"
    )
    L += [
        "",
        "Every timed row reads back what the float engines return (compliant, failed rule ids, total score; "
        "for svrules `bid.compliant`, `bid.failed_requirements`, `bid.total_score`). "
        "Float engines are checked to 1e-9 (their scores are IEEE doubles); svrules exactly: compliance, every "
        "requirement's outcome (met / not_met / not_applicable), the failed rule ids, every criterion's score and "
        "the total, as Decimals against the oracle's rationals. Peak memory Δ is the process's peak RSS during the "
        "timed run over its RSS before it (inputs already built).",
        "",
        f"### Scaling 12 → {12 * SCALE_R} rules ({S['scale_n']:,} bids, policy replicated ×{SCALE_R} with renamed ids)",
        "",
        f"| engine | bids/s, 12 rules | bids/s, {12 * SCALE_R} rules | µs/bid, {12 * SCALE_R} rules | slow-down "
        f"| slow-down in CPU time | oracle disagreements ({12 * SCALE_R} rules) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for key, label in (
        ("floor", "Python float floor"),
        ("zen-expr", "Zen expression node"),
        ("svrules", "svrules (main set-up)"),
    ):
        a, b = S["scale"][f"{key}-R1"], S["scale"][f"{key}-R{SCALE_R}"]
        chk = S["checks"].get(f"scale-{key}")
        agree = "n/a" if chk is None else f"{chk['disagreements']} of {chk['checked']:,}"
        L.append(
            f"| {label} | {_fmt_rate(a['bids_per_s'])} | {_fmt_rate(b['bids_per_s'])} | {b['us_per_bid']:.2f} | "
            f"{a['bids_per_s'] / b['bids_per_s']:.2f}× | {b['cpu_us_per_bid'] / a['cpu_us_per_bid']:.2f}× | {agree} |"
        )
    L += [
        "",
        f"### Bids per tender (svrules, contract-in-bid variant, Decimal mappings, {S['sweep_n']:,} bids, one run each)",
        "",
        "| bids per tender | tenders | bids/s | µs/bid | CPU µs/bid |",
        "|---:|---:|---:|---:|---:|",
    ]
    for size, s in S["sweep"].items():
        L.append(
            f"| {int(size):,} | {S['sweep_n'] // int(size):,} | {_fmt_rate(s['bids_per_s'])} | {s['us_per_bid']:.2f} | "
            f"{s['cpu_us_per_bid']:.2f} |"
        )
    if S["batch"]:
        one = S["batch"]["1"]["bids_per_s"]
        L += [
            "",
            f"### `svrules batch` (JSON Lines, one tender of one bid per line, {S['n']:,} lines, summary detail, "
            "process start to exit)",
            "",
            "| --jobs | bids/s | µs/bid | CPU µs/bid (all processes) | × --jobs 1 | × Zen | oracle disagreements |",
            "|---:|---:|---:|---:|---:|---:|---|",
        ]
        for j, b in S["batch"].items():
            chk = S["checks"][f"batch-jobs{j}"]
            L.append(
                f"| {j} | {_fmt_rate(b['bids_per_s'])} | {b['us_per_bid']:.2f} | {b['cpu_us_per_bid']:.2f} | {b['bids_per_s'] / one:.2f}× | "
                f"{b['bids_per_s'] / zen:.3g}× | {chk['disagreements']} of {chk['checked']:,} |"
            )
    ld = S["load"]
    L += [
        "",
        "### Loading and start-up",
        "",
        "| measurement | best (ms) | median (ms) | runs |",
        "|---|---:|---:|---:|",
    ]
    first = next(iter(ld["policies"]))  # loaded first in its process: pays the grammar's construction
    L.append(
        f"| first `load_policy` in a fresh process ({first} rules, after `import svrules`) | "
        f"{ld['policies'][first]['first_in_process'] * 1e3:.1f} | | 1 |"
    )
    for name in ("12", f"{12 * SCALE_R}"):
        p = ld["policies"][name]
        L.append(
            f"| `load_policy` ({name} rules: read, parse, check, compile) | {min(p['load']) * 1e3:.1f} | "
            f"{statistics.median(p['load']) * 1e3:.1f} | {len(p['load'])} |"
        )
        L.append(
            f"| `check_file` ({name} rules: read, parse, check) | {min(p['check']) * 1e3:.1f} | "
            f"{statistics.median(p['check']) * 1e3:.1f} | {len(p['check'])} |"
        )
    L.append(f"| `import svrules` in a fresh process | {ld['t_import'] * 1e3:.1f} | | 1 |")
    cs = S["cold"]
    L.append(
        f"| cold start: `svrules check examples/`, process start to exit | {min(cs['svrules']) * 1e3:.0f} | "
        f"{statistics.median(cs['svrules']) * 1e3:.0f} | {len(cs['svrules'])} |"
    )
    L.append(
        f"| the same, CPU time of the process | {min(cs['svrules_cpu']) * 1e3:.0f} | "
        f"{statistics.median(cs['svrules_cpu']) * 1e3:.0f} | {len(cs['svrules_cpu'])} |"
    )
    L.append(
        f"| for scale: `python -c pass`, process start to exit | {min(cs['python']) * 1e3:.0f} | "
        f"{statistics.median(cs['python']) * 1e3:.0f} | {len(cs['python'])} |"
    )
    T = S["targets"]
    L += [
        "",
        "### Targets",
        "",
        "| target | measured | met? |",
        "|---|---:|---|",
    ]
    for row in T:
        L.append(f"| {row['target']} | {row['measured']} | {'met' if row['met'] else '**not met**'} |")
    L += [
        "",
        f"Oracle disagreements, all svrules runs: {S['svrules_disagreements']} "
        f"(on {S['svrules_checked']:,} bid results).",
    ]
    if not S["batch"]:
        L.append(
            "JSONL throughput at `--jobs 1` / `--jobs 2`: not measured, this svrules has no `svrules batch`."
        )
    if len(S["source_digests"]) > 1:
        L.append(
            f"**Warning: svrules' source changed during the run** ({len(S['source_digests'])} different versions "
            "were measured); rerun for comparable figures."
        )
    return "\n".join(L)


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    v = {"python": platform.python_version(), "platform": platform.platform(), "cpu_count": os.cpu_count()}
    for p in ("svrules", "zen-engine", "lark", "jinja2", "pydantic", "typer", "rich"):
        try:
            v[p] = version(p)
        except PackageNotFoundError:
            v[p] = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    v["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with contextlib.suppress(OSError):
        v["git"] = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    return v


def orchestrate(args) -> None:
    import make_policy

    n = args.bids or (2000 if args.quick else 100_000)
    reps = 1 if args.quick else args.reps
    scale_n, sweep_n = min(n, SCALE_MAX_N), min(n, SWEEP_MAX_N)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="svrules-bench-"))
    measured = use_ref(args.ref, tmp / "svrules-src") if args.ref else {"ref": None, "path": str(ROOT)}
    if args.ref:
        print(
            f"svrules as of {args.ref} ({measured['commit'][:10]}), extracted to {measured['path']}",
            flush=True,
        )
    pol = {k: str(p) for k, p in make_policy.write_variants(tmp / "policies", SCALE_R).items()}
    print(f"policies written to {tmp / 'policies'}; {n:,} bids, {reps} repetition(s)", flush=True)

    def sv(policy, per_tender=1, contract_in_bid=False, input_="mapping", count=n):
        return {
            "engine": "svrules",
            "policy_path": pol[policy],
            "per_tender": per_tender,
            "contract_in_bid": contract_in_bid,
            "input": input_,
            "n": count,
        }

    main_jobs = {
        "floor": {"engine": "floor", "R": 1, "n": n},
        "zen-expr": {"engine": "zen-expr", "R": 1, "n": n},
        "sv-main": sv("12"),
        "sv-json": sv("12", input_="json"),
        "sv-chunk": sv("12-contract-in-bid", 1000, True),
        "sv-chunk-json": sv("12-contract-in-bid", 1000, True, "json"),
        "sv-scores": sv("12-criteria-only"),
    }
    scale_jobs = {}
    for R in (1, SCALE_R):
        scale_jobs[f"floor-R{R}"] = {"engine": "floor", "R": R, "n": scale_n}
        scale_jobs[f"zen-expr-R{R}"] = {"engine": "zen-expr", "R": R, "n": scale_n}
        scale_jobs[f"svrules-R{R}"] = {**sv("12" if R == 1 else f"{12 * R}", count=scale_n), "R": R}
    dumps = tmp / "dumps"
    dumps.mkdir()
    records = W.dataset(n)
    batch_jobs = (1, 2) if batch_available() else ()
    if batch_jobs:
        jsonl = tmp / "tenders.jsonl"
        jsonl.write_text("\n".join(make_tenders(records, 1, False, True)) + "\n", encoding="utf-8")
    batch_walls: dict[int, list[float]] = {j: [] for j in batch_jobs}
    recs: dict[str, list] = {}
    jobs = {
        **{f"main:{k}": v for k, v in main_jobs.items()},
        **{f"scale:{k}": v for k, v in scale_jobs.items()},
    }
    for rep in range(reps):
        order = list(jobs) if rep % 2 == 0 else list(reversed(jobs))
        print(f"-- repetition {rep + 1} of {reps}", flush=True)
        for key in order:
            job = dict(jobs[key])
            if rep == 0:
                job["dump"] = str(dumps / f"{key.replace(':', '_')}.pkl")
            recs.setdefault(key, []).append(run_job(job, tmp, key))
        for j in batch_jobs if rep % 2 == 0 else tuple(reversed(batch_jobs)):
            wall = batch_run(pol["12"], jsonl, j, tmp / f"batch-jobs{j}-rep{rep}.jsonl")
            batch_walls[j].append(wall)
            print(
                f"  {'svrules batch --jobs ' + str(j):44s} {n:>8,d} bids  {n / wall:>11,.0f} bids/s  {wall / n * 1e6:8.2f} µs/bid"
                "  (process start to exit)",
                flush=True,
            )

    print("-- bids per tender", flush=True)
    sweep = {}
    for size in SWEEP_SIZES:
        if size > sweep_n:
            continue
        sweep[str(size)] = summarize(
            [run_job(sv("12-contract-in-bid", size, True, count=sweep_n), tmp, f"sweep:{size}/tender")]
        )
    if sweep_n not in SWEEP_SIZES and sweep_n < max(SWEEP_SIZES):
        sweep[str(sweep_n)] = summarize(
            [run_job(sv("12-contract-in-bid", sweep_n, True, count=sweep_n), tmp, f"sweep:{sweep_n}/tender")]
        )

    print("-- load_policy and cold start", flush=True)
    load_runs = 3 if args.quick else 9
    ld_path = tmp / "load.json"
    p = subprocess.run(
        [
            sys.executable,
            str(HERE / "run.py"),
            "--load-worker",
            json.dumps(
                {
                    "policies": {f"{12 * SCALE_R}": pol[f"{12 * SCALE_R}"], "12": pol["12"]},
                    "runs": load_runs,
                    "out": str(ld_path),
                }
            ),
        ],
        env=ENV,
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        print(p.stderr[-3000:])
        raise SystemExit(1)
    load = json.loads(ld_path.read_text())
    cold = cold_start(3 if args.quick else 9)
    print(f"  svrules check examples/: exit {cold['exit']}, '{cold['output']}'", flush=True)

    print("-- oracle", flush=True)
    t = time.perf_counter()
    oracle = [W.reference_eval(r, exact=True) for r in records]
    oracle_scale = [W.reference_eval(r, R=SCALE_R, exact=True) for r in records[:scale_n]]
    print(
        f"  oracle for {n:,} + {scale_n:,} (x{SCALE_R}) records in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    checks = {}
    for key in main_jobs:
        meta = recs[f"main:{key}"][0]
        dump = dumps / f"main_{key}.pkl"
        if key in ("floor", "zen-expr"):
            checks[key] = check_float(dump, oracle)
        else:
            checks[key] = check_svrules(dump, meta, records, oracle, scored_all=key == "sv-scores")
    for key in ("floor", "zen-expr", "svrules"):
        dump = dumps / f"scale_{key}-R{SCALE_R}.pkl"
        meta = recs[f"scale:{key}-R{SCALE_R}"][0]
        if key == "svrules":
            checks[f"scale-{key}"] = check_svrules(dump, meta, records[:scale_n], oracle_scale, False)
            checks["scale-svrules-R1"] = check_svrules(
                dumps / "scale_svrules-R1.pkl",
                recs["scale:svrules-R1"][0],
                records[:scale_n],
                oracle[:scale_n],
                False,
            )
        else:
            checks[f"scale-{key}"] = check_float(dump, oracle_scale)
    for j in batch_jobs:
        checks[f"batch-jobs{j}"] = check_batch(tmp / f"batch-jobs{j}-rep0.jsonl", oracle)
    for key, chk in checks.items():
        print(f"  {key:22s} {chk['disagreements']} disagreements of {chk['checked']:,}", flush=True)
        for ex in chk["examples"]:
            print(f"      {ex[:400]}", flush=True)

    main = {k: summarize(recs[f"main:{k}"]) for k in main_jobs}
    scale = {k: summarize(recs[f"scale:{k}"]) for k in scale_jobs}
    sv_checks = [c for k, c in checks.items() if k.startswith(("sv-", "scale-svrules", "batch-"))]
    batch = {
        str(j): {
            "walls": walls,
            "bids_per_s": n / statistics.median(walls),
            "us_per_bid": statistics.median(walls) / n * 1e6,
            "cpu_us_per_bid": statistics.median(BATCH_CPU[j]) / n * 1e6,
        }
        for j, walls in batch_walls.items()
    }
    digests = sorted({r["source_digest"] for rs in recs.values() for r in rs})
    detail = recs["main:sv-main"][0]
    main_detail = {
        "bids_per_s": detail["bids"] / detail["t_detail"],
        "us_per_bid": detail["t_detail"] / detail["bids"] * 1e6,
    }
    big = f"{12 * SCALE_R}"
    ratio_zen = main["sv-main"]["bids_per_s"] / main["zen-expr"]["bids_per_s"]
    ratio_floor = main["sv-main"]["bids_per_s"] / main["floor"]["bids_per_s"]
    slowdown = scale["svrules-R1"]["bids_per_s"] / scale[f"svrules-R{SCALE_R}"]["bids_per_s"]
    cpu = {k: main[k]["cpu_us_per_bid"] for k in ("sv-main", "zen-expr", "floor")}
    slowdown_cpu = scale[f"svrules-R{SCALE_R}"]["cpu_us_per_bid"] / scale["svrules-R1"]["cpu_us_per_bid"]
    load_best = min(load["policies"][big]["load"]) * 1e3
    cold_median = statistics.median(cold["svrules"]) * 1e3
    targets = [
        {
            "target": f"throughput ≥ {TARGETS['zen']:g}× Zen (main set-up vs `zen-expr`)",
            "measured": f"{ratio_zen:.3g}× (CPU time: {cpu['zen-expr'] / cpu['sv-main']:.3g}×)",
            "met": ratio_zen >= TARGETS["zen"],
        },
        {
            "target": f"throughput ≥ {TARGETS['floor']:g}× the Python float floor",
            "measured": f"{ratio_floor:.3g}× (CPU time: {cpu['floor'] / cpu['sv-main']:.3g}×)",
            "met": ratio_floor >= TARGETS["floor"],
        },
        {
            "target": f"12 → {big} rules slow-down ≤ {TARGETS['slowdown']:g}×",
            "measured": f"{slowdown:.2f}× (CPU time: {slowdown_cpu:.2f}×)",
            "met": slowdown <= TARGETS["slowdown"],
        },
        {
            "target": f"parse + check of the {big}-rule policy < {TARGETS['load_ms']:g} ms (`load_policy`, best)",
            "measured": f"{load_best:.1f} ms (CPU time: {min(load['policies'][big]['load_cpu']) * 1e3:.1f} ms)",
            "met": load_best < TARGETS["load_ms"],
        },
        {
            "target": f"cold start of `svrules check examples/` < {TARGETS['cold_ms']:g} ms (median)",
            "measured": f"{cold_median:.0f} ms (CPU time: {statistics.median(cold['svrules_cpu']) * 1e3:.0f} ms)",
            "met": cold_median < TARGETS["cold_ms"],
        },
    ]
    S = {
        "n": n,
        "reps": reps,
        "scale_n": scale_n,
        "sweep_n": sweep_n,
        "started": started,
        "versions": versions(),
        "main": main,
        "main_detail": main_detail,
        "scale": scale,
        "sweep": sweep,
        "batch": batch,
        "load": load,
        "cold": cold,
        "checks": checks,
        "source_digests": digests,
        "targets": targets,
        "svrules_disagreements": sum(c["disagreements"] for c in sv_checks),
        "svrules_checked": sum(c["checked"] for c in sv_checks),
        "measured": measured,
        "wall_s": time.perf_counter() - t_start,
        "load_average": {"median": statistics.median(LOADS), "max": max(LOADS)},
        "quick": bool(args.quick),
    }
    table = render(S)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stem = "quick" if args.quick else "latest"
    (results / f"{stem}.json").write_text(json.dumps(S, indent=1, default=str))
    (results / f"{stem}.md").write_text(table + "\n")
    print()
    print(table)
    print(f"\ntotal wall time {S['wall_s'] / 60:.1f} min; results in {results / (stem + '.json')}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description="svrules benchmark on the anchor workload (see the module docstring)"
    )
    ap.add_argument(
        "--bids", type=int, help="records to generate and evaluate (default 100000; --quick 2000)"
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 2,000 bids, one repetition")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each timed row (default 3)")
    ap.add_argument(
        "--ref",
        help="benchmark svrules as of this git commit (extracted to a temporary folder) instead of the working tree",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--load-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
    elif args.load_worker:
        load_worker(json.loads(args.load_worker))
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
