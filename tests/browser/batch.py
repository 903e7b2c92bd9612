"""Running a batch action (app/applications/batch_actions.py) as a person does: tick rows,
open the action menu, choose, answer FAB's confirmation dialog, read each row's outcome."""
from __future__ import annotations

# The batches without a page of their own: FAB's dialog asks first.
CONFIRMED_IN_A_DIALOG = ("batch_accept", "batch_approve")


def tick(actor, ids) -> None:
    for pk in ids:
        actor.page.check(f"input.action_check[value='{pk}']")


def open_menu(actor):
    menu = actor.page.locator(".well .btn-group button.dropdown-toggle").first
    if not actor.page.locator(".well .btn-group.open").count():
        menu.click()


def choose_action(actor, action: str):
    """The action from the menu; one without a page of its own (批量受理, 批量准予注册)
    asks first in the confirmation dialog, which is answered 确定."""
    open_menu(actor)
    with actor.page.expect_navigation():
        actor.page.click(f"a.{action}_menu_item")
        dialog = actor.page.locator("#modal-confirm")
        if action in CONFIRMED_IN_A_DIALOG:
            dialog.wait_for(state="visible")
            assert "确定对已勾选的每件申请执行" in dialog.inner_text()
            actor.page.click("#modal-confirm-ok")


def outcomes(actor) -> dict[int, bool]:
    """The result page's rows: application id → done."""
    actor.page.wait_for_selector("table.batch-outcomes")
    rows = actor.page.locator("table.batch-outcomes tr[data-id]")
    return {int(rows.nth(i).get_attribute("data-id")): rows.nth(i).get_attribute("data-done") == "1"
            for i in range(rows.count())}
