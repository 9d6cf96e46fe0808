"""The browser side of the journeys: Debian's Chromium driven by Playwright, one browser context
(its own cookies) per person, signed in through the real sign-in pages.

Every page a person reaches is watched: an error status (500 and up, or a 403/404 the journey
did not expect) or a Content-Security-Policy refusal is collected, and each page is checked with
axe-core for WCAG 2.2 A and AA. The `people` fixture fails the test on any of them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect
except ImportError:  # tests/e2e/conftest.py skips every browser test, saying what is missing
    Axe = expect = None

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never a browser downloaded by `playwright install`.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
INSTALL_HINT = "`make e2e` installs what is missing (Chromium only when run as root)"

# axe-core's tags for WCAG 2.0, 2.1 and 2.2, levels A and AA (axe has no wcag22a tag).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

PASSWORD_FIELD = "Password"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if Axe is None:
        return (
            "the Python packages playwright and axe-playwright-python are not installed "
            f"(requirements-e2e.txt): {INSTALL_HINT}"
        )
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return f"Chromium is not installed at {CHROMIUM} (Debian package chromium): {INSTALL_HINT}"
    return None


def launch(playwright) -> Browser:
    executable = CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium"))
    # Date and time fields show day/month/year and a 24-hour clock, as a school in England sees
    # them (Chromium on Linux takes its language from LANGUAGE; Debian's chromium-l10n has it).
    env = dict(os.environ, LANGUAGE="en_GB")
    return playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, env=env)


# What tells one state of a page from another: its headings and messages, by kind and text.
_LANDMARKS = """() => [...document.querySelectorAll("h1, h2, h3, [role=alert], [role=status]")]
  .map(e => e.tagName + ":" + e.textContent.replace(/\\d+/g, "N").trim().slice(0, 60)).join("|")"""


class Person:
    """One member of staff at their own browser: a context of their own, signed in once."""

    def __init__(
        self, browser: Browser, base_url: str, staff, *, password: str, elsewhere: str = ""
    ):
        self.staff = staff
        self.base_url = base_url
        self.password = password
        # Another site the journey visits on purpose (the identity provider's sign-in page).
        self.elsewhere = elsewhere
        # The app's real Content-Security-Policy stays on (no bypass_csp): the journeys prove the
        # pages work without any script. axe still runs, because Playwright's page.evaluate goes
        # through the DevTools protocol, which a page's CSP does not govern.
        # Reduced motion: Bootstrap then draws focus rings at once rather than fading them in,
        # so what is on screen is settled when it is checked or photographed.
        self.context = browser.new_context(
            base_url=base_url,
            viewport=DESKTOP,
            locale="en-GB",
            timezone_id="Europe/London",
            reduced_motion="reduce",
        )
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.checked: set[str] = set()
        self._expected: list[tuple[int, str]] = []
        self.page.on("response", self._response)
        self.page.on("console", self._console)

    # --- What is watched on every page ----------------------------------------------------------

    def _response(self, response) -> None:
        status, url = response.status, response.url
        if url.startswith("data:"):
            return
        if self.elsewhere and url.startswith(self.elsewhere):
            return
        if not url.startswith(self.base_url):
            self.problems.append(f"request left the app: {url}")
            return
        path = url[len(self.base_url) :]
        if status >= 500:
            self.problems.append(f"{status} error page at {path}")
        elif status in (403, 404):
            for wanted in self._expected:
                if wanted == (status, path.split("?")[0]):
                    self._expected.remove(wanted)
                    return
            self.problems.append(f"unexpected {status} at {path}")

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.problems.append(f"CSP refused something on {self.page.url}: {message.text}")

    @contextlib.contextmanager
    def expecting(self, status: int, path: str):
        """A 403 or 404 this step of the journey must produce, at exactly this path."""
        self._expected.append((status, path))
        yield
        if (status, path) in self._expected:
            self._expected.remove((status, path))
            raise AssertionError(f"expected a {status} at {path}, and there was none")

    # --- Moving about ---------------------------------------------------------------------------

    def open(self, path: str) -> Page:
        """Go to a page by its address (as after following a link in an email)."""
        self.page.goto(path)
        self.arrived()
        return self.page

    def click(self, target: Locator | str, *, role: str = "button") -> Page:
        """Press a link or button that leads to another page, and wait for that page."""
        locator = self.page.get_by_role(role, name=target) if isinstance(target, str) else target
        with self.page.expect_navigation():
            locator.click()
        self.arrived()
        return self.page

    def follow(self, name: str, *, exact: bool = False) -> Page:
        return self.click(self.page.get_by_role("link", name=name, exact=exact).first)

    def arrived(self) -> None:
        """Each new page of the app: the axe check (once per kind of page)."""
        if self.page.url.startswith(self.base_url):
            self.check_accessibility()

    def sees(self, *texts: str, within: str = "main") -> None:
        """The words are on the page as a person reads it (waits for them while the page loads)."""
        region = self.page.locator(within)
        for words in texts:
            expect(region).to_contain_text(words)

    def does_not_see(self, *texts: str, within: str = "main") -> None:
        region = self.page.locator(within)
        for words in texts:
            expect(region).not_to_contain_text(words)

    def field(self, label: str) -> Locator:
        """The form field with exactly this label (a required field's label ends in *)."""
        return self.page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))

    def find_pupil(self, name: str) -> None:
        """The pupil picker: type the name, press Find, and tick (or choose) the pupil found."""
        self.field("Find a pupil by name").fill(name)
        self.click(self.page.get_by_role("button", name="Find", exact=True))
        self.sees(f"matches “{name}”")
        assert "#div_id_pupil" in self.page.url, "the page did not come back at the picker"
        self.page.get_by_label(re.compile(rf"^\s*{re.escape(name)} \(")).check()

    # --- Signing in -----------------------------------------------------------------------------

    def sign_in(self, *, device=None) -> None:
        """The sign-in page, then the authenticator code where this person has one."""
        page = self.page
        self.open("/login/")
        page.get_by_label("Email address").fill(self.staff.email)
        page.get_by_label(PASSWORD_FIELD, exact=True).fill(self.password)
        # Exactly: the single sign-on buttons below are "Sign in with …".
        self.click(page.get_by_role("button", name="Sign in", exact=True))
        if device is not None:
            assert "/account/two-factor/verify/" in page.url, page.url
            self.sees("Code")
            page.locator("input[name=token]").fill(current_code(device))
            self.click("Verify")
        assert "/login/" not in page.url, f"{self.staff.email} was not signed in: {page.url}"
        assert "/two-factor/" not in page.url, f"{self.staff.email} was held at {page.url}"

    # --- Accessibility and screenshots ----------------------------------------------------------

    def check_accessibility(self) -> None:
        """axe-core on the page as it is now: WCAG 2.2 A and AA, no rule switched off.

        A page is checked again whenever it shows something new (another heading, message or
        form section), but a journey that comes back to a page as it was does not pay again.
        """
        path = re.sub(r"/\d+/", "/N/", self.page.url.split("?")[0])
        kind = path + self.page.evaluate(_LANDMARKS)
        if kind in self.checked:
            return
        self.checked.add(kind)
        results = Axe().run(
            self.page,
            options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
        )
        for violation in results.response["violations"]:
            nodes = "; ".join(
                f"{' '.join(node['target'])}: {node.get('failureSummary', '').strip()}"
                for node in violation["nodes"][:5]
            )
            self.problems.append(
                f"axe {violation['id']} ({violation['impact']}) on {self.page.url}: "
                f"{violation['help']}. {nodes}"
            )

    def screenshot(self, name: str) -> None:
        """The whole page at a desktop and at a phone width, for README.md and for looking at."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page = self.page
        try:
            for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(size)
                page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
        finally:
            page.set_viewport_size(DESKTOP)

    def close(self) -> None:
        self.context.close()


def current_code(device) -> str:
    """The six digits an authenticator app would show now for this device."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


# Debian's chromium-l10n has the British English language pack: with it, date fields take the
# day first and time fields a 24-hour clock; without it, Chromium's American defaults apply.
BRITISH_FIELDS = Path("/usr/lib/chromium/locales/en-GB.pak").exists()

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  const name = label || el.getAttribute("aria-label") || el.innerText || el.value || "";
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadowed = style.boxShadow && style.boxShadow !== "none";
  // Past the last part of a date or time field, Tab reaches its calendar or clock button, inside
  // the field: the field itself no longer matches :focus and Chromium rings the button itself.
  const pickerButton = ["date", "time"].includes(el.type) && !el.matches(":focus");
  return {
    name: name.replace(/\\s+/g, " ").replace(/\\s*\\*$/, "").trim(),
    tag: el.tagName.toLowerCase(),
    inMain: !!el.closest("main"),
    visible: outlined || shadowed || pickerButton,
  };
}"""


class KeyboardOnly:
    """Someone who cannot use a mouse: Tab to move, Enter, Space and arrows to act, typing.

    Every element Tab lands on must show where the focus is (WCAG 2.4.7).
    """

    def __init__(self, person: Person):
        self.person = person
        self.page = person.page

    def focused(self) -> dict | None:
        return self.page.evaluate(_FOCUSED)

    def tab(self) -> dict | None:
        """One press of Tab: what has the focus now (None once past the end of the page)."""
        self.page.keyboard.press("Tab")
        here = self.focused()
        if here is not None:
            assert here["visible"], (
                f"{here['name']!r} has no visible focus on {self.page.url}: {here}"
            )
        return here

    def tab_to(self, name: str, *, limit: int = 80) -> dict:
        """Press Tab until the control with this label or text has the focus (going round the
        page once at most, as someone would from wherever the focus is)."""
        seen, wrapped = [], 0
        for _ in range(limit):
            here = self.tab()
            if here is None:
                wrapped += 1
                if wrapped > 1:
                    break
                continue
            if here["name"] == name:
                return here
            seen.append(here["name"])
        raise AssertionError(f"{name!r} cannot be reached with Tab on {self.page.url}: {seen}")

    def activate(self, name: str) -> None:
        """Tab to a link or button and press Enter; the next page arrives."""
        self.tab_to(name)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.person.arrived()

    def type_into(self, name: str, text: str) -> None:
        self.tab_to(name)
        self.page.keyboard.type(text)

    def choose(self, name: str, option: str, *, limit: int = 40) -> None:
        """A drop-down or list: the arrow keys move through the options until the one wanted
        is chosen (typing would open a drop-down at the first space)."""
        self.tab_to(name)
        chosen = "() => [...document.activeElement.selectedOptions].map(o => o.text).join()"
        for _ in range(limit):
            if self.page.evaluate(chosen).startswith(option):
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{option!r} is not among the choices of {name!r}")

    def find_pupil(self, name: str) -> None:
        """The pupil picker: type the name and press Enter (the form's first button is Find),
        then Tab to the pupil found and tick it with Space."""
        self.type_into("Find a pupil by name", name)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.person.arrived()
        self.person.sees(f"matches “{name}”")
        assert "#div_id_pupil" in self.page.url, "Enter did not press Find"
        label = self.page.get_by_label(re.compile(rf"^\s*{re.escape(name)} \("))
        self.tab_to(label.evaluate("e => e.labels[0].textContent.trim()"))
        self.page.keyboard.press("Space")
        assert label.is_checked(), f"{name} was not ticked"

    def radio(self, checked: str, wanted: str, *, limit: int = 10) -> None:
        """Tab reaches a radio group at its ticked choice; the arrow keys move the tick."""
        self.tab_to(checked)
        for _ in range(limit):
            if self.focused()["name"] == wanted:
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{wanted!r} is not in the group of {checked!r}")

    def date(self, name: str, day) -> None:
        self.tab_to(name)
        order = "%d%m%Y" if BRITISH_FIELDS else "%m%d%Y"
        self.page.keyboard.type(day.strftime(order))

    def time(self, name: str, hour: int, minute: int) -> None:
        self.tab_to(name)
        if BRITISH_FIELDS:
            self.page.keyboard.type(f"{hour:02d}{minute:02d}")
        else:
            self.page.keyboard.type(
                f"{(hour - 1) % 12 + 1:02d}{minute:02d}{'P' if hour >= 12 else 'A'}"
            )
