"""Fixtures of the report tests: the class of ``report_class``, graded once per session."""

import pytest
from report_class import build_class


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    return build_class(tmp_path_factory.mktemp("course"))
