"""Scripted question-answer benchmarks: suites (JSONL), scoring, the `geofm bench` runner.

Catalog: ``suite`` (load cases, FormationEval JSON too), ``scoring`` (answer extraction,
matching, confidence intervals), ``runner`` (loglik / generate / agent modes),
``report`` (JSON, Markdown, plot). Stand-alone benchmark scripts live beside them.
"""
