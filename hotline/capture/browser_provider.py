"""scrapy-playwright's browser provider, started only when a capture first needs the browser.

The default provider starts Playwright's driver when the crawl starts (about half a second of a
Node.js process); most batches never use the browser, so this one starts it with the first browser
capture, through scrapy-playwright's own extension point (``PLAYWRIGHT_BROWSER_PROVIDER``).
"""

from __future__ import annotations

from typing import Any

from scrapy_playwright.provider import PlaywrightBrowserProvider


class OnDemandBrowserProvider(PlaywrightBrowserProvider):  # type: ignore[misc]
    async def start(self) -> None:
        """Nothing yet: the driver starts with the first browser."""

    async def launch_browser(self) -> Any:
        if self.browser_type is None:
            await super().start()
        return await super().launch_browser()
