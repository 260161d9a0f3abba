"""The agenda page in a real browser: headless Chromium from Debian's packages, driven over the
DevTools protocol. `.ci/run` installs Chromium; elsewhere the test is skipped when it is absent."""

import os
import re
from pathlib import Path

import icalendar
import pytest

from bot.core import FixedClock
from tests.conftest import NEWS_DAY
from tests.web.cdp import browser_page, chromium_path
from tests.web.conftest import open_site

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    chromium_path() is None and not os.environ.get("AGENDA_CI"),
    reason="Chromium is not installed (apt-get install chromium); CI installs it",
)


def luminance(rgb: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


async def test_the_page_in_chromium(wco, tmp_path):
    site = await open_site(wco, tmp_path, FixedClock(NEWS_DAY))
    try:
        async with browser_page(tmp_path / "profile") as page:
            await page.goto(site.base + "/")
            # The upcoming list is the agenda's, as of 23 October 2015.
            shown = await page.evaluate(
                "[...document.querySelectorAll('#upcoming ~ ul .title')].map(a => a.textContent)"
            )
            expected = [
                m.title for m in site.runtime.agenda.index.upcoming(NEWS_DAY, size=500).items
            ]
            assert shown == expected
            # Structure people and screen readers rely on.
            assert await page.evaluate("document.documentElement.lang") == "en"
            headings = await page.evaluate(
                "[...document.querySelectorAll('h1, h2')].map(h => h.tagName)"
            )
            assert headings[0] == "H1" and headings.count("H1") == 1
            assert await page.evaluate(
                "[...document.querySelectorAll('a')].every(a => a.textContent.trim().length)"
            )
            colours = await page.evaluate("""(() => {
                const style = e => getComputedStyle(e);
                const body = style(document.body);
                const button = style(document.querySelector('.button.primary'));
                return [body.color, body.backgroundColor, button.color, button.backgroundColor];
            })()""")
            assert contrast(colours[0], colours[1]) >= 7
            assert contrast(colours[2], colours[3]) >= 4.5
            # The subscribe link gives a valid feed with every dated meeting.
            feed = await page.evaluate(
                "fetch(document.getElementById('feed-https').href).then(r => r.text())"
            )
            calendar = icalendar.Calendar.from_ical(feed)
            known = site.runtime.agenda.agenda.meetings.values()
            dated = [m for m in known if m.when.precision.has_day]
            assert len(calendar.walk("VEVENT")) == len(dated)
            saved = await page.screenshot(ARTIFACTS / "agenda-page.png")
            assert saved.read_bytes().startswith(b"\x89PNG")
            await page.goto(site.base + "/meetings/ptc-211-212")
            assert await page.evaluate("document.querySelector('h1').textContent") == (
                "Permanent Technical Committee, 211th/212th Sessions"
            )
            await page.screenshot(ARTIFACTS / "meeting-page.png")
            assert page.errors == []
    finally:
        await site.http.close()
        await site.runtime.stop()


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": (1280, 800, False), "phone": (412, 915, True)}


async def accessibility_violations(page) -> list[dict]:
    """axe-core's violations on the page (its script is run by DevTools, not by the page, so
    the page's Content-Security-Policy stays as strict as it is)."""
    if not AXE.exists():
        if os.environ.get("AGENDA_CI"):
            pytest.fail("axe-core is not installed: npm ci (.ci/run does it)")
        pytest.skip("axe-core is not installed (npm ci); CI installs it")
    await page.evaluate(AXE.read_text())
    return await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_every_page_passes_axe_light_and_dark(wco, tmp_path, viewport):
    site = await open_site(wco, tmp_path, FixedClock(NEWS_DAY))
    width, height, mobile = VIEWPORTS[viewport]
    try:
        async with browser_page(tmp_path / "profile") as page:
            await page.size(width, height, mobile=mobile)
            for scheme in ("light", "dark"):
                await page.colour_scheme(scheme)
                for path in ("/", "/meetings/ptc-211-212", "/bodies/ptc", "/topics/3d-printing"):
                    await page.goto(site.base + path)
                    assert await accessibility_violations(page) == [], (scheme, path)
                await page.goto(site.base + "/")
                background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert (luminance(background) < 0.05) is (scheme == "dark")
                await page.screenshot(ARTIFACTS / f"agenda-{viewport}-{scheme}.png")
                overflow = "document.documentElement.scrollWidth > window.innerWidth"
                assert await page.evaluate(overflow) is False  # nothing wider than the screen
            assert page.errors == []
    finally:
        await site.http.close()
        await site.runtime.stop()


async def test_the_filter_and_the_zone_picker_in_chromium(mini, tmp_path):
    from tests.conftest import MINI_DAY

    site = await open_site(mini, tmp_path, FixedClock(MINI_DAY))
    titles = "[...document.querySelectorAll('#upcoming ~ ul .title')].map(a => a.textContent)"
    try:
        async with browser_page(tmp_path / "profile") as page:
            await page.goto(site.base + "/")
            everything = await page.evaluate(titles)
            await page.submit(
                "document.querySelector('select[name=kind]').value = 'workshop';"
                "document.querySelector('form.filter').submit()"
            )
            assert await page.evaluate("location.search") == "?body=&kind=workshop&topic=&q="
            shown = await page.evaluate(titles)
            index = site.runtime.agenda.index
            from bot.core import AgendaFilter, Kind

            workshops = index.upcoming(MINI_DAY, AgendaFilter(kind=Kind.WORKSHOP), size=50)
            assert shown == [m.title for m in workshops.items] and len(shown) < len(everything)
            await page.screenshot(ARTIFACTS / "agenda-filtered.png")
            await page.goto(site.base + "/meetings/board-12")
            await page.submit(
                "document.getElementById('tz').value = 'America/New_York';"
                "document.querySelector('form.zone').submit()"
            )
            text = "document.body.innerText"
            assert "08:00–11:30 EST (New York time)" in await page.evaluate(text)
            await page.goto(site.base + "/")  # remembered: a cookie, no script
            assert "(New York time)" in await page.evaluate(text)
            await page.screenshot(ARTIFACTS / "agenda-new-york.png")
            assert page.errors == []
    finally:
        await site.http.close()
        await site.runtime.stop()
