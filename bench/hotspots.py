"""Where svrules spends its time on the benchmark workload.

    python bench/hotspots.py [--bids N] [--policy 12|120|12-criteria-only] [--json] [--detail] [--pyinstrument]

Evaluates N records (default 20,000) the way bench/run.py's main row does (one bid per
tender, Decimal mappings; compliance, failed rule ids and total read back; --detail reads
every rule's outcome and score as well) under cProfile, and prints the functions
with the most time of their own (file:function, % of the profiled total), then the same
time summed by module. With --pyinstrument (pip install pyinstrument) it also prints
pyinstrument's sampled call tree, which does not inflate small, often-called functions as
cProfile's per-call overhead does. --json feeds JSON text instead of mappings.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import anchor_workload as W  # noqa: E402
import make_policy  # noqa: E402
from run import AS_OF, make_tenders  # noqa: E402


def _short(filename: str) -> str:
    path = Path(filename)
    for marker in ("svrules", "decimal", "json", "re", "abc"):
        if marker in path.parts:
            return "/".join(path.parts[path.parts.index(marker) :])
    if filename.startswith("<svrules"):
        return filename  # the code svrules generates for a policy
    if filename.startswith(("~", "<")):
        return "builtins"
    return path.name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bids", type=int, default=20_000)
    ap.add_argument("--policy", default="12", choices=["12", "120", "12-criteria-only"])
    ap.add_argument("--json", action="store_true", help="JSON text input instead of Decimal mappings")
    ap.add_argument("--detail", action="store_true", help="also read every rule's outcome and score")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--pyinstrument", action="store_true")
    args = ap.parse_args()

    import svrules

    folder = Path(tempfile.mkdtemp(prefix="svrules-profile-"))
    path = make_policy.write_variants(folder)[args.policy]
    policy = svrules.load_policy(path)
    tenders = make_tenders(W.dataset(args.bids), 1, False, args.json)

    def run():
        out = []
        for tender in tenders:
            for b in policy.evaluate(tender, as_of=AS_OF).bids:
                if args.detail:
                    out.append(
                        (
                            b.compliant,
                            tuple([r.outcome for r in b.requirements]),
                            tuple([c.score for c in b.criteria]),
                            b.total_score,
                        )
                    )
                else:
                    out.append((b.compliant, tuple(b.failed_requirements), b.total_score))
        return out

    run()  # warm up
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = []
    by_module: dict[str, float] = defaultdict(float)
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        where = _short(filename)
        rows.append((tt, ct, nc, f"{where}:{line}({name})" if line else f"{where}:{name}"))
        by_module[where] += tt
    print(
        f"cProfile: {args.bids:,} bids, policy {args.policy}, {'JSON text' if args.json else 'Decimal mappings'}; "
        f"profiled total {total:.2f} s ({total / args.bids * 1e6:.1f} µs/bid under the profiler)\n"
    )
    print(f"{'self %':>7} {'cum %':>7} {'calls':>10}  function")
    for tt, ct, nc, label in sorted(rows, reverse=True)[: args.top]:
        print(f"{tt / total * 100:6.1f}% {ct / total * 100:6.1f}% {nc:>10,d}  {label}")
    print(f"\n{'self %':>7}  module")
    for module, tt in sorted(by_module.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{tt / total * 100:6.1f}%  {module}")

    if args.pyinstrument:
        from pyinstrument import Profiler

        p = Profiler(interval=0.0005)
        p.start()
        run()
        p.stop()
        print()
        print(p.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
