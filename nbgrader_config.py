"""nbgrader configuration for this course: instructors author notebooks in solutions/, nbgrader
generates the student versions in assignments/ (`shallow release` runs it)."""

c = get_config()  # noqa: F821 - nbgrader provides get_config

c.CourseDirectory.course_id = "shallow-networks"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# The experiments at the end of a notebook train several networks: allow them time, but a
# hanging cell still ends after two minutes.
c.Execute.timeout = 120
c.ExecutePreprocessor.timeout = 120
