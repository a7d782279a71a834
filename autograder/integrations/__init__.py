"""Grades where instructors already work: nbgrader's gradebook, Gradescope, Canvas and Moodle.

- ``nbgrader_sync``: ``shallow grade`` in an nbgrader course writes its scores into nbgrader's
  own gradebook, and the views bring formgrader's manual grades and comments back as overrides;
- ``gradescope``: the autograder zip Gradescope runs, and the ``run_autograder`` inside it;
- ``lms``: grade CSVs in the layouts Canvas's and Moodle's gradebook imports read.

Nothing here is imported unless a command needs it; nbgrader itself only in an nbgrader course.
"""
