"""The presentation layer the notebooks call: one `Report` per run.

    report = start(params, output_dir, kind="its")   # stops here, in one paragraph, on bad input
    report.header(); report.parameter_table(); report.provenance()
    report.estimates(result.to_frame()); report.figure(result.plot(), "its")
    report.limitations([...]); report.disclosure_note(); report.write_results(...)

Tables are formatted at a fixed precision (identical in the notebook, under nbval and in
report.html), person-identifying columns are refused, counts pass disclosure control unless the
parameters switch it off, figures are saved as PNG into output_dir/figures/, and results.json is
written through `slp_eval.results`. With `output_dir=None` nothing is written. Kind-specific
helpers live in `slp_eval.report.its`, `slp_eval.report.quality`, ...
"""

from slp_eval.report.session import Report, start
from slp_eval.report.tables import Table, format_number, format_p

__all__ = ["Report", "Table", "format_number", "format_p", "start"]
