"""The data layer: table and rubric schemas, periods, loading and validation, the new-brand scaffold.

Everything else reads data through :func:`load`, which validates every file and
raises :class:`DataError` naming file, row and column before anything runs.
"""

from .loading import DataError, Dataset, Issue, known_companies, load, load_rubric, read_csv

__all__ = ["Dataset", "DataError", "Issue", "known_companies", "load", "load_rubric", "read_csv"]
