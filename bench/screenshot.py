"""Look at a report as a reader does: report.html in headless Chromium at 1400 and 420 px wide, as PNGs.

    python -m xorbench.bench.screenshot bench-out/report.html OUTDIR

Needs Chromium (Debian: apt-get install chromium). Writes OUTDIR/report-1400.png and OUTDIR/report-420.png: at
420 px, every table must scroll inside its own box rather than run off the page.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

WIDTHS = (1400, 420)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("xorbench screenshot: no Chromium found. Fix: apt-get install chromium")


def shoot(html: str, out: str) -> list[str]:
    """Screenshots of html at every width in WIDTHS; returns their paths."""
    os.makedirs(out, exist_ok=True)
    url = "file://" + os.path.abspath(html)
    made = []
    for width in WIDTHS:
        png = os.path.join(out, f"report-{width}.png")
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},2400",
                            f"--screenshot={os.path.abspath(png)}", url], check=True, capture_output=True, timeout=120)
        made.append(png)
        print(f"wrote {png} ({width} px wide)")
    return made


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    shoot(sys.argv[1], sys.argv[2])
