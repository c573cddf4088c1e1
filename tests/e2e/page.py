"""The page as headless Chromium renders it, for the end-to-end tests."""
from __future__ import annotations

import shutil
import subprocess
import tempfile


def rendered_page(url: str) -> str:
    """The DOM of ``url`` after its scripts ran (15 s of virtual time), as Chromium dumps it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed (.ci/run installs it)"
    with tempfile.TemporaryDirectory() as profile:
        # Without the background-networking flags Chromium tries the network at every start.
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
