"""Peer check of `fit_its` against R on the reference datasets and on seeded synthetic series.

R fits the same models with its own design matrices (tests/peer/*.R): `nlme::gls` with
`corAR1` by REML, `lm` + `sandwich::NeweyWest(lag, prewhite = FALSE, adjust = TRUE)` +
`lmtest::coeftest`, and `glm` Poisson / quasi-Poisson with a log offset and hand-built Fourier
terms. Skipped when `Rscript` is absent (`make peer` installs R from Debian).

Tolerances (measured agreement is in docs/its_validation.md):
- estimates: 1e-6 (relative to max(1, |value|)), the issue's requirement;
- standard errors, intervals and p-values: 1e-6 relative for OLS, Newey-West, Poisson and
  REML-GLS; 1e-5 for quasi-Poisson (R's dispersion uses the last IRLS iteration's working
  residuals, ~2e-6 away from the Pearson chi2 of the final fit). For REML-GLS the R script
  polishes nlme's rho with optimize() on nlme's own restricted likelihood (nlme alone stops
  with rho good to ~1e-6, which moves estimates by up to 1.2e-6).
- Degrees of freedom: Newey-West t tests on n - k df, as Stata's `newey` and `coeftest`;
  REML-GLS t tests on n - p df, as `nlme::gls` (`small_sample="none"`; the Kenward-Roger and
  Satterthwaite defaults are checked in tests/test_its_small_sample.py). Poisson and
  quasi-Poisson intervals here are compared on standard errors and point estimates only, since
  R prints t-based p-values for quasi-Poisson and z-based intervals in `ci.exp`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slp_eval.its import fit_its
from slp_eval.power import simulate_its_series

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed"),
]

HERE = Path(__file__).parent
PEER = HERE / "peer"
DATA = HERE / "data"
EFFECTS = ("intercept", "trend", "level_change", "trend_change")


def run_r(tmp_path: Path, script: str, *args: object) -> pd.DataFrame:
    out = tmp_path / f"{script}.out.csv"
    subprocess.run(["Rscript", str(PEER / script), *(str(a) for a in args), str(out)],
                   check=True, capture_output=True, timeout=120)
    return pd.read_csv(out, na_values=["NA"])


def run_r_on(tmp_path: Path, script: str, frame: pd.DataFrame, *args: object) -> pd.DataFrame:
    source = tmp_path / "series.csv"
    frame.to_csv(source, index=False, float_format="%.17g")
    out = tmp_path / f"{script}.out.csv"
    subprocess.run(["Rscript", str(PEER / script), str(source), str(out), *(str(a) for a in args)],
                   check=True, capture_output=True, timeout=120)
    return pd.read_csv(out, na_values=["NA"]).set_index("term")


def close(ours: float, theirs: float, rel: float) -> None:
    assert abs(ours - theirs) <= rel * max(1.0, abs(theirs)), (ours, theirs)


def compare(ours: pd.DataFrame, theirs: pd.DataFrame, label: str, se_rel: float,
            intervals: bool = True) -> None:
    """`ours` indexed by slp-eval term, `theirs` by the bare effect name."""
    for term in EFFECTS:
        mine = ours.loc[term if term in ours.index else f"{term}[{label}]"]
        ref = theirs.loc[term]
        close(mine["estimate"], ref["estimate"], 1e-6)
        close(mine["std_err"], ref["std_err"], se_rel)
        if intervals:
            close(mine["ci_low"], ref["ci_low"], se_rel)
            close(mine["ci_high"], ref["ci_high"], se_rel)
            close(mine["p_value"], ref["p_value"], se_rel)


# ---------------------------------------------------------------------------------------------
# Reference datasets
# ---------------------------------------------------------------------------------------------

def test_prop99_newey_west_matches_r(tmp_path: Path) -> None:
    california = pd.read_csv(DATA / "prop99_cigsales" / "cigsales_single.csv")
    theirs = pd.read_csv(_run_script(tmp_path, "linden_prop99.R",
                                     DATA / "prop99_cigsales" / "cigsales_single.csv"))
    theirs = theirs.set_index("term")
    ours = fit_its(california, outcome="cigsale", time="year", interruptions=[1989],
                   errors="newey-west", maxlags=1).coefficients
    for term in ("intercept", "trend", "level_change[1989]", "trend_change[1989]"):
        for column in ("estimate", "std_err", "ci_low", "ci_high", "p_value"):
            close(ours.loc[term, column], theirs.loc[term, column], 1e-6)


def test_prop99_multiple_group_panel_newey_west_matches_r(tmp_path: Path) -> None:
    # California against the other 38 states, Newey-West lag 1 within each state, n/(n-k), t on
    # n - k df (Stata's newey on panel data); R: tests/peer/linden_prop99_panel.R
    states = pd.read_csv(DATA / "prop99_cigsales" / "cigsales.csv")
    theirs = pd.read_csv(_run_script(tmp_path, "linden_prop99_panel.R",
                                     DATA / "prop99_cigsales" / "cigsales.csv")).set_index("term")
    ours = fit_its(states, outcome="cigsale", time="year", interruptions=[1989], group="state",
                   treated="California", errors="newey-west", maxlags=1).coefficients
    assert list(ours.index) == list(theirs.index)
    for term in theirs.index:
        for column in ("estimate", "std_err", "ci_low", "ci_high", "p_value"):
            close(ours.loc[term, column], theirs.loc[term, column], 1e-6)


def test_prop99_reml_ar1_matches_nlme(tmp_path: Path) -> None:
    california = pd.read_csv(DATA / "prop99_cigsales" / "cigsales_single.csv")
    series = pd.DataFrame({"t": california["year"] - 1970, "y": california["cigsale"]})
    theirs = run_r_on(tmp_path, "segmented_gaussian.R", series, "ar", 19)
    result = fit_its(california, outcome="cigsale", time="year", interruptions=[1989],
                     errors="ar", small_sample="none")
    # California's series is close to a random walk: the restricted likelihood rises all the
    # way to rho = 1. nlme stops at rho = 0.9999928, slp-eval at its bound 0.9999. Both are at
    # the boundary, and the effect estimates still agree to 1e-6; the intercept (the level at
    # 1970, the quantity most sensitive to rho near 1) to 1e-4 relative; the effects' standard
    # errors to 1e-3. The intercept's standard error is not compared: it grows without bound
    # as rho -> 1 (186 at rho = 0.9999, 689 at 0.9999928), since a random walk has no level.
    assert _ar_rho(result) > 0.999 and theirs.loc["rho", "estimate"] > 0.999
    ours = result.coefficients
    for term in ("trend", "level_change[1989]", "trend_change[1989]"):
        close(ours.loc[term, "estimate"], theirs.loc[term.split("[")[0], "estimate"], 1e-6)
    close(ours.loc["intercept", "estimate"], theirs.loc["intercept", "estimate"], 1e-4)
    for term in ("trend", "level_change[1989]", "trend_change[1989]"):
        close(ours.loc[term, "std_err"], theirs.loc[term.split("[")[0], "std_err"], 1e-3)


def _run_script(tmp_path: Path, script: str, source: Path) -> Path:
    out = tmp_path / f"{script}.out.csv"
    subprocess.run(["Rscript", str(PEER / script), str(source), str(out)], check=True,
                   capture_output=True, timeout=120)
    return out


def _ar_rho(result: object) -> float:
    """rho of the fitted REML AR(1) errors."""
    return float(result.model_info()["ar_params"][0])  # type: ignore[attr-defined]


def test_sicily_models_match_the_authors_code_in_r(tmp_path: Path) -> None:
    sicily = pd.read_csv(DATA / "sicily_smoking_ban" / "sicily.csv")
    sicily["period"] = [f"{y}-{m:02d}" for y, m in zip(sicily["year"], sicily["month"],
                                                         strict=True)]
    theirs = pd.read_csv(_run_script(tmp_path, "lopezbernal_sicily.R",
                                     DATA / "sicily_smoking_ban" / "sicily.csv"))
    theirs = theirs.set_index(["model", "term"])
    fourier = {"fourier": 2, "period": 12}
    for model, family, impact, seasonality in (
            ("model1", "poisson", "level", None), ("model2", "quasipoisson", "level", None),
            ("model3", "quasipoisson", "level", fourier),
            ("model4", "quasipoisson", "level+trend", fourier)):
        result = fit_its(sicily, outcome="aces", time="period", interruptions=["2005-01"],
                         impact=impact, family=family, errors="ols", offset="stdpop",
                         seasonality=seasonality)
        ours = result.coefficients
        level_ref = "step_at_37" if model == "model4" else "smokban"
        pairs = [("level_change[2005-01]", level_ref), ("trend", "time")]
        if model == "model4":
            pairs.append(("trend_change[2005-01]", "inter"))
        rel = 1e-6 if family == "poisson" else 1e-5
        for mine, ref in pairs:
            close(ours.loc[mine, "estimate"], theirs.loc[(model, ref), "estimate"], 1e-6)
            close(ours.loc[mine, "std_err"], theirs.loc[(model, ref), "std_err"], rel)


# ---------------------------------------------------------------------------------------------
# Seeded synthetic series
# ---------------------------------------------------------------------------------------------

SYNTHETIC = {"intercept": 50.0, "trend": 0.3, "level_change": -4.0, "trend_change": -0.2}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("n_pre", "n_post", "rho"), [(48, 48, 0.5), (20, 16, 0.2)])
def test_synthetic_reml_ar1_matches_nlme(tmp_path: Path, seed: int, n_pre: int, n_post: int,
                                         rho: float) -> None:
    frame = simulate_its_series(n_pre, n_post, **SYNTHETIC, sigma=2.0, rho=rho, seed=seed)
    theirs = run_r_on(tmp_path, "segmented_gaussian.R",
                      frame.rename(columns={"outcome": "y"})[["t", "y"]], "ar", n_pre)
    result = fit_its(frame, outcome="outcome", time="period", interruptions=[n_pre + 1],
                     errors="ar", small_sample="none")
    compare(result.coefficients, theirs, str(n_pre + 1), se_rel=1e-6)
    close(_ar_rho(result), theirs.loc["rho", "estimate"], 1e-6)


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize(("errors", "lag"), [("ols", 0), ("newey-west", 0), ("newey-west", 1),
                                             ("newey-west", 3)])
def test_synthetic_ols_and_newey_west_match_sandwich(tmp_path: Path, seed: int, lag: int,
                                                     errors: str) -> None:
    frame = simulate_its_series(30, 30, **SYNTHETIC, sigma=2.0, rho=0.4, seed=seed)
    r_errors = "newey" if errors == "newey-west" else "ols"
    theirs = run_r_on(tmp_path, "segmented_gaussian.R",
                      frame.rename(columns={"outcome": "y"})[["t", "y"]], r_errors, 30, lag)
    result = fit_its(frame, outcome="outcome", time="period", interruptions=[31],
                     errors=errors, maxlags=lag if errors == "newey-west" else None)
    compare(result.coefficients, theirs, "31", se_rel=1e-6)


@pytest.mark.parametrize("seed", [6, 7])
@pytest.mark.parametrize(("family", "fourier"), [("poisson", 0), ("quasipoisson", 0),
                                                 ("poisson", 2), ("quasipoisson", 1)])
def test_synthetic_counts_with_offset_and_fourier_match_glm(tmp_path: Path, seed: int,
                                                            family: str, fourier: int) -> None:
    frame = simulate_its_series(36, 24, intercept=np.log(0.002), trend=0.004,
                                level_change=np.log(0.85), trend_change=-0.003, sigma=0.05,
                                family="poisson", seed=seed)
    # exposure varies, and its log enters as an offset: scale the counts accordingly
    rng = np.random.default_rng(seed)
    exposure = rng.uniform(300_000, 400_000, len(frame)).round(1)
    frame["outcome"] = rng.poisson(frame["expected"] * exposure)
    frame["exposure"] = exposure
    frame["month"] = pd.period_range("2015-01", periods=len(frame), freq="M").astype(str)
    theirs = run_r_on(tmp_path, "segmented_counts.R",
                      frame.rename(columns={"outcome": "y"})[["t", "y", "exposure"]], family, 36,
                      fourier, 12)
    result = fit_its(frame, outcome="outcome", time="month", interruptions=["2018-01"],
                     family=family, errors="ols", offset="exposure",
                     seasonality={"fourier": fourier, "period": 12} if fourier else None)
    compare(result.coefficients, theirs, "2018-01",
            se_rel=1e-6 if family == "poisson" else 1e-5, intervals=False)
    if family == "quasipoisson":
        close(float(result.model_result.scale), theirs.loc["dispersion", "estimate"], 1e-5)


# ---------------------------------------------------------------------------------------------
# Every family x error model with an R counterpart: standard errors, not only estimates
# ---------------------------------------------------------------------------------------------

def _family_series(family: str, seed: int, n: int = 60) -> pd.DataFrame:
    """Monthly series with AR(1) latent noise (so Newey-West has something to correct):
    Poisson-lognormal counts with an exposure, or binomial shares of a varying cohort."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    post = (t >= n // 2).astype(float)
    noise = np.zeros(n)
    for i in range(n):
        noise[i] = (0.5 * noise[i - 1] if i else 0.0) + rng.normal(0, 0.15)
    eta = 0.003 * t - 0.25 * post - 0.006 * (t - n // 2) * post
    eta = eta + 0.2 * np.sin(2 * np.pi * t / 12) + noise
    frame = pd.DataFrame({"t": t, "month": pd.period_range("2016-01", periods=n, freq="M")
                          .astype(str)})
    if family == "binomial":
        trials = rng.integers(120, 300, n)
        frame["y"] = rng.binomial(trials, 1 / (1 + np.exp(-(eta - 0.5))))
        frame["trials"] = trials
    else:
        exposure = rng.uniform(8_000, 12_000, n).round(1)
        frame["y"] = rng.poisson(np.exp(eta + np.log(exposure) - 6.0))
        frame["exposure"] = exposure
    return frame


@pytest.mark.parametrize("seed", [21, 22])
@pytest.mark.parametrize("errors", ["ols", "newey-west"])
@pytest.mark.parametrize("family", ["poisson", "quasipoisson", "negbin", "binomial"])
def test_every_glm_family_and_error_model_matches_r_standard_errors(
        tmp_path: Path, family: str, errors: str, seed: int) -> None:
    """R: glm (poisson, quasipoisson, quasibinomial on cbind(y, trials - y)) or MASS::glm.nb,
    Fourier K = 1, with vcov or sandwich::NeweyWest(lag 2, prewhite = FALSE, adjust = TRUE);
    tests/peer/family_errors.R. Estimates and standard errors to 1e-6 relative, and the
    dispersion (Pearson chi2 / df; theta = 1/alpha for negbin) to 1e-6."""
    frame = _family_series(family, seed)
    extra = ["trials"] if family == "binomial" else ["exposure"]
    lag = 2
    theirs = run_r_on(tmp_path, "family_errors.R", frame[["t", "y", *extra]], family,
                      "newey" if errors == "newey-west" else "ols", 30, lag, 1)
    result = fit_its(frame, outcome="y", time="month", interruptions=["2018-07"], family=family,
                     errors=errors, maxlags=lag if errors == "newey-west" else None,
                     seasonality={"fourier": 1, "period": 12},
                     **({"trials": "trials"} if family == "binomial" else {"offset": "exposure"}))
    compare(result.coefficients, theirs, "2018-07", se_rel=1e-6, intervals=False)
    info = result.model_info()
    if family == "negbin":
        close(1 / info["negbin_alpha"], theirs.loc["dispersion", "estimate"], 1e-5)
    elif family != "poisson":
        close(info["dispersion"], theirs.loc["dispersion", "estimate"], 1e-6)
        close(result.diagnostics().overdispersion, theirs.loc["dispersion", "estimate"], 1e-6)


@pytest.mark.parametrize("errors", ["ols", "newey-west", "ar"])
def test_every_gaussian_error_model_matches_r_standard_errors(tmp_path: Path,
                                                              errors: str) -> None:
    """gaussian x ols / Newey-West (lag 2) / REML AR(1) on one 60-month series: lm + vcov,
    sandwich::NeweyWest, nlme::gls corAR1 REML (tests/peer/segmented_gaussian.R)."""
    frame = simulate_its_series(30, 30, **SYNTHETIC, sigma=2.0, rho=0.5, seed=23)
    r_errors = {"newey-west": "newey"}.get(errors, errors)
    theirs = run_r_on(tmp_path, "segmented_gaussian.R",
                      frame.rename(columns={"outcome": "y"})[["t", "y"]], r_errors, 30, 2)
    result = fit_its(frame, outcome="outcome", time="period", interruptions=[31],
                     errors=errors, maxlags=2 if errors == "newey-west" else None,
                     small_sample="none" if errors == "ar" else None)
    compare(result.coefficients, theirs, "31", se_rel=1e-6)


@pytest.mark.parametrize(("family", "seed"), [("gaussian", 31), ("gaussian", 32),
                                              ("quasipoisson", 33), ("binomial", 34),
                                              ("negbin", 35)])
def test_automatic_newey_west_lag_is_sandwich_bw_newey_west(tmp_path: Path, family: str,
                                                            seed: int) -> None:
    """maxlags=None: the Newey & West (1994) plug-in lag, R's
    floor(bwNeweyWest(fit, kernel = "Bartlett", prewhite = FALSE)), and the SEs at that lag."""
    if family == "gaussian":
        frame = simulate_its_series(30, 30, **SYNTHETIC, sigma=2.0, rho=0.6, seed=seed)
        frame = frame.rename(columns={"outcome": "y"})
        theirs = run_r_on(tmp_path, "segmented_gaussian.R", frame[["t", "y"]], "newey", 30,
                          "auto")
        result = fit_its(frame, outcome="y", time="period", interruptions=[31],
                         errors="newey-west")
        label = "31"
    else:
        frame = _family_series(family, seed)
        extra = ["trials"] if family == "binomial" else ["exposure"]
        theirs = run_r_on(tmp_path, "family_errors.R", frame[["t", "y", *extra]], family,
                          "newey", 30, "auto", 1)
        result = fit_its(frame, outcome="y", time="month", interruptions=["2018-07"],
                         family=family, errors="newey-west",
                         seasonality={"fourier": 1, "period": 12},
                         **({"trials": "trials"} if family == "binomial"
                            else {"offset": "exposure"}))
        label = "2018-07"
        assert result.fit.maxlags == int(theirs.loc["lag", "estimate"])
    assert result.model_info()["maxlags_chosen_by"].startswith("Newey-West (1994) plug-in")
    compare(result.coefficients, theirs, label, se_rel=1e-6, intervals=False)


@pytest.mark.parametrize(("order", "phase_in", "seed"), [(1, 0, 41), (1, 3, 42), (2, 0, 43)])
def test_arima_errors_match_r_arima_ml(tmp_path: Path, order: int, phase_in: int,
                                       seed: int) -> None:
    """errors="arima": R's arima(method = "ML", reltol 1e-12) on a 96-month series, with
    phase-in rows as missing values (NA) in R: estimates and AR coefficients to 1e-5, standard
    errors to 1e-3 (R's var.coef is optim's numerical Hessian, good to ~1e-4)."""
    frame = simulate_its_series(48, 48, **SYNTHETIC, sigma=2.0, rho=0.5, seed=seed)
    r_frame = frame.rename(columns={"outcome": "y"})[["t", "y"]].copy()
    r_frame.loc[(r_frame["t"] >= 48) & (r_frame["t"] < 48 + phase_in), "y"] = np.nan
    theirs = run_r_on(tmp_path, "arima_ml.R", r_frame, 48, order)
    result = fit_its(frame, outcome="outcome", time="period", interruptions=[49],
                     errors="arima", maxlags=order, phase_in=phase_in)
    ours = result.coefficients
    for term in EFFECTS:
        mine = ours.loc[term if term in ours.index else f"{term}[49]"]
        close(mine["estimate"], theirs.loc[term, "estimate"], 1e-5)
        assert mine["std_err"] == pytest.approx(theirs.loc[term, "std_err"], rel=1e-3)
    for j, value in enumerate(result.model_info()["ar_params"]):
        close(value, theirs.loc[f"ar{j + 1}", "estimate"], 1e-5)
