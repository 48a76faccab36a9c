"""The `svrules` command: `app` holds the Typer app and the exit codes; each command is
its own module, imported when it runs."""
