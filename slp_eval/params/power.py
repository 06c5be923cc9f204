"""Parameters of a simulation-based power analysis (`analysis: power`)."""

from typing import Literal

from pydantic import Field

from slp_eval.params.base import AnalysisParams


class PowerParams(AnalysisParams):
    """Simulated power of a segmented regression to detect a level or trend change."""

    analysis: Literal["power"] = Field(description="Power analysis by simulation.")
    n_pre: list[int] = Field(min_length=1, description="Numbers of pre-interruption periods to try.")
    n_post: list[int] = Field(min_length=1, description="Numbers of post-interruption periods to try.")
    intercept: float = 0.0
    trend: float = 0.0
    outcome_unit: str | None = Field(
        None, min_length=1,
        description="Unit of the outcome (and so of the level change and sigma) in words, e.g. "
        "'percentage points'; default none (numbers shown bare).",
    )
    level_change: float = Field(description="True level change to detect.")
    trend_change: float = 0.0
    sigma: float = Field(gt=0, description="Standard deviation of the innovations.")
    rho: float = Field(0.0, gt=-1, lt=1, description="AR(1) autocorrelation of the errors.")
    errors: Literal["ols", "newey-west", "ar", "arima"] = "ar"
    alpha: float = Field(0.05, gt=0, lt=1)
    n_sim: int = Field(500, ge=10, le=100_000, description="Simulated series per design.")
    seed: int = 20181
