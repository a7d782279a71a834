"""Grading on a Dask cluster, and the PostgreSQL server the tests start (``pgserver``)."""
