"""Shared pieces of every parameter-file model.

Parameter files are strict: unknown keys are rejected, values are not coerced (``maxlags: "2"``
is an error, not 2), except file paths, which YAML can only give as strings, and numbers must be
finite (``.nan`` and ``.inf`` are refused). A data file's type is checked from its extension.
"""

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from slp_eval.data.read import SUFFIXES
from slp_eval.disclosure import DisclosureRule


class StrictModel(BaseModel):
    """Base of every parameter model: unknown keys are rejected, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


#: A file path given as a string in YAML; relative paths resolve against the parameter file's folder.
FilePath = Annotated[Path, Field(strict=False)]


class DataSource(StrictModel):
    """A data file. A relative `path` is resolved against the parameter file's folder."""

    path: FilePath = Field(description="CSV, Parquet or Excel file.")
    dataset: str | None = Field(
        None,
        description="Name of the data-dictionary dataset the file must conform to "
        "(e.g. monthly_series); None for an external file validated by the analysis itself.",
    )

    @field_validator("path")
    @classmethod
    def _resolve(cls, value: Path, info: ValidationInfo) -> Path:
        if value.suffix.lower() not in SUFFIXES:
            raise ValueError(
                f"a .csv, .parquet or .xlsx file (file type {value.suffix or '(none)'!r} is not a data "
                "file; rule: the type is read from the extension)"
            )
        base = (info.context or {}).get("base_dir")
        if base is not None and not value.is_absolute():
            return (Path(base) / value).resolve()
        return value


class AnalysisParams(StrictModel):
    """Fields every analysis kind has. Subclasses fix `analysis` to a literal kind name."""

    analysis: str = Field(description="Analysis kind; picks the notebook.")
    title: str = Field(description="Report title.")
    question: str = Field("", description="The evaluation question, in one sentence.")
    disclosure: DisclosureRule = Field(
        default_factory=DisclosureRule,
        description="Small-count suppression for every reported table (on unless apply: false).",
    )
