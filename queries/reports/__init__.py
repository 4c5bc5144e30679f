"""Reports (#9, #5, NP6, CL6, A4): the catalogue, who may read what, the period.

Most reports are SQL over the analytics export (``sql/<name>.sql``, DuckDB's
dialect, run by ``adapters.analytics.reports``): every figure is recomputed from
events up to ``as_of``, so a report can be answered as it stood at any past moment.
A few are *live* (``live``): current work lists read from the views, as of now.

- ``catalogue``: each report's name, title, columns, the roles that may read it and
  how each role's rows are narrowed (``Narrowing``), and the event columns the SQL
  reads (``FAMILIES``);
- ``period``: the ``from``/``to``/``as_of`` a report is asked for, checked;
- ``scope``: what a caller may see (their NPOs, communities, mentees), from views;
- ``live``: the live reports.
"""
