"""pandera schemas built from the data dictionary (the rules are never written twice).

The loader parses each column to its dictionary type first (reporting unparseable cells
itself), then validates the typed frame against the schema built here: nullability,
uniqueness, allowed values, ranges and patterns.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from slp_eval.data.dictionary import DataDictionary, Dataset, Field

#: The pandas dtype each dictionary type is loaded as.
PANDAS_DTYPES: dict[str, object] = {
    "string": pd.StringDtype(),
    "integer": pd.Int64Dtype(),
    "float": "float64",
    "boolean": pd.BooleanDtype(),
    "date": "datetime64[ns]",
    "month": pd.PeriodDtype("M"),
}


def _checks(field: Field, dictionary: DataDictionary) -> list[pa.Check]:
    checks: list[pa.Check] = []
    allowed = dictionary.allowed_values(field)
    if allowed is not None:
        source = f"vocabulary {field.vocabulary!r}" if field.vocabulary else "the allowed list"
        checks.append(pa.Check.isin(allowed, error=f"not in {source} (allowed: {', '.join(allowed)})"))
    if field.min is not None:
        checks.append(pa.Check.ge(field.min, error=f"below the minimum {field.min:g}"))
    if field.max is not None:
        checks.append(pa.Check.le(field.max, error=f"above the maximum {field.max:g}"))
    if field.pattern is not None:
        checks.append(
            pa.Check.str_matches(field.pattern, error=f"does not match the pattern {field.pattern}")
        )
    return checks


def build_column(field: Field, dictionary: DataDictionary) -> pa.Column:
    """The pandera column of one dictionary field."""
    return pa.Column(
        PANDAS_DTYPES[field.type],
        checks=_checks(field, dictionary),
        nullable=field.nullable,
        unique=field.unique,
        required=field.required,
        description=field.description,
        title=field.name,
    )


def build_schema(
    dataset: Dataset, dictionary: DataDictionary, columns: list[str] | None = None
) -> pa.DataFrameSchema:
    """The pandera schema of `dataset`, optionally restricted to `columns` that are present."""
    fields = [f for f in dataset.fields if columns is None or f.name in columns]
    return pa.DataFrameSchema(
        {f.name: build_column(f, dictionary) for f in fields},
        strict=columns is None,
        name=dataset.name,
        description=dataset.description,
    )
