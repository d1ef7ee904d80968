"""Checks every console page must pass, for any browser test to call on the page it is on.

- ``untranslated_words``: on a zh-CN page, English words outside the proper nouns (and
  outside data: ``<code>``, form values, ``translate="no"``) are catalogue keys that were
  never translated.
- ``overflow``: at phone width nothing may stick out sideways; the answer names the widest
  element.
- ``topbar_lines``: how many lines the top bar takes (one on a phone).
- ``critical_a11y``: axe-core (from the pinned ``axe-playwright-python``, run in the same
  Chromium) violations of impact ``critical``.
"""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

__all__ = [
    "PROPER_NOUNS",
    "critical_a11y",
    "overflow",
    "page_problems",
    "topbar_lines",
    "untranslated_words",
]

# Names that stay in Latin letters in Chinese text.
PROPER_NOUNS = frozenset(
    {
        *("SKU", "API", "CSV", "URL", "UTC", "ID", "HTTP", "JSON", "HMAC", "ERP", "BI"),
        *("Alipay", "WeChat", "Pay", "Shopify", "DingTalk", "WeCom", "SLA", "MT940", "OMS"),
        *("camt", "Webhook", "webhook", "English", "oms", "NATS", "SMTP", "PDF", "Excel"),
    }
)
# A word people read: letters only, at least two, not an all-capitals code like TEA or ERR.
_WORD = re.compile(r"(?<![A-Za-z0-9_.@/:-])[A-Za-z][a-z]+(?![A-Za-z0-9_@/-])")
_AXE = Axe()

_VISIBLE_TEXT = """() => {
  const skip = new Set(["SCRIPT", "STYLE", "CODE", "PRE", "NOSCRIPT", "TEXTAREA", "OPTION"]);
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skip.has(el.tagName)) continue;
    if (el.closest("[translate=no], code, pre, script, style")) continue;
    parts.push(node.textContent);
  }
  document.querySelectorAll("[placeholder], [aria-label], [title]").forEach(el => {
    if (el.closest("[translate=no]")) return;
    for (const name of ["placeholder", "aria-label", "title"]) {
      if (el.getAttribute(name)) parts.push(el.getAttribute(name));
    }
  });
  return parts.join("\\n");
}"""

_WIDEST = """() => {
  const root = document.scrollingElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  let widest = null, right = root.clientWidth;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > right + 0.5) { right = box.right; widest = el; }
  }
  if (!widest) return `scrollWidth ${root.scrollWidth} > ${root.clientWidth}`;
  const name = widest.tagName.toLowerCase() + (widest.id ? "#" + widest.id : "")
    + (widest.className && typeof widest.className === "string"
       ? "." + widest.className.trim().split(/\\s+/).join(".") : "");
  return `${name} reaches ${Math.round(right)} px of ${root.clientWidth}: `
    + JSON.stringify((widest.textContent || "").trim().slice(0, 60));
}"""

_TOPBAR_LINES = """() => {
  const bar = document.querySelector("header.topbar");
  if (!bar) return 0;
  const boxes = [];
  for (const el of bar.querySelectorAll(":scope > *, :scope > .menu > *")) {
    if (el.matches("input.menu-toggle, .menu")) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0) boxes.push(box);
  }
  boxes.sort((a, b) => a.top - b.top);
  let lines = 0, bottom = -Infinity;
  for (const box of boxes) {  // a box below everything so far starts a new line
    if (box.top >= bottom - 1) { lines += 1; }
    bottom = Math.max(bottom, box.bottom);
  }
  return lines;
}"""


def untranslated_words(page: Page) -> list[str]:
    """English words a zh-CN page shows outside data and proper nouns, sorted, once each."""
    text: str = page.evaluate(_VISIBLE_TEXT)
    return sorted({w for w in _WORD.findall(text) if w not in PROPER_NOUNS})


def overflow(page: Page) -> str | None:
    """None, or what makes the page scroll sideways (the widest element)."""
    found: str | None = page.evaluate(_WIDEST)
    return found


def topbar_lines(page: Page) -> int:
    """How many lines the visible parts of the top bar occupy."""
    lines: int = page.evaluate(_TOPBAR_LINES)
    return lines


def critical_a11y(page: Page) -> list[str]:
    """axe-core's critical violations, as ``rule-id: selector, …``."""
    results = _AXE.run(page)
    return [
        f"{v['id']}: {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in results.response["violations"]
        if v.get("impact") == "critical"
    ]


def page_problems(page: Page, *, locale: str, width: int) -> list[str]:
    """Everything the checks find on the page as it is now, one line per problem."""
    problems = [f"a11y {v}" for v in critical_a11y(page)]
    if locale == "zh-CN":
        problems += [f"untranslated {w}" for w in untranslated_words(page)]
    if width <= 400:
        wide = overflow(page)
        if wide is not None:
            problems.append(f"overflow {wide}")
        if topbar_lines(page) > 1:
            problems.append(f"top bar takes {topbar_lines(page)} lines")
    return problems
