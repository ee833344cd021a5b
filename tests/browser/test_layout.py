"""Every page fits a phone: nothing but a scrollable region is wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ORGANISER, PHONE, Site, check_page, sign_in_with_link
from tests.browser.test_organiser import next_month

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Elements sticking out past the right edge of the screen, except inside a region that scrolls
# sideways on purpose (a wide table in a scroll box): what a phone reader cannot see.
_STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const x = getComputedStyle(node).overflowX;
      if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll('*')].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !scrolls(el);
  });
  // The outermost ones name the problem; their children only repeat it.
  return out.filter((el) => !out.includes(el.parentElement))
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
                 + `${el.className ? '.' + String(el.className).split(' ')[0] : ''}: `
                 + el.textContent.trim().slice(0, 40));
}"""


def test_pages_fit_a_phone(page: Any, site: Site) -> None:
    year, month = next_month()
    sign_in_with_link(page, site, ORGANISER)
    page.set_viewport_size(PHONE)
    paths = [
        site.forum,
        f"{site.forum}/library",
        f"{site.forum}/library?q=medarbetarsamtal",
        f"{site.forum}/stats",
        f"{site.forum}/calendar",
        f"{site.forum}/book/2026",
        f"{site.forum}/cycle",
        f"{site.forum}/cycle/{year}/{month}",
        f"{site.forum}/cycle/upload",
    ]
    wide: dict[str, list[str]] = {}
    for path in paths:
        response = page.goto(site.path(path))
        assert response is not None and response.ok, path
        check_page(page)
        found = page.evaluate(_STICKING_OUT)
        if found:
            wide[path] = found
    assert wide == {}, wide
