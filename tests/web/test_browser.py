"""The board in a real browser: Debian's headless Chromium renders it and leaves screenshots."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

from storage import missions as mission_store
from storage.database import Database
from tests.conftest import ROOT
from tests.conversation import Clock
from tests.web.conftest import Visitor
from tests.web.reading import read_page
from tests.web.test_board import EXPECTED

ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
BROWSER_TIMEOUT = 120.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database", ["sqlite"], indirect=True),  # one backend is enough here
]


def find_chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.skip("Chromium not installed: apt-get install chromium (as .ci/run does)")
    return found


async def chromium(*arguments: str) -> bytes:
    """Run headless Chromium with a throwaway profile; its standard output."""
    with tempfile.TemporaryDirectory(prefix="tremplin-chromium-") as profile:
        process = await asyncio.create_subprocess_exec(
            find_chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            output, errors = await asyncio.wait_for(process.communicate(), BROWSER_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
    assert process.returncode == 0, errors.decode(errors="replace")[-2000:]
    return output


async def screenshot(url: str, name: str, size: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    await chromium(f"--window-size={size}", f"--screenshot={path}", url)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    return path


async def test_chromium_renders_the_board_and_keeps_screenshots(visitor: Visitor) -> None:
    find_chromium()
    url = str(visitor.client.make_url("/missions"))
    french = f"{url}?lang=fr"  # Chromium asks for its own locale's language otherwise
    shots = await asyncio.gather(
        screenshot(french, "board-fr.png", "1280,1600"),
        screenshot(f"{url}?lang=en", "board-en.png", "1280,1600"),
        screenshot(french, "board-phone.png", "390,1400"),
    )
    assert all(shot.stat().st_size > 20_000 for shot in shots)  # a real page, not a blank one
    page = read_page((await chromium("--dump-dom", french)).decode())
    assert page.language == "fr" and page.h1 == ["Devenez bénévole technique"]
    assert page.titles == EXPECTED


async def test_in_the_browser_a_hostile_title_stays_text(
    visitor: Visitor, database: Database, clock: Clock
) -> None:
    find_chromium()
    async with database.session() as session:
        hostile = await mission_store.create(
            session,
            {"title": "<script>document.title='pwned'</script>@room", "summary": "<b>x"},
            clock(),
        )
    dom = (await chromium("--dump-dom", str(visitor.client.make_url("/missions?lang=fr")))).decode()
    page = read_page(dom)
    assert page.loads == []
    assert f"#{hostile.id} <script>document.title='pwned'</script>@room" in [
        article.heading for article in page.articles
    ]
    assert "pwned</title>" not in dom and "<b>x" not in dom
