"""Choosing in a type-ahead box (app/static/registry_lookup.js) as a person does: open it,
type part of the name, pick the match."""
from __future__ import annotations


def choose(actor, select_id: str, typed: str, expected: str) -> None:
    """Open the Select2 box of <select id=select_id>, type, pick the match named expected."""
    page = actor.page
    page.locator(f"select#{select_id} + .select2 .select2-selection").last.click()
    actor.typed.add(typed)
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    option = page.locator(".select2-results__option", has_text=expected)
    option.first.wait_for()
    actor.shot(f"{select_id}-matches")
    option.first.click()
