"""The ground floor: source text and places in it, diagnostics, exact decimals, the written
forms of literals, safe output files and identifiers for generated code. Imports nothing
else of svrules."""
