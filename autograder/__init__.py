"""autograder: the grading engine and the ``shallow`` command-line tool."""

__version__ = "0.1.0"

DEFAULT_GRADEBOOK = "shallow_gradebook.db"
"""The SQLite gradebook every command uses unless told otherwise (in the current folder)."""
