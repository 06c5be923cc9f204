"""Statistical disclosure control for tables that reach a report.

Default rule: NHS Digital's Mental Health Services Data Set (MHSDS) convention: counts of 1-7 are
suppressed ("*") and every other count is rounded to the nearest 5; zeros are shown.
"""

from pydantic import BaseModel, ConfigDict, Field


class DisclosureRule(BaseModel):
    """How small counts are protected. `apply=False` is the only way to switch control off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    apply: bool = Field(True, description="Apply disclosure control to every reported table.")
    suppress_min: int = Field(1, ge=0, description="Smallest count that is suppressed.")
    suppress_max: int = Field(7, ge=0, description="Largest count that is suppressed.")
    rounding_base: int = Field(5, ge=1, description="Round unsuppressed counts to this multiple.")
    secondary: bool = Field(
        True, description="Suppress further cells so a suppressed cell cannot be recovered."
    )
    symbol: str = Field("*", description="What a suppressed cell shows.")
