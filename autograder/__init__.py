"""autograder: the grading engine and the ``shallow`` command-line tool."""

__version__ = "0.1.0"
