"""The negotiator's printable report and the views it shares with the web desk (issue 12).

``view.check_view(result, ...)`` turns a check job's result JSON into what a reader sees, in
order; ``chart.frontier_svg(sweep)`` draws the frontier from a budget sweep's result;
``compare.compare_view(a, b)`` sets two results side by side; ``render.report_pdf(view)``
prints the report with WeasyPrint. Every number shown keeps the JSON path it came from, so
tests can check it against the job's JSON.
"""
