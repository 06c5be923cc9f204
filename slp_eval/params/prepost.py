"""Parameters of a pre/post comparison (`analysis: prepost`): one measure of one unit in a
`monthly_series` file, a before window against an after window."""

from typing import Literal

from pydantic import Field, model_validator

from slp_eval.params.base import AnalysisParams, DataSource, StrictModel

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class PeriodWindow(StrictModel):
    """Consecutive months, first and last included (a single month: start = end)."""

    start: str = Field(pattern=MONTH, description="First month, YYYY-MM.")
    end: str = Field(pattern=MONTH, description="Last month, YYYY-MM.")
    label: str = Field("", description="Plain name for the report, e.g. 'before the programme'.")

    @model_validator(mode="after")
    def _ordered(self) -> "PeriodWindow":
        if self.end < self.start:  # YYYY-MM strings sort as months
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class PrepostParams(AnalysisParams):
    """Before/after comparison of one measure: proportions (Newcombe interval, risk ratio),
    Poisson rates (exact conditional rate ratio) or monthly means (Welch, Hodges-Lehmann)."""

    analysis: Literal["prepost"] = Field(description="Pre/post comparison of two periods.")
    data: DataSource = Field(description="A monthly_series file (period, unit, measure, ...).")
    unit: str = Field(description="Reporting unit to compare, e.g. SLP, a trust code, a borough.")
    measure: str = Field(description="Measure name in the file, e.g. ccp_in_south_london.")
    label: str | None = Field(
        None, description="The measure in words for the report sentence ('share of the cohort "
        "placed in south London'); default: the measure name."
    )
    before: PeriodWindow = Field(description="The baseline window.")
    after: PeriodWindow = Field(description="The follow-up window; starts after `before` ends.")
    comparison: Literal["auto", "proportions", "rates", "means"] = Field(
        "auto", description="auto follows measure_type: share -> proportions, count -> rates, "
        "mean or median -> means of the monthly values.",
    )
    window_summary: Literal["auto", "sum", "last"] = Field(
        "auto", description="How a window becomes one figure: 'last' month (default for shares, "
        "a census of the same people) or 'sum' over its months (default for counts).",
    )
    method: Literal["newcombe", "wald", "agresti-caffo", "miettinen-nurminen"] = Field(
        "newcombe", description="Interval for a difference of proportions."
    )
    dispersion: float = Field(
        1.0, ge=1, description="Variance / mean of the counts (quasi-Poisson); above 1 for counts "
        "that are not independent events, such as bed days.",
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="Two-sided significance level.")
    n_boot: int = Field(2000, ge=200, le=100_000, description="Bootstrap resamples (means).")
    seed: int = Field(20180401, description="Bootstrap seed, so reruns give identical numbers.")

    @model_validator(mode="after")
    def _after_follows_before(self) -> "PrepostParams":
        if self.data.dataset not in (None, "monthly_series"):
            raise ValueError(
                f"data.dataset is {self.data.dataset!r}; a prepost analysis reads a "
                "monthly_series file"
            )
        if self.after.start <= self.before.end:
            raise ValueError(
                f"after.start ({self.after.start}) must be later than before.end "
                f"({self.before.end})"
            )
        return self

    def comparison_kwargs(self) -> dict[str, object]:
        """Keyword arguments of `slp_eval.prepost.compare_periods` for these parameters."""
        return {
            "measure": self.measure, "unit": self.unit,
            "before": (self.before.start, self.before.end),
            "after": (self.after.start, self.after.end),
            "comparison": self.comparison, "window_summary": self.window_summary,
            "method": self.method, "dispersion": self.dispersion, "alpha": self.alpha,
            "label": self.label, "n_boot": self.n_boot, "seed": self.seed,
        }
