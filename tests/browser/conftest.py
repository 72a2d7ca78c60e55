"""A real browser against a real server: Debian's Chromium driven by Playwright, pages checked
with axe-core. Screenshots go to ``test-artifacts/`` for a person to look at.

The server is the app under test on the test database, in a thread; the browser is a phone
(375×667, zh-CN). Chromium must be installed (``.ci/run`` installs Debian's ``chromium`` and
``fonts-noto-cjk``): a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 375, "height": 667}
# Flags for a root user in a sandbox without network: see the machine notes.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium (see .ci/run)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a free loopback port for the duration of the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def axe_violations() -> Callable[..., list[dict[str, Any]]]:
    """axe-core's WCAG 2 A/AA violations on the page (plus any extra rules asked for)."""
    axe = Axe()

    def run(page: Page, extra_tags: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        options = WCAG_AA
        if extra_tags:
            values = [*WCAG_AA["runOnly"]["values"], *extra_tags]
            options = {"runOnly": {"type": "tag", "values": values}}
        result = axe.run(page, options=options)
        return [
            {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result.response["violations"]
        ]

    return run
