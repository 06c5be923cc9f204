"""The data dictionary: vocabularies are right, every field is fully described, docs are fresh."""

from pathlib import Path

import pytest

from slp_eval.data import read_dictionary, render_dictionary_markdown
from slp_eval.errors import ParameterError

ROOT = Path(__file__).resolve().parents[1]

# ONS Register of Geographic Codes: London boroughs are E09000001-E09000033 in alphabetical order.
SOUTH_LONDON = {
    "Bexley": "E09000004",
    "Bromley": "E09000006",
    "Croydon": "E09000008",
    "Greenwich": "E09000011",
    "Kingston upon Thames": "E09000021",
    "Lambeth": "E09000022",
    "Lewisham": "E09000023",
    "Merton": "E09000024",
    "Richmond upon Thames": "E09000027",
    "Southwark": "E09000028",
    "Sutton": "E09000029",
    "Wandsworth": "E09000032",
}


def test_south_london_boroughs_and_ons_codes() -> None:
    vocab = read_dictionary().vocabularies["boroughs"]
    assert {v.label: v.code for v in vocab.values} == SOUTH_LONDON


def test_trusts_and_ods_codes() -> None:
    vocab = read_dictionary().vocabularies["trusts"]
    assert {v.code: v.label for v in vocab.values} == {
        "RPG": "Oxleas NHS Foundation Trust",
        "RV5": "South London and Maudsley NHS Foundation Trust",
        "RQY": "South West London and St George's Mental Health NHS Trust",
    }


def test_every_dataset_is_present_and_person_identifiers_are_marked() -> None:
    d = read_dictionary()
    assert set(d.datasets) == {"placements", "monthly_series", "provider_monthly_series", "outcome_measures",
                               "workforce", "provider_panel"}
    assert d.dataset("provider_monthly_series").identifying_columns == []
    assert d.dataset("provider_monthly_series").field_names == d.dataset("monthly_series").field_names
    assert d.dataset("placements").identifying_columns == ["patient_id"]
    assert d.dataset("outcome_measures").identifying_columns == ["patient_id"]
    assert d.dataset("monthly_series").identifying_columns == []
    assert d.dataset("monthly_series").field_names[:8] == [
        "period",
        "unit",
        "measure",
        "measure_type",
        "numerator",
        "denominator",
        "exposure",
        "value",
    ]


def test_units_cover_slp_trusts_and_borough_names() -> None:
    units = read_dictionary().vocabularies["units"].codes
    assert units[:4] == ["SLP", "RPG", "RV5", "RQY"]
    assert set(units[4:]) == set(SOUTH_LONDON) | {"England", "Rest of England"}  # + NHS open-data units


def test_a_broken_dictionary_is_refused(tmp_path: Path) -> None:
    for path in (ROOT / "data_dictionary").glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text().replace("vocabulary: trusts", "vocabulary: trust"))
    with pytest.raises(ParameterError, match="unknown vocabulary 'trust'"):
        read_dictionary(tmp_path)


def test_rendered_markdown_is_not_stale() -> None:
    checked_in = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert checked_in == render_dictionary_markdown(), (
        "docs/data_dictionary.md is stale: run `slp-eval dictionary --out docs/data_dictionary.md`"
    )


def test_markdown_lists_every_field_and_vocabulary() -> None:
    text = render_dictionary_markdown()
    d = read_dictionary()
    for ds in d.datasets.values():
        assert f"## Dataset `{ds.name}`" in text
        for name in ds.field_names:
            assert f"| `{name}` |" in text
    for code in SOUTH_LONDON.values():
        assert f"| `{code}` |" in text
