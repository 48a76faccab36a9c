"""Checked policy + tender → results: reading and validating tenders, the closures
(`compiler`) and the generated bid function (`codegen`), run-time failures, the runtime,
results and their reasons (`explain`), KPI assessment and the tender's JSON Schema."""
