"""The sandbox's layer detection and bubblewrap command line."""

import os
import shutil
import sys

import pytest

from autograder.sandbox import bwrap_argv, detect_layers


def test_private_tmp_is_mounted_before_anything_bound_inside_tmp():
    argv = bwrap_argv(sys.executable, "/tmp/work")
    tmp = next(i for i in range(len(argv) - 1) if argv[i:i + 2] == ["--tmpfs", "/tmp"])
    for i, arg in enumerate(argv):
        if arg in ("--ro-bind", "--bind") and argv[i + 2].startswith("/tmp/"):
            assert i > tmp, f"{argv[i + 2]} is bound before /tmp is replaced"


def test_the_strongest_layers_work_where_their_tools_are_installed():
    layers, missing = detect_layers()
    print(f"layers: {layers}; missing: {missing}")
    assert {"rlimits", "session", "clean-env"} <= set(layers)
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed here: the bwrap layer cannot be tested "
                    "(.ci/run installs it)")
    assert "bwrap" in layers, f"bubblewrap is installed but does not work: {missing}"
    assert {"netns", "pidns"} <= set(layers)
    if os.getuid() == 0:
        assert "uid" in layers, missing
