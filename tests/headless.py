"""Headless Chromium from the distribution, driven by Playwright (no downloaded browsers)."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "static" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"


def chromium_path() -> str | None:
    """Return the distribution's Chromium, or None when it is not installed."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def launch(playwright):
    """Start the distribution's headless Chromium."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=ARGS, headless=True)
