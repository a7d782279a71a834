"""Views of the gradebook's structured results: terminal text, class reports, feedback pages."""
