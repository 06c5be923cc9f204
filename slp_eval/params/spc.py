"""Parameters of a Making Data Count SPC report (`analysis: spc`): XmR, run, p, p', u, u' and c
charts, one per panel, a board summary over the panels, and a funnel plot across providers."""

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from slp_eval.params.base import AnalysisParams, DataSource, StrictModel

ChartType = Literal["xmr", "run", "p", "pprime", "u", "uprime", "c"]
Direction = Literal["increase", "decrease", "neutral"]
#: Charts of a numerator over a denominator; the c chart charts a count alone.
RATIO_CHARTS = ("p", "pprime", "u", "uprime")


class SPCPanel(StrictModel):
    """One chart: a label and the rows of the data it plots (added to the common `filters`); any of
    the chart settings given here replaces the file's for this panel only (so panels can be
    different measures, as a board summary has)."""

    label: str = Field(description="Panel title, e.g. the trust's or the measure's name.")
    filters: dict[str, str | int] = Field(description="Column -> value selecting this panel's rows.")
    chart: ChartType | None = Field(None, description="This panel's chart (default: the file's `chart`).")
    value: str | None = Field(None, description="This panel's charted column (xmr and run charts).")
    numerator: str | None = Field(None, description="This panel's numerator column (p, u and c charts).")
    denominator: str | None = Field(None, description="This panel's denominator column (p and u charts).")
    improvement_direction: Direction | None = Field(None, description="This panel's improvement direction.")
    target: float | None = Field(None, description="This panel's target.")
    target_label: str | None = Field(None, description="What this panel's target is.")


class SPCFunnel(StrictModel):
    """A funnel plot across every unit of the data file (e.g. every English provider), with
    Spiegelhalter's overdispersion adjustment, the panels' units highlighted."""

    title: str = Field("Where each provider sits among all providers", description="Funnel plot title.")
    filters: dict[str, str | int] = Field(
        default_factory=dict, description="Column -> value rows of the funnel (e.g. the measure)."
    )
    period_from: str | None = Field(None, description="First month (YYYY-MM) summed; default the first.")
    period_to: str | None = Field(None, description="Last month (YYYY-MM) summed; default the last.")
    unit: str = Field("unit", description="Column naming each unit (a provider code).")
    exclude_units: list[str] = Field(
        default_factory=lambda: ["England", "SLP", "Rest of England"],
        description="Units that are totals or groups of others, left out of the funnel.",
    )
    numerator: str = Field("numerator", description="Numerator column (summed over the months).")
    denominator: str = Field("denominator", description="Denominator column (people, exposure or expected).")
    kind: Literal["proportion", "ratio", "rate"] = Field(
        "proportion", description="proportion (arcsine scale), ratio (observed / expected) or rate."
    )
    overdispersion: Literal["additive", "multiplicative", "none"] = Field(
        "additive",
        description="Spiegelhalter's additive random effects (tau^2, as FunnelPlotR), "
        "multiplicative (phi), or none.",
    )
    method: Literal["SHMI", "CQC"] = Field("CQC", description="Scale of a ratio or rate funnel.")
    trim: float = Field(0.1, ge=0, lt=0.5, description="Share Winsorised (or truncated) at each end.")
    multiply: float = Field(100.0, gt=0, description="Scale of the value (100: percent; 1000: per 1,000).")
    highlight: list[str] = Field(default_factory=list, description="Units named on the plot (e.g. RV5).")
    value_label: str | None = Field(None, description="Axis label of the value.")
    denominator_label: str | None = Field(None, description="Axis label of the denominator.")


class SPCParams(AnalysisParams):
    """MDC charts with the rules and icons of NHSRplotthedots 0.2.2 (XmR) and qicharts2 0.8
    (run, p, p', u, u', c), one panel per unit or measure, a board summary and a funnel plot."""

    analysis: Literal["spc"] = Field(description="Statistical process control (MDC charts).")
    data: DataSource
    filters: dict[str, str | int] = Field(
        default_factory=dict, description="Column -> value rows shared by every panel (e.g. the measure)."
    )
    panels: list[SPCPanel] = Field(default_factory=list, description="One chart per panel.")
    chart: ChartType = Field(
        "xmr",
        description="xmr (individuals), run (Anhoej's rules), p or pprime (shares; pprime is Laney's "
        "for large denominators), u or uprime (rates), c (counts).",
    )
    value: str | None = Field(
        None,
        description="Column charted by xmr and run charts; for monthly_series data also `share`, `percent` "
        "(100 x numerator / denominator) or `rate`.",
    )
    numerator: str | None = Field(
        None, description="Numerator column of p, u and c charts (default numerator)."
    )
    denominator: str | None = Field(
        None, description="Denominator column of p and u charts (default denominator)."
    )
    multiply: float = Field(1.0, gt=0, description="Scale of p/u/c values (100: percent; 1000: per 1,000).")
    value_label: str | None = Field(None, description="Axis label and wording of the value.")
    time: str = Field("period", description="Time column (YYYY-MM months or dates).")
    improvement_direction: Direction = Field(
        description="Whether higher values are better (increase), worse (decrease) or neither (neutral)."
    )
    target: float | None = Field(None, description="Target of the assurance icon (not for neutral measures).")
    target_label: str | None = Field(None, description="What the target is, e.g. the national standard.")
    rebase: list[str] = Field(default_factory=list, description="Months (YYYY-MM) where new limits start.")
    rebase_labels: list[str] = Field(default_factory=list, description="One label per rebase month.")
    exclude: list[str] = Field(
        default_factory=list,
        description="Months (YYYY-MM) drawn but left out of run, p, u and c chart limits.",
    )
    fix_after_n_points: int | None = Field(None, ge=2, description="Limits from each group's first n points.")
    screen_outliers: bool = Field(
        True,
        description="Screen moving ranges >= 3.267 x their mean (NHSRplotthedots); false: MDC Excel tool.",
    )
    counts: list[str] = Field(
        default_factory=lambda: ["numerator", "denominator"],
        description="Count columns shown in the monthly table (each through the disclosure rule).",
    )
    funnel: SPCFunnel | None = Field(None, description="A funnel plot across every unit of the data file.")
    attribution: str | None = Field(
        None, description="Licence attribution printed with the data (e.g. OGL v3.0)."
    )
    source_notes: list[str] = Field(
        default_factory=list, description="The publisher's caveats about the data, listed as limitations."
    )

    #: What `slp-eval new-params spc` prints for the fields a user must fill in: a working example
    #: on the synthetic data, valid as printed into params/ (as README's `> params/my_question.yaml`).
    TEMPLATE_EXAMPLES: ClassVar[dict[str, Any]] = {
        "title": "Share of the Complex Care Programme cohort placed in south London",
        "data.path": "../data/synthetic/monthly_series.csv",
        "data.dataset": "monthly_series",
        "filters": {"measure": "ccp_in_south_london"},
        "panels": [{"label": "South London Partnership", "filters": {"unit": "SLP"}}],
        "value": "percent",
        "improvement_direction": "increase",
    }

    @model_validator(mode="before")
    @classmethod
    def _count_columns(cls, data: Any) -> Any:
        """A p, u or c chart with no `numerator` (`denominator`) reads the monthly_series columns of
        those names, so they are checked against the data file's header like any other."""
        if not isinstance(data, dict):
            return data
        top = data["chart"] if isinstance(data.get("chart"), str) else "xmr"
        panels = data.get("panels") if isinstance(data.get("panels"), list) else []
        charts = {top, *(p["chart"] if isinstance(p.get("chart"), str) else top
                         for p in panels if isinstance(p, dict))}
        out = dict(data)
        if charts & {*RATIO_CHARTS, "c"} and out.get("numerator") is None:
            out["numerator"] = "numerator"
        if charts & set(RATIO_CHARTS) and out.get("denominator") is None:
            out["denominator"] = "denominator"
        return out

    @model_validator(mode="after")
    def _consistent(self) -> "SPCParams":
        problems = []
        if not self.panels and self.funnel is None:
            problems.append("panels: give at least one panel (or a funnel)")
        if self.rebase_labels and len(self.rebase_labels) != len(self.rebase):
            problems.append("rebase_labels: give one label per rebase month")
        for i, panel in enumerate(self.panels):
            where = f"panels[{i}] ({panel.label})"
            chart = panel.chart or self.chart
            direction = panel.improvement_direction or self.improvement_direction
            target = panel.target if panel.target is not None else self.target
            if target is not None and direction == "neutral":
                problems.append(
                    f"{where}: target: a target needs improvement_direction increase or decrease, not neutral"
                )
            if chart in ("xmr", "run") and (panel.value or self.value) is None:
                problems.append(
                    f"{where}: chart {chart!r} needs `value` (the column charted), here or at the "
                    "top of the file"
                )
            if chart == "c" and panel.denominator is not None:
                problems.append(
                    f"{where}: denominator: a c chart charts a count alone; use chart u for a rate"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self
