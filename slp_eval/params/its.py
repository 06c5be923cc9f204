"""Parameters of an interrupted-time-series analysis (`analysis: its`)."""

from typing import Any, Literal

from pydantic import Field, model_validator

from slp_eval.params.base import AnalysisParams, DataSource, StrictModel


class FourierSeasonality(StrictModel):
    """K pairs of sine and cosine terms with the given period (in time units)."""

    fourier: int = Field(ge=1, le=6, description="Number of harmonics K.")
    period: int = Field(12, ge=2, description="Length of the seasonal cycle in periods.")


class TimeParts(StrictModel):
    """Build a monthly period column from separate year and month columns."""

    year: str = Field(description="Column holding the calendar year.")
    month: str = Field(description="Column holding the calendar month, 1-12.")


class PublishedEstimate(StrictModel):
    """A published number to show beside ours (reference reproductions)."""

    term: str
    estimate: float
    std_err: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    scale: Literal["coefficient", "ratio"] = "coefficient"
    source: str = Field(description="Paper, table and page the number is printed in.")


class SensitivityParams(StrictModel):
    """Which sensitivity analyses the report runs."""

    placebo: bool = Field(True, description="In-time placebo interruptions across the pre-period.")
    break_date_window: int = Field(
        3, ge=0, description="Re-fit with the interruption moved up to this many periods each way."
    )


class ITSParams(AnalysisParams):
    """Segmented regression: y_t = b0 + b1 t + sum_k [b2k D_k(t) + b3k (t - T_k) D_k(t)] + e_t."""

    analysis: Literal["its"] = Field(description="Interrupted time series.")
    data: DataSource
    filters: dict[str, str | int] = Field(
        default_factory=dict,
        description="Keep only rows whose column equals the value, e.g. {measure: ccp_in_south_london}.",
    )
    time_parts: TimeParts | None = Field(
        None, description="Build the `time` column as a monthly period from year and month columns."
    )
    outcome: str = Field(
        description="Outcome column. For monthly_series data the derived columns `share`, "
        "`percent` (100 x numerator / denominator) and `rate` (numerator / exposure) exist too."
    )
    outcome_label: str | None = Field(
        None, min_length=1,
        description="The outcome in words for the report's sentences and figures, e.g. 'the "
        "percentage of the cohort placed in south London'; default the column name.",
    )
    outcome_unit: str | None = Field(
        None, min_length=1,
        description="The outcome's unit in words for the report's text, tables and figure axes, "
        "e.g. 'percentage points', 'bed days', 'placements'; default none (numbers shown bare).",
    )
    time: str = Field(description="Period column (year, YYYY-MM, quarter or week).")
    interruptions: list[str | int] = Field(min_length=1, description="Interruption periods.")
    interruption_labels: list[str] = Field(
        default_factory=list, description="Plain names of the interruptions for the report."
    )
    impact: Literal["level", "trend", "level+trend"] = "level+trend"
    family: Literal["gaussian", "poisson", "quasipoisson", "negbin", "binomial"] = "gaussian"
    errors: Literal["ols", "newey-west", "ar", "arima"] = Field(
        "ar", description="Error model: 'ar' (REML AR(p) + GLS, default for the gaussian family), "
        "'newey-west' (default for count and proportion families, which cannot take 'ar'), "
        "'ols' or 'arima'.",
    )
    small_sample: Literal["kenward-roger", "satterthwaite", "none"] | None = Field(
        "kenward-roger", description="Small-sample inference for errors 'ar' only: "
        "'kenward-roger' (default), 'satterthwaite' or 'none' (t on n - k).",
    )
    maxlags: int | None = Field(
        None, ge=0, description="Lag for Newey-West or AR order; None chooses it by a test."
    )
    seasonality: Literal["month"] | FourierSeasonality | None = None
    offset: str | None = Field(None, description="Exposure column, entered as a log offset.")
    trials: str | None = Field(None, description="Denominator column for the binomial family.")
    group: str | None = Field(None, description="Unit column for a comparison (controlled) ITS.")
    treated: str | int | None = Field(None, description="The treated unit's value in `group`.")
    by: str | list[str] | None = Field(
        None, description="Unit column (or list of columns), e.g. borough or provider: the model is "
        "fitted to every unit's series, each unit's level and trend change shown in a forest plot "
        "and pooled by random-effects meta-analysis (DerSimonian-Laird and Paule-Mandel).",
    )
    phase_in: int = Field(0, ge=0, description="Periods after each interruption left out of the fit.")
    covariates: list[str] = Field(default_factory=list)
    alpha: float = Field(0.05, gt=0, lt=1)
    dropna: bool = Field(False, description="Drop periods with a missing outcome instead of failing.")
    effect_horizons: list[int] = Field(
        default_factory=lambda: [0, 12],
        description="Periods after the interruption at which to report the effect.",
    )
    sensitivity: SensitivityParams = Field(default_factory=SensitivityParams)
    published: list[PublishedEstimate] = Field(
        default_factory=list, description="Published estimates to show beside ours."
    )

    @model_validator(mode="before")
    @classmethod
    def _defaults_by_family(cls, data: Any) -> Any:
        """Unset `errors` is 'newey-west' for non-gaussian families; unset `small_sample` is
        null unless errors is 'ar' (both as `fit_its` resolves them)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "errors" not in data and data.get("family", "gaussian") != "gaussian":
            data["errors"] = "newey-west"
        if "small_sample" not in data and data.get("errors", "ar") != "ar":
            data["small_sample"] = None
        return data

    @model_validator(mode="after")
    def _check_pairs(self) -> "ITSParams":
        if self.small_sample is not None and self.errors != "ar":
            raise ValueError(f"small_sample {self.small_sample!r} applies only to errors 'ar'; "
                             f"got errors {self.errors!r} (leave small_sample out)")
        if (self.group is None) != (self.treated is None):
            raise ValueError("`group` and `treated` go together: give both or neither")
        self._check_by()
        if self.interruption_labels and len(self.interruption_labels) != len(self.interruptions):
            raise ValueError(
                f"interruption_labels has {len(self.interruption_labels)} names for "
                f"{len(self.interruptions)} interruptions"
            )
        return self

    def _check_by(self) -> None:
        if self.by is None:
            return
        names = [self.by] if isinstance(self.by, str) else list(self.by)
        if not names or not all(names):
            raise ValueError("`by` names the unit column(s): give a column name or a non-empty list")
        if len(set(names)) < len(names):
            raise ValueError(f"`by` names a column twice: {names}")
        roles = {"outcome": self.outcome, "time": self.time, "group": self.group,
                 "offset": self.offset, "trials": self.trials}
        for name in names:
            clash = [role for role, column in roles.items() if column == name]
            if clash:
                raise ValueError(f"`by` column {name!r} is also the {clash[0]} column; the units "
                                 "must be a column of their own")
            if name in self.filters:
                raise ValueError(f"`by` column {name!r} is fixed to one value by `filters`, which "
                                 "leaves a single unit to fit; take it out of `filters`")
