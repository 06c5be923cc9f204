"""Shared pieces of every parameter-file model."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from slp_eval.disclosure import DisclosureRule


class StrictModel(BaseModel):
    """Base of every parameter model: unknown keys are rejected, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class DataSource(StrictModel):
    """A data file. A relative `path` is resolved against the parameter file's folder."""

    path: Path = Field(description="CSV, Parquet or Excel file.")
    dataset: str | None = Field(
        None,
        description="Name of the data-dictionary dataset the file must conform to "
        "(e.g. monthly_series); None for an external file validated by the analysis itself.",
    )


class AnalysisParams(StrictModel):
    """Fields every analysis kind has. Subclasses fix `analysis` to a literal kind name."""

    analysis: str = Field(description="Analysis kind; picks the notebook.")
    title: str = Field(description="Report title.")
    question: str = Field("", description="The evaluation question, in one sentence.")
    disclosure: DisclosureRule = Field(default_factory=DisclosureRule)
