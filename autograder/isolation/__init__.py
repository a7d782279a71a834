"""Isolation: the sandbox's layers, the children that run student code, and the wire between."""
