"""Peer cross-checks of slp_eval.prepost against base R (prop.test, poisson.test, mcnemar.test,
wilcox.test, t.test, p.adjust). Skipped when Rscript is absent (``make peer`` installs R)."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from slp_eval.prepost import (
    adjust_pvalues,
    compare_means,
    compare_paired_proportions,
    compare_proportions,
    compare_rates,
    exact_poisson_interval,
)

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed"),
]

SCRIPT = Path(__file__).parent / "peer_prepost" / "prepost_checks.R"


@pytest.fixture(scope="module")
def r() -> dict[str, float]:
    run = subprocess.run(
        ["Rscript", "--vanilla", str(SCRIPT)], capture_output=True, text=True, check=True,
        timeout=120,
    )
    return {k: float(v) for k, v in (line.split(",") for line in run.stdout.splitlines())}


def test_prop_test_chi_square_and_fisher(r):
    big = compare_proportions(189, 450, 378, 450)
    assert big.p_value == pytest.approx(r["prop_p"], rel=1e-9)
    wald = compare_proportions(48, 80, 56, 70, method="wald")
    assert wald.p_value == pytest.approx(r["prop2_p"], rel=1e-9)
    assert (wald.ci_low, wald.ci_high) == pytest.approx((r["prop2_low"], r["prop2_high"]), rel=1e-9)
    small = compare_proportions(1, 34, 7, 34)
    assert small.p_value == pytest.approx(r["fisher_p"], rel=1e-9)


def test_poisson_test(r):
    placements = compare_rates(201, 1, 152, 1)
    assert placements.rate_ratio == pytest.approx(r["pois_rr"], rel=1e-12)
    assert placements.p_value == pytest.approx(r["pois_p"], rel=1e-9)
    assert (placements.ci_low, placements.ci_high) == pytest.approx(
        (r["pois_low"], r["pois_high"]), rel=1e-9
    )
    bed_days = compare_rates(1102, 31, 680, 31)
    assert bed_days.p_value == pytest.approx(r["bed_p"], rel=1e-6, abs=1e-300)
    assert (bed_days.ci_low, bed_days.ci_high) == pytest.approx((r["bed_low"], r["bed_high"]))
    assert exact_poisson_interval(7) == pytest.approx((r["single_low"], r["single_high"]))


def test_mcnemar(r):
    table = [[794, 150], [86, 570]]
    assert compare_paired_proportions(table, test="chi2").p_value == pytest.approx(
        r["mcnemar_p"], rel=1e-9
    )
    assert compare_paired_proportions(table).p_value == pytest.approx(
        r["mcnemar_exact_p"], rel=1e-9
    )


def test_wilcox_and_welch(r):
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    result = compare_means(y, x)
    assert result.hodges_lehmann == pytest.approx(r["hl_est"], rel=1e-9)
    assert (result.hl_ci_low, result.hl_ci_high) == pytest.approx((r["hl_low"], r["hl_high"]))
    assert result.mann_whitney_p == pytest.approx(r["mw_p"], rel=1e-9)
    assert result.p_value == pytest.approx(r["welch_p"], rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((r["welch_low"], r["welch_high"]))


def test_p_adjust(r):
    p = [0.01, 0.04, 0.03, 0.005, 0.2]
    np.testing.assert_allclose(adjust_pvalues(p), [r[f"holm{i}"] for i in range(1, 6)])
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), [r[f"bh{i}"] for i in range(1, 6)])
