"""quizzes: banks of review questions, checking answers, the terminal quiz and its hand-in file.

``types`` (one record per question type), ``bank`` (load and validate), ``safeyaml`` (read
files safely), ``checking`` (full and form-only checks), ``variants`` (parametric numbers),
``rendering`` (text for people), ``runner`` (the terminal quiz), ``results`` (the result file
and re-grading it), ``student`` (the student copy of a bank), ``export`` (GIFT and text2qti).
"""
