"""Exceptions with messages that name the file, column, row and rule broken.

Every error a user can cause derives from `SlpEvalError` (a `ValueError`), so scripts can catch
one type and the CLI can turn it into a one-line message and an exit code.
"""

__all__ = ["DataValidationError", "DisclosureError", "ModelInputError", "ParameterError",
           "SlpEvalError"]


class SlpEvalError(ValueError):
    """Base class of every user-facing error in slp-eval."""


class ParameterError(SlpEvalError):
    """A parameter file or argument is invalid (the CLI exits with code 2)."""


class DataValidationError(SlpEvalError):
    """A data file breaks the data dictionary; `.report` lists every failure found."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class ModelInputError(SlpEvalError):
    """Data passed to an estimator cannot be modelled as asked (gap, too few points, ...)."""


class DisclosureError(SlpEvalError):
    """A table would reveal person-identifying columns or unsuppressed small counts."""
