"""quizzes: banks of review questions and the terminal quiz runner."""
