# ruff: noqa
# At import time: a default argument is evaluated when the def statement runs.
import os


def innocent(x=os._exit(0)):
    return x
