"""Parameters of a comparative analysis against providers without the programme
(`analysis: comparative`): synthetic control, synthetic DiD and event-study DiD on a provider panel."""

from typing import Literal

from pydantic import Field, model_validator

from slp_eval.params.base import AnalysisParams, DataSource, StrictModel

Estimator = Literal["synthetic_control", "synthetic_did", "did"]


class PredictorParams(StrictModel):
    """A predictor of the synthetic control's weights: the mean of `column` over `start`-`end`."""

    column: str = Field(description="Column of the panel (the outcome itself for a lagged outcome).")
    start: str | int | None = Field(None, description="First period of its window (default: the first).")
    end: str | int | None = Field(None, description="Last period of its window (default: before `start`).")


class ComparativeParams(AnalysisParams):
    """Y1t(0) = sum_j w_j Y_jt (synthetic control, w on the simplex fitted before `start`); the effect
    is the gap Y1t - sum_j w_j Y_jt after it, beside synthetic DiD and two-way fixed effects DiD."""

    analysis: Literal["comparative"] = Field(description="Comparison with providers without the programme.")
    data: DataSource
    filters: dict[str, str | int] = Field(
        default_factory=dict, description="Rows kept, e.g. {measure: eip_within_two_weeks}."
    )
    group: str = Field("provider", description="Column naming the unit of the panel (a provider).")
    time: str = Field("period", description="Period column (YYYY-MM months, years, ...).")
    outcome: str = Field(
        description="Outcome column; for share data also `percent` (100 x numerator / denominator) "
        "or `share`."
    )
    outcome_label: str | None = Field(None, min_length=1, description="The outcome in words for the report.")
    outcome_unit: str | None = Field(
        None, min_length=1, description="Unit of the effect in words, e.g. 'percentage points'."
    )
    treated: list[str] = Field(min_length=1, description="Units that had the programme (e.g. RV5, RPG, RQY).")
    treated_label: str | None = Field(
        None, description="The treated units together in words, e.g. 'the SLP trusts'."
    )
    start: str | int = Field(description="First period with the programme.")
    start_label: str | None = Field(None, description="What started, e.g. 'EIP access standard starts'.")
    start_source: str | None = Field(None, description="Where the start date is documented.")
    donors: list[str] | None = Field(None, description="Comparison units (default: every untreated unit).")
    exclude: dict[str, str] = Field(
        default_factory=dict,
        description="Units left out of the donor pool -> the reason (e.g. own programme).",
    )
    predictors: list[PredictorParams] = Field(
        default_factory=list,
        description="Predictors of the synthetic control (ADH's V is then chosen on the pre-period); "
        "none: the pre-period outcomes.",
    )
    augmented: bool = Field(False, description="Ridge-augmented synthetic control (Ben-Michael et al. 2021).")
    headline: Estimator = Field("synthetic_control", description="The estimator the answer box reports.")
    estimators: list[Estimator] = Field(
        default_factory=lambda: ["synthetic_control", "synthetic_did", "did"],
        description="Estimators run and compared.",
    )
    se_method: Literal["placebo", "jackknife", "bootstrap"] = Field(
        "placebo", description="Standard error of synthetic DiD in the headline (all three are shown)."
    )
    replications: int = Field(200, ge=20, le=5000, description="Placebo sets and bootstrap draws.")
    seed: int = Field(20160401, description="Seed of the placebo and bootstrap draws.")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="1 - confidence level of the intervals.")
    attribution: str | None = Field(
        None, description="Licence attribution printed with the data (e.g. OGL v3.0)."
    )
    source_notes: list[str] = Field(
        default_factory=list, description="The publisher's caveats about the data, listed as limitations."
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ComparativeParams":
        if self.headline not in self.estimators:
            raise ValueError(
                f"headline: {self.headline!r} must be one of the estimators run ({self.estimators})"
            )
        both = sorted(set(self.treated) & set(self.exclude))
        if both:
            raise ValueError(f"exclude: {', '.join(both)} is a treated unit")
        if self.donors is not None and set(self.donors) & set(self.treated):
            raise ValueError("donors: a treated unit cannot be a donor")
        return self
