"""The `svrules` command line: the Typer app, one module per command, and the exit codes.

A user never sees a traceback: svrules' own errors print as diagnostics (exit 1), usage
errors as usage (exit 2), an interrupt exits 130 and anything unexpected prints one line
naming the fault (exit 70). Commands import the heavy parts of svrules only when they run.
"""

from __future__ import annotations

import os
import sys
from typing import Protocol, runtime_checkable

import typer

from svrules.cli import assess, batch, check, diff, docs, evaluate, fmt, render, schema, test
from svrules.cli.common import stderr
from svrules.core.diagnostics import SvrulesError
from svrules.core.diagnostics import render as render_diagnostic

app = typer.Typer(
    name="svrules",
    help="Social value rules for public procurement: check policies, evaluate tenders.",
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
)

# In the order `svrules --help` lists them.
for command in (check, evaluate, schema, assess, batch, test, diff, docs, fmt, render):
    command.register(app)


def main() -> None:
    """Entry point: run the app, turning every failure into a message and an exit code."""
    try:
        code = app(standalone_mode=False)
    except SvrulesError as exc:
        stderr("\n".join(render_diagnostic(diag, exc.sources) for diag in exc.diagnostics))
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        stderr("aborted")
        sys.exit(130)
    except _click_usage_errors() as exc:
        assert isinstance(exc, _UsageError)
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the promise: never a traceback
        if os.environ.get("SVRULES_DEBUG"):
            raise
        stderr(f"svrules: internal error: {type(exc).__name__}: {exc}")
        stderr("    hint: please report this; run with SVRULES_DEBUG=1 to see where it happened")
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


@runtime_checkable
class _UsageError(Protocol):
    """What Click's errors have, in either copy of Click: their own wording and exit status."""

    exit_code: int

    def show(self) -> None: ...


def _click_usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors: newer Typer bundles its own copy of Click, older uses Click's."""
    errors: list[type[Exception]] = []
    try:
        from typer._click.exceptions import ClickException as BundledClickException
    except ImportError:
        pass
    else:
        errors.append(BundledClickException)
    try:
        import click
    except ImportError:
        pass
    else:
        errors.append(click.ClickException)
    return tuple(errors)


if __name__ == "__main__":
    main()
