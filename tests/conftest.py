"""Suite-wide pytest configuration: hypothesis profiles, no silent skips of the independent
checks in CI, and one log line per independent check with its counts.

- Hypothesis profiles: ``HYPOTHESIS_PROFILE=quick`` (the default, 60 examples: enough to catch a
  broken invariant in seconds) and ``HYPOTHESIS_PROFILE=ci`` (300 examples; `.ci/run` uses it).
  A test's own ``@settings(max_examples=...)`` wins over the profile, so only tests that leave
  the count to the profile get the larger CI count (the cheap ones: prepost intervals, power,
  series shares, ~15 CPU-seconds at 300); expensive tests (ITS fits, DuckDB, the synthetic
  census) pin theirs.
- Under ``CI=true`` a test marked ``peer`` (R), ``browser`` (headless Chromium) or ``pdf``
  (WeasyPrint, which needs the system Pango) that would
  skip is reported as a FAILURE naming the missing tool, so CI can never pass by skipping them.
  Locally they may skip; ``-rs`` (pyproject's addopts) lists every skip with its reason.
- The terminal summary ends with one line per independent check, e.g. ``R peer: 68 passed``.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("quick", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

#: Markers of the checks made against an independent implementation, and their log names.
INDEPENDENT = {"peer": "R peer", "browser": "browser", "pdf": "PDF (WeasyPrint)"}


def in_ci() -> bool:
    """True when the CI environment variable is set to a true value (GitHub, GitLab: "true")."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    marked = [m for m in INDEPENDENT if item.get_closest_marker(m) is not None]
    if report.skipped and marked and in_ci():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"{INDEPENDENT[marked[0]]} check skipped under CI=true, which counts as a "
                           f"failure (install what .ci/run installs): {reason}")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    """One line per independent check: how many of its tests passed, failed and skipped."""
    counts = {marker: Counter[str]() for marker in INDEPENDENT}
    # stats hold call-phase passes, failures of any phase, setup/teardown errors and skips
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            for marker in INDEPENDENT:
                if marker in getattr(report, "keywords", {}):
                    counts[marker][outcome] += 1
    if not any(counts.values()):
        return
    terminalreporter.write_sep("=", "independent checks")
    for marker, name in INDEPENDENT.items():
        found = counts[marker]
        parts = [f"{found[o]} {o}" for o in ("passed", "failed", "error", "skipped") if found[o]]
        terminalreporter.write_line(f"{name}: {', '.join(parts) or 'not run'}")
