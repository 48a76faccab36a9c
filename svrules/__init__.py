"""svrules: social value rules for public procurement, as code.

    import svrules
    policy = svrules.load_policy("examples/example-borough/policy.svr")
    result = policy.evaluate(Path("examples/example-borough/tenders/borough-cleaning-2025.json"))

The package is the pipeline, in layers that import only downward: core → language (text
→ checked policy) → engine (→ results) → words → documents → api → tools → cli.
See docs/architecture.md.
"""

from svrules.api import (
    Policy,
    check_file,
    load_json,
    load_policy,
)
from svrules.core.diagnostics import (
    Diagnostic,
    InputError,
    PolicyError,
    SvrulesError,
)
from svrules.engine.results import BidResult, RuleResult, TenderResult

__all__ = [
    "BidResult",
    "Diagnostic",
    "InputError",
    "Policy",
    "PolicyError",
    "RuleResult",
    "SvrulesError",
    "TenderResult",
    "check_file",
    "load_json",
    "load_policy",
]
__version__ = "0.1.0"
