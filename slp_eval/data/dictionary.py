"""The data dictionary: what every dataset must contain, read from `data_dictionary/*.yaml`.

One YAML file per dataset (fields with type, unit, requiredness, allowed values, national
source and whether the field identifies a person, plus dataset-level rules) and
`vocabularies.yaml` (south London boroughs, trusts, settings, programmes, ...). The pandera
schemas (`slp_eval.data.schema`) and the Markdown documentation are both built from these
objects, so the rules are written down once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from slp_eval.errors import ParameterError

#: The folder holding the dictionary YAML files (at the root of the source tree).
DICTIONARY_DIR: Path = Path(__file__).resolve().parents[2] / "data_dictionary"
VOCABULARY_FILE = "vocabularies.yaml"

FieldType = Literal["string", "integer", "float", "boolean", "date", "month"]
#: Field types whose cells may hold a suppression marker.
NUMERIC_TYPES: tuple[str, ...] = ("integer", "float")
#: Suppression markers of a dataset that declares none: NHS England and NHS Digital publish a
#: suppressed figure as `*`.
DEFAULT_SUPPRESSION_MARKERS: tuple[str, ...] = ("*",)


class VocabularyValue(BaseModel):
    """One allowed code of a vocabulary, its label and any extra attributes (e.g. a range)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    code: str
    label: str


class Vocabulary(BaseModel):
    """A controlled list of codes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    description: str
    source: str | None = None
    values: tuple[VocabularyValue, ...]

    @property
    def codes(self) -> list[str]:
        """The allowed codes, in dictionary order."""
        return [v.code for v in self.values]

    def value(self, code: str) -> VocabularyValue:
        """The entry of `code` (KeyError if absent)."""
        for v in self.values:
            if v.code == code:
                return v
        raise KeyError(code)


class Field(BaseModel):
    """One column of a dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: FieldType
    unit: str | None = None
    required: bool
    nullable: bool
    unique: bool = False
    vocabulary: str | None = None
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    description: str
    national_source: str | None
    identifies_person: bool


class Rule(BaseModel):
    """A dataset-level rule across fields or rows; its parameters are kept as extra keys."""

    model_config = ConfigDict(extra="allow", frozen=True)

    rule: str
    description: str

    @property
    def params(self) -> dict[str, Any]:
        """The rule's parameters (every key but `rule` and `description`)."""
        return dict(self.model_extra or {})


class Dataset(BaseModel):
    """A dataset of the dictionary: its fields and rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    description: str
    grain: str
    suppression_markers: tuple[str, ...] = DEFAULT_SUPPRESSION_MARKERS
    rules: tuple[Rule, ...] = ()
    fields: tuple[Field, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> Dataset:
        names = [f.name for f in self.fields]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"field names repeated: {', '.join(duplicated)}")
        blank = [m for m in self.suppression_markers if not m.strip() or m != m.strip()]
        if blank:
            raise ValueError(f"suppression_markers {blank!r}: a marker is visible text without surrounding "
                             "spaces (an empty cell is already missing)")
        return self

    @property
    def field_names(self) -> list[str]:
        """Every column name, in dictionary order."""
        return [f.name for f in self.fields]

    @property
    def required_columns(self) -> list[str]:
        """Columns a file must have."""
        return [f.name for f in self.fields if f.required]

    @property
    def identifying_columns(self) -> list[str]:
        """Columns whose entry says they identify a person."""
        return [f.name for f in self.fields if f.identifies_person]

    def field(self, name: str) -> Field:
        """The field called `name` (KeyError if absent)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


class DataDictionary(BaseModel):
    """Every dataset and vocabulary of the dictionary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    datasets: dict[str, Dataset]
    vocabularies: dict[str, Vocabulary]

    @model_validator(mode="after")
    def _vocabularies_exist(self) -> DataDictionary:
        for ds in self.datasets.values():
            for f in ds.fields:
                if f.vocabulary is not None and f.vocabulary not in self.vocabularies:
                    raise ValueError(
                        f"dataset {ds.name}, field {f.name}: unknown vocabulary {f.vocabulary!r}"
                    )
        return self

    def dataset(self, name: str) -> Dataset:
        """The dataset called `name`; ParameterError naming the known datasets otherwise."""
        if name not in self.datasets:
            known = ", ".join(sorted(self.datasets))
            raise ParameterError(f"dataset {name!r} is not in the data dictionary (known: {known})")
        return self.datasets[name]

    def allowed_values(self, field: Field) -> list[str] | None:
        """The codes a field may take (from its vocabulary or `allowed` list), or None."""
        if field.vocabulary is not None:
            return self.vocabularies[field.vocabulary].codes
        return list(field.allowed) if field.allowed is not None else None


def _resolve_references(raw: dict[str, Any]) -> dict[str, Any]:
    """Expand `{from: VOCAB, field: code|label}` entries into the referenced vocabulary's values."""
    out: dict[str, Any] = {}
    for name, vocab in raw.items():
        values = []
        for entry in vocab["values"]:
            if "from" in entry:
                source = raw[entry["from"]]["values"]
                values += [{"code": v[entry["field"]], "label": v["label"]} for v in source]
            else:
                values.append(entry)
        out[name] = {**vocab, "name": name, "values": values}
    return out


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read_dictionary(directory: str | Path | None = None) -> DataDictionary:
    """Read and check every YAML file of the data dictionary.

    Parameters
    ----------
    directory:
        Folder with one `<dataset>.yaml` per dataset and `vocabularies.yaml`; defaults to the
        project's `data_dictionary/`.
    """
    folder = Path(directory) if directory is not None else DICTIONARY_DIR
    if not (folder / VOCABULARY_FILE).is_file():
        raise ParameterError(f"{folder}: no {VOCABULARY_FILE}; is this a data dictionary folder?")
    vocabularies = _resolve_references(_read_yaml(folder / VOCABULARY_FILE))
    datasets: dict[str, Any] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == VOCABULARY_FILE:
            continue
        content = _read_yaml(path)
        if content.get("name") != path.stem:
            raise ParameterError(f"{path}: 'name' must be {path.stem!r}, the file's stem")
        datasets[path.stem] = content
    try:
        return DataDictionary(datasets=datasets, vocabularies=vocabularies)
    except ValidationError as exc:
        raise ParameterError(f"{folder}: the data dictionary is invalid:\n{exc}") from exc
