"""Hostile submissions for tests/test_adversarial.py (see corpus.py, the manifest)."""
