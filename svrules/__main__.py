"""`python -m svrules`: the same as the `svrules` command."""

from svrules.cli.app import main

main()
