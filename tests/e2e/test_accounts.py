"""A secretary resets a member's password on 成员账号 and is shown a one-time code; the member
logs in with it on the phone, is held on 设置新密码 until they choose a password, and then
works as before."""

import re

from playwright.sync_api import expect

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows

NEW = "湖边的柳树 grows tall"


def test_a_reset_member_chooses_a_password_before_anything_else(
    playwright_instance, server, people, units, phone, shots
):
    member = people.make(GRID_MEMBER, units.grids[0].code, name="钱网格")
    secretary = people.make(SECRETARY, units.code, name="李书记")
    desk = phone().new_page()
    flows.login_desk(desk, secretary)
    desk.goto("/people")  # 我的 → 成员账号
    desk.get_by_role("button", name=f"重置 {member.name} 的密码").click()
    desk.get_by_role("dialog").get_by_role("button", name="重置密码").click()
    shown = desk.get_by_role("dialog").filter(has_text=f"{member.name} 的一次性密码")
    expect(shown).to_be_visible()
    shots(desk, "people-reset-code")
    code = re.search(r"[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}", shown.inner_text())[0]

    page = phone().new_page()
    page.goto("/login")
    page.locator("input[name=phone]").fill(member.phone)
    page.locator("input[name=password]").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="设置新密码")).to_be_visible()
    page.goto("/tasks")  # nothing else opens until a password is chosen
    expect(page.get_by_role("heading", name="设置新密码")).to_be_visible()
    shots(page, "password-forced")

    page.locator("input[name=old_password]").fill(code)
    page.locator("input[name=new_password]").fill("qq123456")
    page.locator("input[name=again]").fill("qq123456")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("密码太简单")).to_be_visible()  # the server's policy, in words

    page.locator("input[name=new_password]").fill(NEW)
    page.locator("input[name=again]").fill(NEW)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name=f"{member.name}，您好")).to_be_visible()
    flows.tab(page, "我的")
    page.get_by_text("修改密码").click()
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
