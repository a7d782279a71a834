"""Views of the gradebook's structured results: terminal text, class reports, feedback pages.

One job per module:

- ``text``: plain text for the terminal and Gradescope's per-test output;
- ``aggregate``: pure aggregation (per exercise, case, mistake, review question, student);
- ``plots``: the class report's charts (matplotlib Figure + Agg) with their text alternatives;
- ``questions``: a bank question as one student saw it (their own numbers when parametric);
- ``render``: the Jinja2 environment (autoescape everywhere) and the pages' CSP hashes;
- ``files``: nbgrader's feedback layout, relative links, atomic writes, nbgrader's files;
- ``source``: reading the gradebook, course, policy, roster and bank once (``ReportError``);
- ``item_csv``: the item-analysis CSV;
- ``class_report``: the class report (``build_report``);
- ``feedback``: the feedback pages (``build_feedback``).

Importing this package imports nothing else: ``results.py`` reaches ``text`` through it.
"""
