"""Shared test set-up: the support modules in this folder (``notebooks``, ``adversarial``) are
importable from every test folder, whose layout mirrors the packages it tests."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
