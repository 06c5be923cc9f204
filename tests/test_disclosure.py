"""Disclosure control: NHS MHSDS suppression and rounding, secondary suppression, the record."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.optimize import linprog

from slp_eval.disclosure import (
    DisclosureRule,
    apply_disclosure,
    assert_no_identifying_columns,
    disclose_count,
)
from slp_eval.errors import DisclosureError


def with_totals(interior: np.ndarray) -> pd.DataFrame:
    """A table with a Total row and a total column, as published tables have."""
    rows = [f"r{i}" for i in range(interior.shape[0])]
    cols = [f"c{j}" for j in range(interior.shape[1])]
    frame = pd.DataFrame(interior, index=rows, columns=cols)
    frame["total"] = frame.sum(axis=1)
    frame.loc["Total"] = frame.sum(axis=0)
    return frame


def test_primary_suppression_rounding_and_zeros():
    frame = pd.DataFrame({"setting": ["home", "nhs", "independent", "residential", "nursing"],
                          "people": [0, 1, 7, 8, 1234]}).set_index("setting")
    result = apply_disclosure(frame, ["people"], additive_columns=False)
    assert list(result.frame["people"]) == [0, "*", "*", 10, 1235]
    assert [cell for cell, _ in result.primary] == ["nhs", "independent"]
    assert result.secondary == ()


def test_rounding_is_to_the_nearest_multiple_halves_up():
    frame = pd.DataFrame({"n": [8, 12, 13, 15, 17, 18, 102]})
    shown = apply_disclosure(frame, ["n"], additive_columns=False).frame["n"]
    assert list(shown) == [10, 10, 15, 15, 15, 20, 100]
    tens = apply_disclosure(frame, ["n"], rule=DisclosureRule(rounding_base=10),
                            additive_columns=False).frame["n"]
    assert list(tens) == [10, 10, 10, 20, 20, 20, 100]


def test_single_suppressed_cell_in_a_row_and_column_is_protected():
    frame = with_totals(np.array([[120, 30], [5, 22], [40, 9]]))
    result = apply_disclosure(frame, ["c0", "c1", "total"], total_row="Total",
                              total_column="total")
    assert result.primary == (("r1", "c0"),)
    # the next smallest cell in the row (22), then in the column (40), then row r2's 9
    assert set(result.secondary) == {("r1", "c1"), ("r2", "c0"), ("r2", "c1")}
    assert result.frame.loc["r0"].tolist() == [120, 30, 150]
    assert result.frame.loc["Total"].tolist() == [165, 60, 225]
    assert result.suppressed == 4


def test_cell_bridging_two_protected_blocks_is_caught():
    # two blocks of four hidden cells (each a closed cycle) joined by one hidden cell at (r1, c2):
    # every row and column holds at least two hidden cells, yet the bridge is recoverable as
    # (r0 + r1 row sums) - (c0 + c1 column sums). The exact test must protect it.
    interior = np.array([
        [3, 4, 50, 60],
        [5, 2, 6, 70],
        [80, 90, 2, 3],
        [85, 95, 4, 5],
    ])
    frame = with_totals(interior)
    result = apply_disclosure(frame, [*frame.columns], total_row="Total", total_column="total",
                              rule=DisclosureRule(rounding_base=1))
    assert _recoverable_by_linear_programming(frame, result) == []


def _recoverable_by_linear_programming(frame: pd.DataFrame, result) -> list[tuple[str, str]]:
    """Independent check: for each hidden cell, minimise and maximise it subject to every row and
    column total (scipy linprog, no bounds); it is recoverable iff both optima exist and agree."""
    table = frame.to_numpy(dtype=float)
    shown = result.frame.to_numpy(dtype=object)
    hidden = [(i, j) for i in range(table.shape[0]) for j in range(table.shape[1])
              if shown[i, j] == result.rule.symbol]
    if not hidden:
        return []
    index = {cell: k for k, cell in enumerate(hidden)}
    a_eq, b_eq = [], []
    n_rows, n_cols = table.shape
    # row i: sum of interior columns - total column = 0; column j: sum of rows - Total row = 0
    for line in [[(i, j) for j in range(n_cols)] for i in range(n_rows)] + \
                [[(i, j) for i in range(n_rows)] for j in range(n_cols)]:
        coefficients, constant = np.zeros(len(hidden)), 0.0
        for position, cell in enumerate(line):
            sign = -1.0 if position == len(line) - 1 else 1.0
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                constant -= sign * table[cell]
        a_eq.append(coefficients)
        b_eq.append(constant)
    found = []
    for cell, k in index.items():
        objective = np.zeros(len(hidden))
        objective[k] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(None, None))
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(None, None))
        if low.status == 0 and high.status == 0 and abs(low.fun + high.fun) < 1e-6:
            found.append((frame.index[cell[0]], frame.columns[cell[1]]))
    return found


small_counts = st.one_of(st.integers(0, 9), st.integers(0, 60))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda r: st.integers(2, 4).flatmap(
            lambda c: st.lists(small_counts, min_size=r * c, max_size=r * c).map(
                lambda cells: np.array(cells).reshape(r, c)
            )
        )
    )
)
def test_no_suppressed_cell_can_be_recovered_from_the_margins(interior):
    frame = with_totals(interior)
    result = apply_disclosure(frame, [*frame.columns], total_row="Total", total_column="total",
                              rule=DisclosureRule(rounding_base=1))
    assert _recoverable_by_linear_programming(frame, result) == []
    # every primary cell is hidden, every shown cell is shown exactly (base 1)
    shown = result.frame.to_numpy(dtype=object)
    values = frame.to_numpy()
    assert ((shown == "*") >= ((values >= 1) & (values <= 7))).all()
    assert all(shown[i, j] == values[i, j] for i, j in zip(*np.nonzero(shown != "*"), strict=True))


def test_columns_that_are_not_parts_of_a_whole():
    frame = pd.DataFrame({"numerator": [3, 40, 50], "denominator": [30, 90, 95]},
                         index=["Lambeth", "Southwark", "Croydon"])
    result = apply_disclosure(frame, ["numerator", "denominator"], additive_rows=False,
                              additive_columns=False)
    assert result.frame.loc["Lambeth"].tolist() == ["*", 30]
    assert result.secondary == ()


def test_switched_off_explicitly_returns_the_table_unchanged():
    frame = with_totals(np.array([[1, 2], [3, 40]]))
    result = apply_disclosure(frame, [*frame.columns], rule=DisclosureRule(apply=False))
    pd.testing.assert_frame_equal(result.frame, frame)
    record = result.to_dict()
    assert record["applied"] is False
    assert record["suppressed_cells"] == 0
    assert record["note"].startswith("Disclosure control was switched off explicitly")


def test_record_for_the_manifest():
    frame = with_totals(np.array([[120, 30], [5, 22], [40, 9]]))
    record = apply_disclosure(frame, [*frame.columns], total_row="Total", total_column="total",
                              name="placements by trust").to_dict()
    assert record["table"] == "placements by trust"
    assert record["primary_suppressed"] == [{"row": "r1", "column": "c0"}]
    assert len(record["secondary_suppressed"]) == 3
    assert record["rule"] == DisclosureRule().model_dump()
    assert record["note"] == (
        "Counts of 1 to 7 are shown as '*' and other counts are rounded to the nearest 5. "
        "3 further cells were suppressed so that suppressed counts cannot be worked out from the "
        "totals."
    )
    import json
    json.dumps(record)  # serialisable as is


def test_missing_values_pass_through():
    frame = pd.DataFrame({"n": [12.0, np.nan, 3.0]})
    shown = apply_disclosure(frame, ["n"], additive_columns=False).frame["n"]
    assert shown.iloc[0] == 10 and pd.isna(shown.iloc[1]) and shown.iloc[2] == "*"


def test_single_counts_for_sentences():
    assert [disclose_count(v, DisclosureRule()) for v in (0, 1, 7, 8, 12, 13, 1102)] == [
        0, "*", "*", 10, 10, 15, 1100
    ]
    assert disclose_count(7, None) == 7
    assert disclose_count(7, DisclosureRule(apply=False)) == 7


def test_identifying_columns_are_refused():
    frame = pd.DataFrame({"patient_id": ["p1"], "borough": ["Lambeth"], "n": [10]})
    with pytest.raises(DisclosureError, match=re.escape(
        "column(s) 'patient_id' identify a person and must not appear in a report table; drop "
        "or aggregate them first"
    )):
        assert_no_identifying_columns(frame, ["patient_id", "nhs_number"])
    assert_no_identifying_columns(frame[["borough", "n"]], ["patient_id"])


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"n": [1, -2]}), {}, "apply_disclosure: column 'n', row 1: -2 is not a "
         "non-negative whole number; only counts can be disclosure-controlled"),
        (pd.DataFrame({"n": [1, 2.5]}), {}, "apply_disclosure: column 'n', row 1: 2.5 is not a "
         "non-negative whole number; only counts can be disclosure-controlled"),
        (pd.DataFrame({"n": [1, "x"]}), {}, "apply_disclosure: column 'n', row 1: 'x' is not a "
         "count"),
        (pd.DataFrame({"n": [1, np.inf]}), {}, "apply_disclosure: column 'n', row 1: inf is not "
         "a non-negative whole number; only counts can be disclosure-controlled"),
        (pd.DataFrame({"n": [1]}), {"count_columns": ["m"]}, "apply_disclosure: count column(s) "
         "'m' are not in the table (columns: n)"),
        (pd.DataFrame({"n": [1]}), {"total_column": "t"}, "apply_disclosure: total_column 't' "
         "must be one of count_columns"),
        (pd.DataFrame({"n": [1]}), {"total_row": "Total"}, "apply_disclosure: total_row 'Total' "
         "is not a row label"),
    ],
)
def test_bad_tables(frame, kwargs, message):
    kwargs = {"count_columns": ["n"], **kwargs}
    with pytest.raises(DisclosureError, match=re.escape(message) + "$"):
        apply_disclosure(frame, **kwargs)


def test_rule_range_must_be_ordered():
    with pytest.raises(ValidationError, match=re.escape("suppress_max (2) is below suppress_min (5)")):
        DisclosureRule(suppress_min=5, suppress_max=2)


def test_secondary_suppression_can_be_switched_off_and_no_rounding_note():
    frame = with_totals(np.array([[120, 30], [5, 22], [40, 9]]))
    rule = DisclosureRule(secondary=False, rounding_base=1)
    result = apply_disclosure(frame, [*frame.columns], total_row="Total", total_column="total",
                              rule=rule)
    assert result.secondary == ()
    assert result.frame.loc["r1"].tolist() == ["*", 22, 27]
    assert result.note == "Counts of 1 to 7 are shown as '*' and other counts are shown exactly."
