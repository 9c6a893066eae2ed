"""Browser tests: a live server on loopback driven by Debian's Chromium via Playwright.

The server runs in its own thread and event loop and builds its own runtime in its
lifespan (asyncpg connections cannot cross loops). Playwright's own browser download
does not work everywhere, so tests use the system `chromium`; without it they are
skipped with the reason shown (`make test` installs it where it can).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn

from daiko.app import create_app
from daiko.config import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(
                    pytest.mark.skip(reason="no chromium on this machine (apt install chromium)")
                )


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(settings.model_copy(update={"base_url": self.url}))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(settings: Settings, runtime: object) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def page(live_server: LiveServer) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = await browser.new_context(base_url=live_server.url, locale="ja-JP")
        pg = await context.new_page()
        yield pg
        await context.close()
        await browser.close()
