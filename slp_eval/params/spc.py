"""Parameters of a Making Data Count SPC chart (`analysis: spc`)."""

from typing import Literal

from pydantic import Field, model_validator

from slp_eval.params.base import AnalysisParams, DataSource, StrictModel


class SPCPanel(StrictModel):
    """One chart: a label and the rows of the data it plots (added to the common `filters`)."""

    label: str = Field(description="Panel title, e.g. the trust's name.")
    filters: dict[str, str | int] = Field(description="Column -> value selecting this panel's rows.")


class SPCParams(AnalysisParams):
    """XmR charts with the MDC rules and icons (NHSRplotthedots 0.2.2), one panel per unit."""

    analysis: Literal["spc"] = Field(description="Statistical process control (MDC XmR chart).")
    data: DataSource
    filters: dict[str, str | int] = Field(
        default_factory=dict, description="Column -> value rows shared by every panel (e.g. the measure)."
    )
    panels: list[SPCPanel] = Field(min_length=1, description="One chart per panel.")
    value: str = Field(
        description="Column charted; for monthly_series data also `share`, `percent` (100 x numerator / "
        "denominator) or `rate`."
    )
    value_label: str | None = Field(None, description="Axis label and wording of the value.")
    time: str = Field("period", description="Time column (YYYY-MM months or dates).")
    improvement_direction: Literal["increase", "decrease", "neutral"] = Field(
        description="Whether higher values are better (increase), worse (decrease) or neither (neutral)."
    )
    target: float | None = Field(None, description="Target of the assurance icon (not for neutral measures).")
    target_label: str | None = Field(None, description="What the target is, e.g. the national standard.")
    rebase: list[str] = Field(default_factory=list, description="Months (YYYY-MM) where new limits start.")
    rebase_labels: list[str] = Field(default_factory=list, description="One label per rebase month.")
    fix_after_n_points: int | None = Field(None, ge=2, description="Limits from each group's first n points.")
    screen_outliers: bool = Field(
        True,
        description="Screen moving ranges >= 3.267 x their mean (NHSRplotthedots); false: MDC Excel tool.",
    )
    counts: list[str] = Field(
        default_factory=lambda: ["numerator", "denominator"],
        description="Count columns shown in the monthly table (each through the disclosure rule).",
    )
    attribution: str | None = Field(
        None, description="Licence attribution printed with the data (e.g. OGL v3.0)."
    )
    source_notes: list[str] = Field(
        default_factory=list, description="The publisher's caveats about the data, listed as limitations."
    )

    @model_validator(mode="after")
    def _consistent(self) -> "SPCParams":
        if self.target is not None and self.improvement_direction == "neutral":
            raise ValueError("target: a target needs improvement_direction increase or decrease, not neutral")
        if self.rebase_labels and len(self.rebase_labels) != len(self.rebase):
            raise ValueError("rebase_labels: give one label per rebase month")
        return self
