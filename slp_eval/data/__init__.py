"""Data: the data dictionary, validated loading, and monthly aggregation on DuckDB.

- `read_dictionary()` reads `data_dictionary/*.yaml`; `render_dictionary_markdown()` renders it.
- `load(path, dataset)` returns a typed, validated frame or raises `DataValidationError`.
- `validate_file(path, dataset)` returns a `ValidationReport` of every failure.
- `aggregate_monthly(source, extract_date=...)` turns placement episodes into `monthly_series`.
"""

from slp_eval.data.aggregate import aggregate_monthly
from slp_eval.data.dictionary import DataDictionary, Dataset, Field, Vocabulary, read_dictionary
from slp_eval.data.load import ValidationReport, load, validate_file
from slp_eval.data.render import render_dictionary_markdown
from slp_eval.data.schema import build_schema

__all__ = [
    "DataDictionary",
    "Dataset",
    "Field",
    "ValidationReport",
    "Vocabulary",
    "aggregate_monthly",
    "build_schema",
    "load",
    "read_dictionary",
    "render_dictionary_markdown",
    "validate_file",
]
