"""Releasing assignments: review cells synced from the bank, nbgrader's release, and the
self-check bundle (visible cases only) shipped beside each released notebook."""
