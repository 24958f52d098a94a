"""Take the README's tour screenshots from a running demo (``make demo`` in another shell).

    .venv/bin/python docs/screenshots.py [--url http://127.0.0.1:8000]

Logs in as the demo personas in Debian's Chromium and writes ``docs/*.png``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
PASSWORD = "jingwu-demo"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: (file, persona, path, what to wait for)
SHOTS = [
    ("map.png", "duty_taihe", "/map/", ".leaflet-overlay-pane path"),
    ("console.png", "duty_taihe", "/console/", ".leaflet-overlay-pane path"),
    ("jointcmd.png", "duty_railway", "/jointcmd/", "body"),
    ("eco.png", "forest_chief_guling", "/eco/", ".leaflet-overlay-pane path"),
    ("disputes.png", "property_chongxian", "/disputes/", "body"),
    ("figures.png", "commander_jinan", "/figures/", "body"),
]


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(url + "/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        for name, user, path, ready in SHOTS:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            log_in(page, args.url, user)
            page.goto(args.url + path)
            page.wait_for_selector(ready, timeout=15_000)
            page.wait_for_timeout(1500)  # tiles of vector layers and the live stream settle
            page.screenshot(path=str(HERE / name))
            print(f"docs/{name}: {user} {path}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
