"""Funnel plots (slp_eval.spc.funnel) against FunnelPlotR's own numbers (tests/data/funnelplotr/
SOURCE.md): z-scores, Winsorised/truncated z, phi, tau^2 and the adjusted and unadjusted limits,
for proportions (real EIP data across 58 English providers) and standardised ratios (SHMI and
CQC methods); Spiegelhalter's multiplicative option and the no-overdispersion rule by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.spc import funnel

DATA = Path(__file__).parent / "data" / "funnelplotr"
TESTDATA = pd.DataFrame(
    {
        "numerator": [100, 150, 180, 80, 120, 225],
        "denominator": [108, 112, 165, 95, 100, 220],
        "group": list("abcdef"),
    }
)


def compare(result, expected: pd.DataFrame, squared: bool = False) -> None:  # type: ignore[no-untyped-def]
    out = result.to_frame().set_index("unit").loc[expected["group"].astype(str)]
    np.testing.assert_allclose(out["z"], expected["z"], rtol=1e-10)
    np.testing.assert_allclose(out["z_winsorised"], expected["z_w"], rtol=1e-10)  # NaN where truncated
    assert result.phi == pytest.approx(expected["phi"][0], rel=1e-10)
    assert result.tau2 == pytest.approx(expected["tau2"][0], rel=1e-10)
    for ours in ("ll95", "ul95", "ll998", "ul998"):
        theirs = expected[f"od{ours}"] ** 2 if squared else expected[f"od{ours}"]
        np.testing.assert_allclose(out[ours], theirs, rtol=1e-12)


def test_proportions_across_english_eip_providers_match_funnelplotr() -> None:
    data = pd.read_csv(DATA / "eip_providers_2018_10_to_2019_09.csv")
    expected = pd.read_csv(DATA / "expected_eip_proportion.csv")
    result = funnel(
        data,
        numerator="numerator",
        denominator="denominator",
        unit="unit",
        kind="proportion",
        highlight=["RV5", "RPG", "RQY"],
    )
    assert result.adjusted and result.phi > 1
    assert result.target == pytest.approx(expected["target"][0], rel=1e-12)
    compare(result, expected)
    plain = funnel(data, numerator="numerator", denominator="denominator", unit="unit", overdispersion="none")
    out = plain.to_frame().set_index("unit").loc[expected["group"]]
    for ours in ("ll95", "ul95", "ll998", "ul998"):
        np.testing.assert_allclose(out[ours], expected[ours], rtol=1e-6)
    assert set(result.to_frame().query("highlight")["unit"]) == {"RV5", "RPG", "RQY"}


@pytest.mark.parametrize(
    ("method", "trim", "name"), [("SHMI", 0.1, "testdata_sr_shmi"), ("CQC", 0.05, "testdata_sr_cqc")]
)
def test_standardised_ratios_match_funnelplotr(method: str, trim: float, name: str) -> None:
    expected = pd.read_csv(DATA / f"expected_{name}.csv")
    result = funnel(
        TESTDATA,
        numerator="numerator",
        denominator="denominator",
        unit="group",
        kind="ratio",
        method=method,
        trim=trim,
    )  # type: ignore[arg-type]
    # FunnelPlotR 0.6 leaves the CQC limits on the square-root scale (1 -/+ z sqrt(s^2 + tau^2));
    # back on the ratio scale they are squared (Spiegelhalter 2005), which slp_eval does.
    compare(result, expected, squared=method == "CQC")
    plain = funnel(
        TESTDATA,
        numerator="numerator",
        denominator="denominator",
        unit="group",
        kind="ratio",
        method=method,
        trim=trim,
        overdispersion="none",
    )  # type: ignore[arg-type]
    out = plain.to_frame().set_index("unit").loc[expected["group"]]
    for ours in ("ll95", "ul95", "ll998", "ul998"):  # exact Poisson (chi-square) limits
        np.testing.assert_allclose(out[ours], expected[ours], rtol=1e-10)


def test_multiplicative_phi_widens_by_root_phi_on_the_transformed_scale() -> None:
    # Spiegelhalter (2005): limits theta -/+ z sqrt(phi) s. On the CQC (square-root) scale the
    # 95% limits at E are (1 -/+ 1.959964 sqrt(phi) / (2 sqrt(E)))^2.
    result = funnel(
        TESTDATA,
        numerator="numerator",
        denominator="denominator",
        unit="group",
        kind="ratio",
        method="CQC",
        overdispersion="multiplicative",
    )
    limits = result.limits([100.0])
    spread = 1.959964 * np.sqrt(result.phi) / (2 * np.sqrt(100.0))
    assert limits["ll95"][0] == pytest.approx((1 - spread) ** 2, rel=1e-12)
    assert limits["ul95"][0] == pytest.approx((1 + spread) ** 2, rel=1e-12)
    out = result.to_frame()
    np.testing.assert_allclose(out["z_adjusted"], out["z"] / np.sqrt(result.phi))


def test_no_overdispersion_keeps_the_unadjusted_limits() -> None:
    # Binomial-like data close to the target: phi <= 1, so FunnelPlotR (and this) draw no adjustment.
    data = pd.DataFrame(
        {"u": list("abcdef"), "x": [50, 51, 49, 100, 99, 101], "n": [100, 100, 100, 200, 200, 200]}
    )
    result = funnel(data, numerator="x", denominator="n", unit="u")
    assert result.phi <= 1 and not result.adjusted and result.tau2 == 0
    assert "no overdispersion" in result.messages[0]


def test_rate_funnel_is_a_ratio_to_the_all_units_rate() -> None:
    # OAP bed days per occupied bed day: E_i = exposure_i x total rate; the limits are on the rate scale.
    data = pd.DataFrame(
        {
            "trust": list("abcdef"),
            "days": [30, 80, 20, 150, 60, 40],
            "beds": [1000, 2000, 800, 3000, 1500, 900],
        }
    )
    rate = funnel(data, numerator="days", denominator="beds", unit="trust", kind="rate", multiply=1000)
    expected = data.assign(e=data["beds"] * data["days"].sum() / data["beds"].sum())
    ratio = funnel(expected, numerator="days", denominator="e", unit="trust", kind="ratio")
    base = data["days"].sum() / data["beds"].sum()
    assert rate.centre == pytest.approx(1000 * base)
    np.testing.assert_allclose(rate.to_frame()["value"], 1000 * data["days"] / data["beds"])
    np.testing.assert_allclose(rate.to_frame()["ul998"], 1000 * base * ratio.to_frame()["ul998"], rtol=1e-12)
    assert rate.phi == pytest.approx(ratio.phi) and rate.tau2 == pytest.approx(ratio.tau2)


def test_bad_input_is_named() -> None:
    with pytest.raises(ModelInputError, match="unit 'b': 'numerator' exceeds 'denominator'"):
        funnel(TESTDATA, numerator="numerator", denominator="denominator", unit="group")
    with pytest.raises(ParameterError, match="highlight names unit"):
        funnel(
            TESTDATA,
            numerator="numerator",
            denominator="denominator",
            unit="group",
            kind="ratio",
            highlight=["zz"],
        )
    with pytest.raises(ModelInputError, match="at least 3"):
        funnel(TESTDATA.head(2), numerator="numerator", denominator="denominator", unit="group", kind="ratio")


def test_funnel_result_shows_itself_in_a_notebook() -> None:
    data = pd.read_csv(DATA / "eip_providers_2018_10_to_2019_09.csv")
    result = funnel(
        data, numerator="numerator", denominator="denominator", unit="unit", highlight=["RV5"], multiply=100
    )
    html = result._repr_html_()
    assert "<table" in html and "FunnelResult: proportion funnel of 58 units, adjusted (additive)" in html
    text = result.summary()
    assert (
        text.startswith("58 units; overdispersion ratio phi = 8.74")
        and "\nRV5: 74.22, within 95% limits" in text
    )
    assert result.summary_frame().columns.tolist()[:4] == ["unit", "numerator", "denominator", "value"]
