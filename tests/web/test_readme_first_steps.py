"""The README's quick start, done as a newcomer does it: run the demo the way the README says, copy each printed
curl line and run it, get the log-in code with the printed command, log in, and open the three pages the
README names (the queue, a refused exchange, the koppelcheck of a school) in a real browser, by the links a
person would click. Screenshots go to test-artifacts/readme/.

Skipped when no Chromium is installed, unless GATEWAY_TEST_REQUIRE_BROWSER=1 (see tests/web/test_browser.py).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.demo.runner import free_port
from tests.conftest import REPO
from tests.web.browser import CHROMIUM_ARGS, require_browser

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "test-artifacts" / "readme"
SERVING = "De gateway draait op "


@dataclass(frozen=True)
class FirstSteps:
    """What the README says: the two quick-start commands and the three pages to open first."""

    commands: list[str]
    queue_path: str
    queue_menu: str
    refused_label: str
    koppelcheck_menu: str
    koppelcheck_row: str


def read_readme() -> FirstSteps:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", quick, re.S)
    assert block, "the quick start has a shell block"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]
    steps = re.findall(r"^\d\. \*\*(.+?)\*\*: (.+)$", quick, re.M)
    assert [s[0] for s in steps[:3]] == ["the queue", "a refused exchange", "the koppelcheck of a school"], steps
    queue = re.search(r"`(/\S+)` \(menu \*(.+?)\*\)", steps[0][1])
    refused = re.search(r"marked \*(.+?)\*", steps[1][1])
    koppelcheck = re.search(r"menu \*(.+?)\*, the row of `(\w+)`", steps[2][1])
    assert queue and refused and koppelcheck, steps
    return FirstSteps(commands, queue[1], queue[2], refused[1], koppelcheck[1], koppelcheck[2])


def test_the_quick_start_is_exactly_two_commands() -> None:
    steps = read_readme()
    assert steps.commands == ["bin/gateway demo", "bin/test"]


def _start_demo(command: str, cwd: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """The README's command, run from a fresh directory (so the demo's data lands there, not in the checkout)."""
    program, *args = command.split()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_PORT"] = str(port)  # 8080 may be taken on a shared machine; the demo honours GATEWAY_PORT
    proc = subprocess.Popen(
        [str(REPO / program), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 240
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith(SERVING) or time.monotonic() > deadline:
            break
    if not lines or not lines[-1].startswith(SERVING):
        proc.kill()
        raise AssertionError(
            "the demo did not start serving:\n" + "\n".join(lines) + (proc.stderr.read() if proc.stderr else "")
        )
    return proc, lines


def _shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], cwd=cwd, capture_output=True, text=True, timeout=120)


async def test_a_newcomer_follows_the_readme_from_demo_to_the_three_pages(tmp_path: Path) -> None:
    executable = require_browser()
    from playwright.async_api import async_playwright

    steps = read_readme()
    port = free_port()
    proc, out = _start_demo(steps.commands[0], tmp_path, port)
    try:
        text = "\n".join(out)
        url = out[-1][len(SERVING) :].split()[0]
        assert url == f"https://127.0.0.1:{port}"
        assert re.search(r"Test-CA .*: (\S+/ca\.pem) ", text)

        # every printed curl line works as printed (the CA with --cacert; --fail-with-body fails on an error)
        curls = [line.strip() for line in out if line.strip().startswith("curl ")]
        assert len(curls) >= 3
        for line in curls:
            assert "--cacert" in line
            done = _shell(line, tmp_path)
            assert done.returncode == 0, (line, done.stdout[-500:], done.stderr[-500:])
            assert done.stdout.strip()

        # the printed way to log in: the account line and the command that gives the code
        account = re.search(r"secretariaat\s+organisatie (\S+)\s+gebruiker (\S+)\s+wachtwoord (\S+)", text)
        assert account, text
        organisatie, gebruiker, wachtwoord = account.groups()
        command = next(line.strip() for line in out if "users totp" in line)
        assert f"users totp {organisatie} {gebruiker}" in command
        pages = re.search(r"Webpagina's: (\S+)", text)
        assert pages and pages[1].startswith(url)

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            try:
                # the demo's CA is not in this browser: the newcomer accepts the warning, as the demo says
                ctx = await browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 800})
                page = await ctx.new_page()
                await page.goto(pages[1])
                await page.fill("input[name=organisatie]", organisatie)
                await page.fill("input[name=gebruikersnaam]", gebruiker)
                await page.fill("input[name=wachtwoord]", wachtwoord)
                code = _shell(command, tmp_path)
                assert code.returncode == 0, code.stderr
                assert re.fullmatch(r"\d{6}", code.stdout.strip()), code.stdout
                await page.fill("input[name=code]", code.stdout.strip())
                await page.get_by_role("button", name="Inloggen").click()
                await page.wait_for_load_state()

                # 1. the queue, at the README's address, and in the menu by the README's name
                await page.goto(url + steps.queue_path)
                assert await page.get_by_role("link", name=steps.queue_menu).count() >= 1
                assert "wachtrij" in (await page.get_by_role("heading", level=1).inner_text()).lower()
                await page.screenshot(path=str(ARTIFACTS / "1-wachtrij.png"), full_page=True)

                # 2. a refused exchange: the row marked as refused, its number clicked; its reason shows
                row = page.get_by_role("row").filter(has_text=steps.refused_label).first
                link = row.get_by_role("link").first
                number = re.search(r"\d+", await link.inner_text())
                assert number, await row.inner_text()
                await link.click()
                await page.wait_for_load_state()
                assert number[0] in await page.get_by_role("heading", level=1).inner_text()
                reason = _printed_reason(out, int(number[0]))
                assert reason[:60] in await page.inner_text("body")
                await page.screenshot(path=str(ARTIFACTS / "2-geweigerd.png"), full_page=True)

                # 3. the koppelcheck of a school: the menu, then the school's row
                await page.get_by_role("link", name=steps.koppelcheck_menu, exact=True).first.click()
                await page.wait_for_load_state()
                row = page.get_by_role("row").filter(has_text=steps.koppelcheck_row).first
                await row.get_by_role("link").first.click()
                await page.wait_for_load_state()
                heading = await page.get_by_role("heading", level=1).inner_text()
                assert steps.koppelcheck_row in heading and "koppelcheck" in heading.lower()
                assert "mandaat" in (await page.inner_text("body")).lower()
                await page.screenshot(path=str(ARTIFACTS / "3-koppelcheck.png"), full_page=True)
                await ctx.close()
            finally:
                await browser.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            _rest, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _rest, err = proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert "De gateway is gestopt." in err


def _printed_reason(out: list[str], exchange_id: int) -> str:
    """The first reason the demo printed under exchange ``#exchange_id``."""
    for i, line in enumerate(out):
        if re.match(rf"\s+#{exchange_id}\s", line) and "GEWEIGERD" in line:
            reason = re.match(r"\s+\[[^\]]+\] (.+)$", out[i + 1])
            assert reason, out[i + 1]
            return reason[1]
    raise AssertionError(f"exchange #{exchange_id} is not among the printed refusals")
