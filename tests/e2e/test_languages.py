"""The app's words, in a real Chromium: the first screen comes with its own (src/i18n.js FIRST),
the rest arrive with the next screen, and English, once chosen, opens the app again without
signal. No screen shows a message's key instead of its words."""

import re

from playwright.sync_api import expect

from app.people.models import GRID_MEMBER
from tests.e2e import flows

# Text nodes that are a whole message key (home.greeting, me.language): a message not loaded.
KEYS_SHOWN = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  const keys = []
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim()
    if (/^[a-z_]+(\\.[a-z0-9_]+)+$/.test(text)) keys.push(text)
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    for (const name of ['aria-label', 'placeholder', 'title']) {
      const text = (el.getAttribute(name) || '').trim()
      if (/^[a-z_]+(\\.[a-z0-9_]+)+$/.test(text)) keys.push(text)
    }
  }
  return keys
}"""


def no_keys_shown(page):
    assert page.evaluate(KEYS_SHOWN) == [], page.evaluate(KEYS_SHOWN)


def test_every_screen_has_its_words_and_english_opens_offline(server, people, units, phone):
    grid = units.grids[0]
    member = people.make(GRID_MEMBER, grid.code, name="王网格")
    context = phone()
    page = context.new_page()
    flows.login(page, member)
    flows.synced(page)
    flows.service_worker_ready(page)
    no_keys_shown(page)

    # No signal: the rest of the Chinese words come from the phone, with the next screen.
    context.set_offline(True)
    flows.tab(page, "我的")
    expect(page.locator(".van-cell").get_by_text("语言", exact=True)).to_be_visible()
    no_keys_shown(page)

    page.locator(".van-cell").get_by_text("语言", exact=True).click()
    page.get_by_role("button", name="English").click()
    expect(page.locator(".van-tabbar").get_by_role("tab", name=re.compile("^Home"))).to_be_visible()
    expect(page.locator(".van-cell").get_by_text("Language", exact=True)).to_be_visible()
    no_keys_shown(page)

    # Still offline, the app opened again: in English from its first screen on.
    page.goto("/")
    expect(page.get_by_role("heading", name="Hello, 王网格", exact=True)).to_be_visible()
    no_keys_shown(page)
    flows.tab(page, "Tasks")
    expect(page).to_have_url(re.compile("/tasks$"))
    no_keys_shown(page)

    # And back: Chinese again, every word of it (the first screen's and the rest).
    flows.tab(page, "Me")
    page.locator(".van-cell").get_by_text("Language", exact=True).click()
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator(".van-cell").get_by_text("语言", exact=True)).to_be_visible()
    no_keys_shown(page)
    page.goto("/")
    expect(page.get_by_role("heading", name="王网格，您好", exact=True)).to_be_visible()
    no_keys_shown(page)
