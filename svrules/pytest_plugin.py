"""pytest plugin: collects policy test files (`policies/<name>/tests/*.yaml`).

Registered under the entry point `pytest11: svrules`.
"""
