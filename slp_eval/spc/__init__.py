"""Statistical process control: the Making Data Count family of charts.

- `spc` (`SPCResult`): the MDC XmR chart, as NHSRplotthedots 0.2.2 computes it (`xmr`);
- `run_chart` (`RunChartResult`): a run chart with Anhoej's rules (`run_chart`, `runs`);
- `attribute_chart` (`ControlChartResult`): p, p' (Laney), u, u' (Laney) and c charts for counts,
  shares and rates with varying denominators, as qicharts2 0.8 computes them (`attribute`);
- `funnel` (`FunnelResult`): funnel plots across providers with Spiegelhalter's overdispersion
  adjustment, as FunnelPlotR 0.6 computes them (`funnel`);
- `board_summary` (`BoardSummary`): the MDC summary icon table over many measures (`summary`).

Every chart takes a DataFrame and plain values and returns a result object with `to_frame()`,
`summary_frame()`, `summary()`, `_repr_html_` and `.plot()` (which imports its figure lazily:
importing `slp_eval.spc` loads no plotting library). Times come back in the input's own form.
"""

from slp_eval.spc.attribute import ControlChartResult, attribute_chart
from slp_eval.spc.common import MIN_POINTS_FOR_RULES
from slp_eval.spc.funnel import FunnelResult, funnel
from slp_eval.spc.run_chart import RunChartResult, run_chart
from slp_eval.spc.runs import RunsAnalysis, runs_analysis
from slp_eval.spc.summary import BoardSummary, board_summary
from slp_eval.spc.xmr import LIMIT, NEAR_LIMIT, SCREEN, SPCResult, spc

__all__ = [
    "LIMIT",
    "MIN_POINTS_FOR_RULES",
    "NEAR_LIMIT",
    "SCREEN",
    "BoardSummary",
    "ControlChartResult",
    "FunnelResult",
    "RunChartResult",
    "RunsAnalysis",
    "SPCResult",
    "attribute_chart",
    "board_summary",
    "funnel",
    "run_chart",
    "runs_analysis",
    "spc",
]
