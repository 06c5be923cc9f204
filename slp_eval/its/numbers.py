"""Numbers and p-values as the ITS prose prints them (`slp_eval.its.text` and the diagnostics):
plain formatting that needs no result, so that any module of `slp_eval.its` can use it."""

from __future__ import annotations

__all__ = ["number", "p_text"]


def number(value: float) -> str:
    """A number as the summary prints it (3 significant digits, or whole with commas from 1,000)."""
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def p_text(value: float) -> str:
    """A p-value as the summary prints it ("p = 0.118", "p < 0.001")."""
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"
