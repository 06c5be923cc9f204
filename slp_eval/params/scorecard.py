"""Parameters of the programme scorecard (`analysis: scorecard`): every published claim, with
what the source gives, what had to be assumed, and where it was published."""

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from slp_eval.errors import ParameterError
from slp_eval.params.base import AnalysisParams, StrictModel

ClaimKind = Literal["proportion", "count", "mean", "percent_change", "level"]
Assumption = Literal["denominator", "exposure", "dispersion", "sd", "n", "count"]


class Measurement(StrictModel):
    """One side (before or after) of a claim, as published. Give what the source gives; leave the
    rest out. A missing piece makes the claim untestable, and the scorecard says which piece."""

    period: str = Field(description="When, as the source words it, e.g. 'March 2017' or '2021'.")
    count: int | None = Field(None, ge=0, description="Number of people, events or bed days.")
    denominator: int | None = Field(
        None, ge=1, description="People (or trials) the count or percent is out of."
    )
    percent: float | None = Field(None, ge=0, le=100, description="Published percentage, 0-100.")
    exposure: float | None = Field(
        None, gt=0, description="Person-time, population or period length the count accrued over."
    )
    mean: float | None = Field(None, description="Published mean (e.g. miles from home).")
    sd: float | None = Field(None, ge=0, description="Standard deviation behind the mean.")
    n: int | None = Field(None, ge=2, description="Number of values behind the mean.")

    @model_validator(mode="after")
    def _count_within_denominator(self) -> "Measurement":
        if self.count is not None and self.denominator is not None and self.count > self.denominator:
            raise ValueError(
                f"count ({self.count}) is larger than denominator ({self.denominator})"
            )
        return self


class Claim(StrictModel):
    """A headline claim and everything needed to test it (or to say what is missing)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Short snake_case identifier.")
    claim: str = Field(description="The claim as published, quoted or closely paraphrased.")
    metric: str = Field(description="What is measured, in plain words (for tables and plots).")
    unit: str = Field(description="What is counted or measured, e.g. 'people', 'bed days', 'miles'.")
    kind: ClaimKind = Field(
        description="proportion (x out of n), count (events or people over a period), mean, "
        "percent_change (only a relative change is published) or level (one period only)."
    )
    direction: Literal["increase", "decrease"] = Field(
        description="The direction the source claims: the improvement it reports."
    )
    before: Measurement | None = Field(None, description="The baseline, as published.")
    after: Measurement | None = Field(None, description="The follow-up, as published.")
    published_change: float | None = Field(
        None, description="Relative change as published, in percent (e.g. -24 for '24% fewer')."
    )
    source: str = Field(description="The document (title, publisher, date) the claim is from.")
    primary_source_checked: bool = Field(
        False, description="True once the figure was checked in the primary source document."
    )
    assumed: list[Assumption] = Field(
        default_factory=list,
        description="Which of the numbers given are assumptions, not published figures.",
    )
    denominator_range: list[int] | None = Field(
        None, min_length=2, max_length=2,
        description="Plausible [lowest, highest] denominator for an assumed denominator; the "
        "scorecard shows how the interval moves across it.",
    )
    equal_periods: bool = Field(
        False, description="Counts without exposure are over periods of equal length (compare "
        "them as Poisson counts with equal exposure).",
    )
    dispersion: float | None = Field(
        None, ge=1, description="Overdispersion factor for counts that are not independent events "
        "(bed days cluster in stays); 1 or absent = Poisson.",
    )
    dispersion_range: list[float] | None = Field(
        None, min_length=2, max_length=2,
        description="Plausible [lowest, highest] dispersion for an assumed dispersion.",
    )
    same_people: bool = Field(
        False, description="Before and after describe the same people (a cohort measured twice)."
    )
    paired_table: list[list[int]] | None = Field(
        None, description="For same_people: [[yes->yes, yes->no], [no->yes, no->no]] if known."
    )
    notes: str = Field("", description="Anything a reader should know about the figure.")

    @model_validator(mode="after")
    def _consistent(self) -> "Claim":
        problems = []
        if self.kind != "level" and self.kind != "percent_change" and (
            self.before is None or self.after is None
        ):
            problems.append(f"a {self.kind} claim needs both `before` and `after`")
        if self.kind == "percent_change" and self.published_change is None:
            problems.append("a percent_change claim needs `published_change`")
        if self.kind == "level" and self.after is None:
            problems.append("a level claim needs `after` (the one published figure)")
        if "denominator" in self.assumed and self.denominator_range is None:
            problems.append("an assumed denominator needs `denominator_range` for the sensitivity")
        if "dispersion" in self.assumed and (
            self.dispersion is None or self.dispersion_range is None
        ):
            problems.append("an assumed dispersion needs `dispersion` and `dispersion_range`")
        for name in ("denominator_range", "dispersion_range"):
            bounds = getattr(self, name)
            if bounds is not None and bounds[0] > bounds[1]:
                problems.append(f"`{name}` must be [lowest, highest], got {bounds}")
        if self.paired_table is not None and (
            len(self.paired_table) != 2 or any(len(row) != 2 for row in self.paired_table)
        ):
            problems.append("`paired_table` must be a 2x2 table of counts")
        if problems:
            raise ValueError(f"claim {self.id!r}: " + "; ".join(problems))
        return self


class ScorecardParams(AnalysisParams):
    """Every headline claim as an effect, an interval, an adjusted p-value and a verdict."""

    analysis: Literal["scorecard"] = Field(description="Programme scorecard of published claims.")
    claims: list[Claim] = Field(min_length=1, description="The published claims to test.")
    alpha: float = Field(0.05, gt=0, lt=1, description="Two-sided significance level.")
    adjust: Literal["holm", "fdr_bh"] = Field(
        "holm", description="Multiplicity adjustment across the testable claims."
    )
    sensitivity_points: int = Field(
        5, ge=2, le=25, description="Values tried across each assumption's plausible range."
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> "ScorecardParams":
        seen: set[str] = set()
        repeated = sorted({c.id for c in self.claims if c.id in seen or seen.add(c.id)})
        if repeated:
            raise ValueError(f"claim ids must be unique; repeated: {', '.join(repeated)}")
        return self


def claims_from(items: Sequence[Claim | Mapping[str, object]]) -> list[Claim]:
    """Claims given as models or plain dicts, each validated as a parameter file's claim is: a
    ParameterError names the claim, its place in the list and every rule it breaks."""
    claims = []
    for index, item in enumerate(items):
        if isinstance(item, Claim):
            claims.append(item)
            continue
        name = item.get("id", f"#{index}") if isinstance(item, Mapping) else f"#{index}"
        try:
            claims.append(Claim.model_validate(item))
        except ValidationError as error:
            problems = []
            for e in error.errors():
                message = e["msg"].removeprefix("Value error, ").removeprefix(f"claim {name!r}: ")
                where = ".".join(map(str, e["loc"]))
                problems.append(f"{where}: {message}" if where else message)
            raise ParameterError(f"claim {name!r} (claims[{index}]): {'; '.join(problems)}") \
                from None
    return claims
