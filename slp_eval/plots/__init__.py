"""Figures. Every function reads result objects or tidy frames and returns a matplotlib Figure."""

from slp_eval.plots.forest import forest_plot
from slp_eval.plots.its import plot_acf, plot_break_dates, plot_its, plot_placebo

__all__ = ["forest_plot", "plot_acf", "plot_break_dates", "plot_its", "plot_placebo"]
