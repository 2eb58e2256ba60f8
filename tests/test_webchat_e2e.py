"""End-to-end: the web chat page in a real (headless) chromium against the real servers.

Each test is something a person would notice: the page works by keyboard alone, axe finds no
WCAG 2.1 A/AA problem, a reload keeps the conversation, text is shown as text, motion stops when
asked, nothing scrolls sideways on a phone, settings stay, the guide can be trimmed, downloaded,
printed and emailed, and speech goes from a (fake) microphone to a spoken answer without leaving
this machine. The page contract these tests rely on is in ``webchat/SPEC.md``.
"""

from __future__ import annotations

import io
import re
import uuid
import wave
from typing import Any, Callable, Iterator
from urllib.parse import urlparse

import pytest
import requests

from tests.browser import (
    WEBCHAT_PATH,
    axe,
    chromium_available,
    launch,
    screenshot_path,
    speech_args,
)
from tests.servers import MODEL

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
    pytest.mark.skipif(
        not chromium_available(), reason="needs chromium (Debian: apt-get chromium)"
    ),
]

REPLY_TIMEOUT = 20_000  # ms: one turn of the real servers, with room for a busy 2-core machine
WELCOME = "Welcome. I share general information"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# What the page's wiring can be asked about, from inside the page.
ACTIVE_ELEMENT = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: "body", id: "", text: "", group: ""};
  const group = el.closest('[role="group"]');
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.getAttribute("aria-label") || el.textContent || "").trim(),
    group: group ? group.getAttribute("aria-label") || "" : "",
  };
}"""
NO_ANIMATION_RUNNING = (
    "() => document.getAnimations().every(a => a.playState !== 'running' || a.effect === null)"
)
# Counts every sound the page starts: <audio>/Audio() and Web Audio buffers.
AUDIO_PROBE = """
window.__played = [];
(() => {
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    window.__played.push({kind: "media", src: String(this.currentSrc || this.src || "")});
    return play.apply(this, args);
  };
  if (window.AudioBufferSourceNode) {
    const start = AudioBufferSourceNode.prototype.start;
    AudioBufferSourceNode.prototype.start = function (...args) {
      window.__played.push({kind: "webaudio", seconds: this.buffer ? this.buffer.duration : 0});
      return start.apply(this, args);
    };
  }
})();
"""
# Records how the page scrolls its log (smooth or not).
SCROLL_PROBE = """
window.__scrolls = [];
(() => {
  for (const name of ["scrollTo", "scrollBy", "scrollIntoView"]) {
    const original = Element.prototype[name];
    Element.prototype[name] = function (...args) {
      const options = args[0];
      window.__scrolls.push(options && typeof options === "object" ? options.behavior || "" : "");
      return original.apply(this, args);
    };
  }
})();
"""


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright) -> Iterator[Any]:
    browser = launch(playwright)
    yield browser
    browser.close()


class Chat:
    """One person's page: the locators the tests use and the moves a person makes."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda msg: self.errors.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error"
            else None,
        )
        self.box = page.locator("#message")
        self.status = page.locator("#status")
        self.transcript = page.locator("#transcript")
        self.messages = page.locator("#transcript li.message")
        self.assistant_messages = page.locator("#transcript li.message.from-assistant")
        self.user_messages = page.locator("#transcript li.message.from-user")
        self.choices = page.get_by_role("group", name="Choices")
        self.guide_items = page.locator("#guide-list > li")
        self.guide_heading = page.locator("#guide-heading")
        self.guide_email = page.locator("#guide-email")
        self.email_status = page.locator("#email-status")
        self.email_error = page.locator("#email-error")
        self.speak = page.locator("#speak")

    # Loading

    def open(self) -> Chat:
        self.page.goto(self.url)
        self.wait_for_welcome()
        return self

    def wait_for_welcome(self) -> None:
        expect(self.assistant_messages.first).to_contain_text(WELCOME, timeout=REPLY_TIMEOUT)

    # Talking

    def new_replies(self, before: int) -> Any:
        """Messages drawn after the first ``before`` ones."""
        return self.page.locator(f"#transcript li.message:nth-child(n+{before + 1})")

    def expect_reply(self, before: int, text: str | re.Pattern | None = None) -> None:
        """Wait for a new assistant message (with ``text``, when given)."""
        replies = self.new_replies(before).and_(self.assistant_messages)
        if text is not None:
            replies = replies.filter(has_text=text)
        expect(replies.first).to_be_visible(timeout=REPLY_TIMEOUT)

    def send(self, text: str, reply: str | re.Pattern | None = None) -> None:
        """Type ``text`` into the message box, press Enter, and wait for a reply (``reply``)."""
        before = self.messages.count()
        self.box.fill(text)
        self.box.press("Enter")
        expect(self.box).to_have_value("")
        self.expect_reply(before, reply)

    def choose(self, title: str, reply: str | re.Pattern | None = None) -> None:
        before = self.messages.count()
        self.choices.last.get_by_role("button", name=title, exact=True).click()
        self.expect_reply(before, reply)

    def profile(self) -> None:
        """The whole profile in two messages, ending on the treatment options."""
        self.send("find my options", "hormone receptor-positive?")
        self.send(
            "it's ER positive and HER2 negative, I'm past menopause, never had hormone therapy, "
            "and it spread to my bones",
            "Ask me about any of these by number",
        )

    def active(self) -> dict[str, str]:
        return self.page.evaluate(ACTIVE_ELEMENT)

    def session_id(self) -> str:
        return self.page.evaluate("() => localStorage.getItem('mbc.session_id')")

    # Settings

    def open_settings(self) -> None:
        details = self.page.locator(
            "details", has=self.page.get_by_text("Display and speech settings")
        )
        if details.get_attribute("open") is None:
            self.page.get_by_text("Display and speech settings", exact=True).click()
        expect(self.page.get_by_label("Text size")).to_be_visible()

    def settle(self) -> None:
        """Wait until no CSS transition or animation is running (for screenshots and axe)."""
        self.page.wait_for_function(NO_ANIMATION_RUNNING)


@pytest.fixture
def chat(browser, assistant, request) -> Iterator[Callable[..., Chat]]:
    """Opens the page in a fresh browser context (a new person); ``chat(open=False, **options)``."""
    contexts: list[Any] = []
    chats: list[Chat] = []

    def open_chat(open: bool = True, **context_options: Any) -> Chat:
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        one = Chat(page, assistant.url + WEBCHAT_PATH)
        chats.append(one)
        return one.open() if open else one

    yield open_chat
    for number, one in enumerate(chats):
        try:
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
            one.page.screenshot(path=screenshot_path(f"{name}-{number}.png"), full_page=True)
        except Exception:  # a screenshot only helps to read a failure; never fail for it
            pass
    for context in contexts:
        context.close()


def mail_body(mail: Any) -> str:
    return "\n".join(
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in mail.walk()
        if not part.is_multipart() and part.get_content_maintype() == "text"
    )


def mails_to(catcher: Any, address: str) -> list[Any]:
    return [mail for _, rcpts, mail in list(catcher.messages) if address in rcpts]


def durations(values: str) -> list[float]:
    """A computed ``transition-duration``/``animation-duration`` list in seconds."""
    seconds = []
    for value in values.split(","):
        value = value.strip()
        if value.endswith("ms"):
            seconds.append(float(value[:-2]) / 1000)
        elif value.endswith("s"):
            seconds.append(float(value[:-1]))
    return seconds


MOTION = """(selector) => Array.from(document.querySelectorAll(selector)).map(el => {
  const style = getComputedStyle(el);
  return {
    selector,
    transition: style.transitionProperty === "none" ? "0s" : style.transitionDuration,
    animation: style.animationName === "none" ? "0s" : style.animationDuration,
  };
})"""


def motion_of(page: Any, selector: str) -> list[tuple[str, float]]:
    """(what, longest duration in seconds) for every element matching ``selector``."""
    found = []
    for style in page.evaluate(MOTION, selector):
        longest = max(durations(style["transition"]) + durations(style["animation"]) + [0.0])
        found.append(
            (
                f"{selector}: transition {style['transition']}, animation " f"{style['animation']}",
                longest,
            )
        )
    return found


# --- Tests ----------------------------------------------------------------------------------


def test_the_page_connects_and_says_so(chat):
    me = chat()
    expect(me.status).to_have_text(re.compile(r"Connected\."))
    expect(me.page).to_have_title("Treatment guide chat")
    assert me.page.locator("html").get_attribute("lang") == "en"
    viewport = me.page.locator('meta[name="viewport"]').get_attribute("content")
    assert "width=device-width" in viewport and "maximum-scale" not in viewport
    assert "user-scalable" not in viewport
    expect(me.page.get_by_role("heading", level=1)).to_have_text("Breast cancer treatment guide")
    # One welcome, not two, and the session id is kept on this device.
    expect(me.assistant_messages.filter(has_text=WELCOME)).to_have_count(1)
    play = me.assistant_messages.first.get_by_role("button", name="Play this message")
    expect(play).to_have_text("Play")
    assert me.session_id()
    assert not me.errors, me.errors


def tab_until(chat: Chat, wanted: Callable[[dict[str, str]], bool], key: str, limit: int = 40):
    """Press ``key`` (Tab or Shift+Tab) until the focused element is ``wanted``."""
    seen = []
    for _ in range(limit):
        chat.page.keyboard.press(key)
        now = chat.active()
        seen.append(now)
        if wanted(now):
            return now
    raise AssertionError(f"{key} never reached it; focus went through {seen}")


def page_label(chat: Chat) -> str:
    """The accessible name of the focused form control, from its <label>."""
    return chat.page.evaluate(
        """() => {
          const el = document.activeElement;
          const labels = el && el.labels ? Array.from(el.labels) : [];
          const text = labels.map(l => l.textContent.trim()).join(" ");
          return text || el.getAttribute("aria-label") || "";
        }"""
    )


def test_keyboard_only_from_greeting_to_an_emailed_guide(chat, smtp):
    _, catcher = smtp
    me = chat()
    keyboard = me.page.keyboard
    address = f"keys-{uuid.uuid4().hex[:8]}@example.org"

    # The first Tab reaches the skip link; Enter on it puts focus in the message box.
    keyboard.press("Tab")
    first = me.active()
    assert first["tag"] == "a" and "Skip to the message box" in first["text"], first
    keyboard.press("Enter")
    expect(me.box).to_be_focused()

    def typed(text: str, reply: str) -> None:
        before = me.messages.count()
        keyboard.type(text)
        keyboard.press("Enter")
        expect(me.box).to_have_value("")
        expect(me.box).to_be_focused()
        me.expect_reply(before, reply)
        # The reply came in; focus did not move.
        assert me.active()["id"] == "message", me.active()

    def by_choice(title: str, key: str, reply: str) -> None:
        before = me.messages.count()

        def is_choice(el: dict[str, str]) -> bool:
            return el["group"] == "Choices" and el["text"] == title

        try:
            tab_until(me, is_choice, "Shift+Tab", limit=15)
        except AssertionError:
            me.box.focus()  # not behind the box: then it comes after it
            tab_until(me, is_choice, "Tab")
        keyboard.press(key)
        expect(me.box).to_be_focused()
        me.expect_reply(before, reply)
        assert me.active()["id"] == "message", me.active()
        # The person's message shows the choice's title, not its payload.
        expect(me.user_messages.last).to_contain_text(title)
        expect(me.user_messages.last).not_to_contain_text("/")

    typed("hi", "Shall we start?")
    typed("find my options", "hormone receptor-positive?")
    typed("yes", "HER2-positive?")
    by_choice("No", "Enter", "Have you been through menopause?")
    by_choice("Yes", "Space", "hormone therapy before")
    typed("no", "Where has the cancer spread?")
    typed("it spread to my bones", "Ask me about any of these by number")
    expect(me.transcript).to_contain_text("1. Hormone therapy")
    expect(me.transcript).to_contain_text("aromatase inhibitors")
    # Only the newest assistant message has choices.
    expect(me.choices).to_have_count(1)

    typed("save the hormone therapy questions", "questions about hormone therapy")
    expect(me.guide_items).to_have_count(8)
    expect(me.page.locator("#guide-list")).to_contain_text(
        "Which hormone therapy do you suggest for me, and why?"
    )

    # Tab forward to the guide's email field, type the address, press Enter.
    tab_until(me, lambda el: el["id"] == "guide-email", "Tab")
    keyboard.type(address)
    keyboard.press("Enter")
    expect(me.email_status).to_contain_text("Sent", timeout=REPLY_TIMEOUT)
    expect(me.user_messages.last).to_contain_text(f"Email my guide to {address}")
    for _ in range(100):  # the SMTP catcher is shared with other tests: wait for this address
        if mails_to(catcher, address):
            break
        catcher.wait_for(len(catcher.messages) + 1, timeout=0.2)
    sent = mails_to(catcher, address)
    assert len(sent) == 1, f"one email to {address}, got {len(sent)}"
    body = mail_body(sent[0])
    assert "Which hormone therapy do you suggest for me, and why?" in body
    assert not me.errors, me.errors


def test_axe_finds_no_wcag_problem(chat):
    me = chat()
    me.settle()
    report = axe(me.page)
    assert report.count == 0, f"first page:\n{report}"

    me.send("save the hormone therapy questions", "questions about hormone therapy")
    me.send("hi", "Shall we start?")
    expect(me.choices).to_have_count(1)
    expect(me.guide_items).to_have_count(8)
    me.settle()
    report = axe(me.page)
    assert report.count == 0, f"after a conversation with choices and a guide:\n{report}"

    me.open_settings()
    me.page.get_by_label("High contrast").check()
    expect(me.page.locator("html")).to_have_attribute("data-theme", "contrast")
    me.settle()
    report = axe(me.page)
    assert report.count == 0, f"high contrast, settings open:\n{report}"

    me.page.get_by_label("High contrast").uncheck()
    me.page.emulate_media(color_scheme="dark")
    me.settle()
    report = axe(me.page)
    assert report.count == 0, f"dark colour scheme:\n{report}"


def test_a_reload_keeps_the_conversation(chat):
    me = chat()
    me.send("save the hormone therapy questions", "questions about hormone therapy")
    me.send("find my options", "hormone receptor-positive?")
    me.choose("Yes", "HER2-positive?")
    session = me.session_id()

    me.page.reload()
    expect(me.transcript).to_contain_text("Got it: hormone receptor-positive.")
    expect(me.transcript).to_contain_text("find my options")
    expect(me.guide_items).to_have_count(8)
    # The payload the choice sent is shown as its title again; no second welcome.
    expect(
        me.user_messages.filter(has_text=re.compile(r"^\s*(You said:)?\s*Yes\s*$"))
    ).to_have_count(1)
    expect(me.transcript).not_to_contain_text("/affirm")
    expect(me.transcript).not_to_contain_text("/session_start")
    expect(me.assistant_messages.filter(has_text=WELCOME)).to_have_count(1)
    expect(me.status).to_have_text(re.compile(r"Connected\."))
    assert me.session_id() == session

    # The next message continues the same profile: HER2 is the question it was on.
    me.send("no", "Have you been through menopause?")
    expect(me.transcript).to_contain_text("Got it: HER2-negative.")


def test_delete_my_conversation_asks_then_clears_the_screen_and_the_server(chat, assistant):
    me = chat()
    me.send("save the hormone therapy questions", "questions about hormone therapy")
    expect(me.guide_items).to_have_count(8)
    old_session = me.session_id()

    before = me.messages.count()
    me.page.get_by_role("button", name="Delete my conversation").click()
    me.expect_reply(before, "Delete everything from this conversation?")
    expect(me.transcript).to_contain_text("Delete what I told you")
    # "No" keeps it all.
    me.choose("No, keep it", "I kept everything")
    expect(me.guide_items).to_have_count(8)

    me.page.get_by_role("button", name="Delete my conversation").click()
    me.choices.last.get_by_role("button", name="Yes, delete it all", exact=True).click()
    expect(me.status).to_contain_text("Your conversation was deleted", timeout=REPLY_TIMEOUT)
    expect(me.transcript).to_contain_text("I deleted this conversation")
    expect(me.transcript).not_to_contain_text("hormone therapy")
    expect(me.guide_items).to_have_count(0)
    # A new conversation has begun, after the confirmation kept on screen.
    expect(me.assistant_messages.filter(has_text=WELCOME)).to_have_count(1, timeout=REPLY_TIMEOUT)
    expect(me.assistant_messages.first).to_contain_text("I deleted this conversation")
    assert me.session_id() not in (None, old_session)

    # Gone from the server too, not just from this screen.
    kept = requests.get(
        f"{assistant.url}{WEBCHAT_PATH}conversation", params={"session_id": old_session}, timeout=10
    )
    assert kept.status_code == 200
    assert kept.json()["messages"] == []
    assert me.errors == []


def test_messages_and_guide_show_text_as_text(chat):
    me = chat()
    attack = '<img src=x onerror="window.__xss=1">'
    me.send(attack)
    expect(me.user_messages.last).to_contain_text(attack)
    expect(me.transcript.locator("img")).to_have_count(0)

    me.send("add a question: <b>bold</b>?", "Added:")
    expect(me.guide_items.last).to_contain_text("<b>bold</b>?")
    expect(me.page.locator("#guide-list b")).to_have_count(0)
    expect(me.transcript.locator("b")).to_have_count(0)
    expect(me.assistant_messages.last).to_contain_text("Added: <b>bold</b>?")
    assert me.page.evaluate("() => window.__xss") is None

    # And after a reload, drawn from the stored conversation.
    me.page.reload()
    expect(me.user_messages.filter(has_text=attack)).to_have_count(1)
    expect(me.guide_items.last).to_contain_text("<b>bold</b>?")
    expect(me.page.locator("#transcript img, #transcript b, #guide-list b")).to_have_count(0)
    assert me.page.evaluate("() => window.__xss") is None


def test_reduced_motion_stops_animations(chat):
    watched = ["#transcript li.message", "#speak"]

    moving = chat(open=False)
    moving.page.add_init_script(SCROLL_PROBE)
    moving.open()
    moving.send("hi", "Shall we start?")
    animated = [m for s in watched + ["*"] for m in motion_of(moving.page, s) if m[1] > 0]
    assert animated, "without reduced motion nothing animates, so this test could not fail"

    still = chat(open=False)
    still.page.emulate_media(reduced_motion="reduce")
    still.page.add_init_script(SCROLL_PROBE)
    still.open()
    still.send("hi", "Shall we start?")
    moves = [m for s in watched + ["*"] for m in motion_of(still.page, s) if m[1] > 0.01]
    assert not moves, f"with reduced motion these still move: {moves}"
    assert still.messages.count() >= 2
    smooth = [b for b in still.page.evaluate("() => window.__scrolls") if b == "smooth"]
    assert not smooth, "the log scrolls smoothly although reduced motion was asked for"


LONG_WORD = "https://example.org/" + "a-very-long-address-without-spaces-" * 4


def test_no_sideways_scrolling_at_320_pixels(chat):
    me = chat(viewport={"width": 320, "height": 640})
    me.profile()
    me.send(LONG_WORD)
    me.send("hi", "Shall we start?")
    me.settle()

    def no_sideways(when: str) -> None:
        width = me.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"{when}: the page is {width} px wide at a 320 px viewport"

    no_sideways("at 100% text")
    me.page.screenshot(path=screenshot_path("webchat-320.png"), full_page=True)

    me.open_settings()
    me.page.get_by_label("Text size").select_option(label="200%")
    me.settle()
    font = me.page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert font >= 31, f"the 200% text size gives a {font} px root font"
    no_sideways("at 200% text")
    me.page.screenshot(path=screenshot_path("webchat-320-text-200.png"), full_page=True)


def test_settings_are_kept_after_a_reload(chat):
    me = chat()
    page = me.page
    keyboard = page.keyboard
    html = page.locator("html")
    size = page.get_by_label("Text size")
    speed = page.get_by_label("Speech speed")
    contrast = page.get_by_label("High contrast")
    normal_font = page.evaluate(
        "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    )

    # Keyboard only: Tab to the settings' summary, open it, change each setting.
    tab_until(me, lambda el: el["tag"] == "summary", "Tab")
    keyboard.press("Enter")
    expect(size).to_be_visible()
    tab_until(me, lambda el: el["tag"] == "select" and "Text size" in page_label(me), "Tab")
    keyboard.press("ArrowDown")  # 100% -> 125%
    expect(size).to_have_value(re.compile(r"125"))
    tab_until(me, lambda el: el["tag"] == "select" and "Speech speed" in page_label(me), "Tab")
    keyboard.press("ArrowDown")  # Normal -> Faster
    expect(speed).to_have_value(re.compile(r"120"))
    tab_until(me, lambda el: "High contrast" in page_label(me), "Tab")
    keyboard.press("Space")
    expect(contrast).to_be_checked()
    expect(html).to_have_attribute("data-theme", "contrast")
    large_font = page.evaluate(
        "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    )
    assert abs(large_font - normal_font * 1.25) < 0.5, (normal_font, large_font)

    page.reload()
    me.wait_for_welcome()
    expect(html).to_have_attribute("data-theme", "contrast")
    me.open_settings()
    expect(size).to_have_value(re.compile(r"125"))
    expect(speed).to_have_value(re.compile(r"120"))
    expect(contrast).to_be_checked()
    kept_font = page.evaluate(
        "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    )
    assert abs(kept_font - large_font) < 0.5, (large_font, kept_font)


def test_guide_remove_download_and_print(chat, tmp_path):
    me = chat()
    first = "Can I still travel during treatment?"
    second = "Will I lose my hair?"
    me.send("add a question: can I still travel during treatment?", "Added:")
    me.send("add a question: will I lose my hair?", "Added:")
    expect(me.guide_items).to_have_count(2)

    # Download: a .txt of the questions with where the information comes from.
    with me.page.expect_download() as download_info:
        me.page.get_by_role("button", name="Download guide").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".txt"), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert first in text and second in text, text
    assert "Where this information comes from" in text, text

    # Print: only the guide.
    me.page.emulate_media(media="print")
    expect(me.transcript).to_be_hidden()
    expect(me.box).to_be_hidden()
    expect(me.guide_heading).to_be_visible()
    expect(me.guide_items.first).to_be_visible()
    expect(me.page.get_by_text("Where this information comes from")).to_be_visible()
    expect(me.speak).to_be_hidden()
    expect(me.page.get_by_role("button", name="New conversation")).to_be_hidden()
    me.page.emulate_media(media="screen")
    expect(me.transcript).to_be_visible()

    # Remove the first: it goes, the assistant says so, focus moves to the next Remove button.
    before = me.messages.count()
    me.page.get_by_role("button", name=re.compile(r"^Remove question 1\b")).click()
    me.expect_reply(before, "Removed:")
    expect(me.user_messages.last).to_contain_text(f"Remove from my guide: {first}")
    expect(me.guide_items).to_have_count(1)
    expect(me.page.locator("#guide-list")).not_to_contain_text(first)
    remaining = me.page.get_by_role("button", name=re.compile(r"^Remove question 1\b"))
    expect(remaining).to_be_focused()

    # Remove the last one by keyboard: focus goes to the guide heading, the empty state shows.
    before = me.messages.count()
    me.page.keyboard.press("Enter")
    me.expect_reply(before, "Removed:")
    expect(me.guide_items).to_have_count(0)
    expect(me.guide_heading).to_be_focused()
    expect(me.page.get_by_text("No questions yet.", exact=False)).to_be_visible()


def test_a_bad_email_address_is_caught_on_the_page(chat, smtp):
    _, catcher = smtp
    me = chat()
    me.send("add a question: can I still travel during treatment?", "Added:")
    sent_before = len(catcher.messages)

    for bad in ("not-an-email", "sam rivera@example.org"):
        me.guide_email.fill(bad)
        me.guide_email.press("Enter")
        expect(me.guide_email).to_have_attribute("aria-invalid", "true")
        expect(me.email_error).to_be_visible()
        expect(me.email_error).not_to_have_text("")
        described = me.guide_email.get_attribute("aria-describedby") or ""
        assert "email-error" in described.split(), described
        expect(me.guide_email).to_be_focused()

    # A turn after the attempts: had the page sent anything, it would have gone first.
    me.send("read my guide", "Your guide has 1 question")
    expect(me.transcript).not_to_contain_text("Email my guide to")
    assert len(catcher.messages) == sent_before


def padded_speech(text: str, before: float = 1.0, after: float = 2.5) -> tuple[bytes, float]:
    """``text`` said by the Piper voice, with silence around it; and the clip's length."""
    from tests.speech_audio import said

    with wave.open(io.BytesIO(said(text)), "rb") as source:
        rate, width, channels = source.getframerate(), source.getsampwidth(), source.getnchannels()
        speech = source.readframes(source.getnframes())
    frame = width * channels
    silence_before = b"\0" * (int(before * rate) * frame)
    silence_after = b"\0" * (int(after * rate) * frame)
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(channels)
        target.setsampwidth(width)
        target.setframerate(rate)
        target.writeframes(silence_before + speech + silence_after)
    seconds = (len(silence_before) + len(speech) + len(silence_after)) / frame / rate
    return out.getvalue(), seconds


def test_speech_from_microphone_to_spoken_answer_stays_local(playwright, assistant, tmp_path):
    clip, seconds = padded_speech("what is tamoxifen")
    microphone = tmp_path / "microphone.wav"
    microphone.write_bytes(clip)
    browser = launch(playwright, speech_args(microphone))
    try:
        context = browser.new_context(permissions=["microphone"])
        page = context.new_page()
        urls: list[str] = []
        page.on("request", lambda request: urls.append(request.url))
        page.add_init_script(AUDIO_PROBE)
        me = Chat(page, assistant.url + WEBCHAT_PATH).open()
        expect(me.status).to_have_text(re.compile(r"Connected\."))
        expect(me.speak).to_have_attribute("aria-pressed", "false")
        expect(me.speak).to_have_text(re.compile(r"^\s*Speak\s*$"))

        before = me.messages.count()
        me.speak.click()
        expect(me.speak).to_have_attribute("aria-pressed", "true")
        expect(me.speak).to_contain_text("Stop and send")
        expect(me.status).to_contain_text("Listening")
        # The fake microphone plays the clip once; after the speech 1.5 s of quiet sends it.
        try:
            expect(me.speak).to_have_attribute(
                "aria-pressed", "false", timeout=int((seconds + 3) * 1000)
            )
            stopped_by_quiet = True
        except AssertionError:
            stopped_by_quiet = False
            me.speak.click()  # stop and send by hand, so the rest can still be checked

        heard = me.new_replies(before).and_(me.user_messages)
        expect(heard.filter(has_text=re.compile("tamoxifen", re.I)).first).to_be_visible(
            timeout=60_000
        )
        expect(
            me.new_replies(before).and_(me.assistant_messages).filter(has_text="estrogen").first
        ).to_be_visible(timeout=REPLY_TIMEOUT)
        page.wait_for_function("() => window.__played.length > 0", timeout=REPLY_TIMEOUT)
        expect(me.speak).to_have_attribute("aria-pressed", "false")
        expect(me.speak).to_have_text(re.compile(r"^\s*Speak\s*$"))
        page.screenshot(path=screenshot_path("webchat-speech.png"), full_page=True)
        assert stopped_by_quiet, "1.5 s of quiet after the speech did not stop and send"
        assert not me.errors, me.errors
        elsewhere = [
            url
            for url in urls
            if urlparse(url).scheme not in ("blob", "data")
            and urlparse(url).hostname not in LOCAL_HOSTS
        ]
        assert not elsewhere, f"the page called other hosts: {elsewhere}"
        context.close()
    finally:
        browser.close()
