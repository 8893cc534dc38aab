"""What a results-page report is: the ``Report`` (a committed file under docs/results/)
and the ``Figure`` rows read from it, with the number formats they share."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Figure", "Report", "RATE_CI", "P50_P95", "README", "CARD"]


@dataclass(frozen=True)
class Figure:
    """One number on the page: ``fmt`` (a ``str.format`` template) over the values at
    ``paths`` (dotted paths into the report or its latest run; a path ``a*b`` is the
    product of two numbers rounded to a whole count, a rate times its denominator).
    ``tables`` names the files whose compact table shows it too."""

    label: str
    paths: tuple[str, ...]
    fmt: str
    target: str = ""
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """A committed report (``file`` under docs/results/) and the figures read from it.
    ``command`` regenerates a report that does not record its own; ``run_columns`` are
    figures shown for every run of a report that keeps several."""

    file: str
    title: str
    short: str
    measures: str
    figures: tuple[Figure, ...]
    command: str = ""
    run_columns: tuple[Figure, ...] = ()


# A rate with its Wilson 95 % interval and counts, as benchmarks.qa writes it.
RATE_CI = "{0[rate]:.2f} [{0[ci95][0]:.2f}–{0[ci95][1]:.2f}] ({0[k]}/{0[n]})"
P50_P95 = "{0[p50]:.2f} / {0[p95]:.2f} s"
README, CARD = "README.md", "agent/adapter/README.md"
