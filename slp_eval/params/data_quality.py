"""Parameters of a data-quality profile (`analysis: data_quality`)."""

from typing import Literal

from pydantic import Field

from slp_eval.params.base import AnalysisParams, DataSource


class DataQualityParams(AnalysisParams):
    """Profile a dataset against the data dictionary: completeness, invalid values, coverage."""

    analysis: Literal["data_quality"] = Field(description="Data-quality profile.")
    data: DataSource = Field(description="The file to profile; `dataset` names its dictionary entry.")
    date_column: str | None = Field(None, description="Column used for completeness by month.")
    coverage_column: str | None = Field(None, description="Column used for coverage, e.g. a borough.")
