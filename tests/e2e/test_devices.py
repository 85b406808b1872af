"""A member whose phone is lost logs it out from another one (我的 → 登录设备): the lost
phone's next sync is told to log in again."""

import re

from playwright.sync_api import expect

from app.people.models import GRID_MEMBER
from tests.e2e import flows


def test_a_lost_phone_is_logged_out_from_another(phone, people, units, shots):
    member = people.make(GRID_MEMBER, units.grids[0].code, name="孙网格")
    lost, other = phone().new_page(), phone().new_page()
    flows.login(lost, member)
    flows.login(other, member)

    flows.tab(other, "我的")
    other.get_by_text("登录设备").click()
    expect(other.get_by_role("heading", name="登录设备")).to_be_visible()
    expect(other.locator(".van-tag", has_text="本机")).to_have_count(1)
    shots(other, "devices")
    other.get_by_role("button", name=re.compile("^让 .+ 退出登录$")).click()
    other.locator(".van-dialog").get_by_role("button", name="退出登录").click()
    expect(other.get_by_role("button", name=re.compile("^让 .+ 退出登录$"))).to_have_count(0)

    flows.sync_now(lost)
    expect(lost.get_by_text("登录已过期，请重新登录后继续同步").first).to_be_visible()
    other.goto("/")  # the phone that did it stays logged in
    flows.sync_now(other)
    flows.synced(other)
