"""`make audit`: the PWA's budgets, measured on the built app served by the real server.

- Initial JavaScript: the scripts index.html loads and preloads (the first screen's code),
  gzipped; budget 120 KB. The residents' page (resident.html, 随手拍) alike: budget 120 KB.
- Lighthouse 12 (pwa/node_modules; median of 5 runs; mobile settings: a Moto G Power screen,
  simulated slow 4G and a 4x CPU slowdown) in Debian's Chromium on the member's home and report
  screens, with the demo district and some open work in the member's grid; then home again
  under a level II (orange) emergency over that grid, its banner showing; then home and report
  in 大字模式 (large text), the banner still showing. Budgets performance >= 95 on home and
  report, >= 90 on the others, accessibility >= 95 on every screen (a loaded machine misses
  performance: measure on a quiet one). The member is logged in first, as in the field: the app
  installed (service worker) and the data synced to the phone; Lighthouse keeps that storage
  (--disable-storage-reset).

The database is E2E_DATABASE_URL (wiped) or a temporary SQLite file. Writes artifacts/audit.json
and artifacts/lighthouse-<screen>.report.{json,html}; exits 1 when a budget is missed.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.flows import CONTROLLED
from tests.e2e.server import DIST, ROOT, Server, free_port, make_app, wipe

ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "artifacts"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LIGHTHOUSE = ROOT / "pwa" / "node_modules" / "lighthouse" / "cli" / "index.js"
BUDGET_JS_KB = 120
BUDGET_RESIDENT_JS_KB = 120
BUDGET_PERFORMANCE = 90
# The member's two screens of every day are held to more (issue 17): on a quiet machine
# (2 Dec 2026, load 1-2) home scored 98 and report 100.
BUDGET_PERFORMANCE_OF = {"home": 95, "report": 95}
BUDGET_ACCESSIBILITY = 95
SCREENS = {"home": "/", "report": "/report", "resident": "/resident.html"}
# Audited again once a level II emergency covers the member's grid (its banner on every screen),
# and then in 大字模式 as well.
EMERGENCY_SCREENS = {"home-emergency": "/"}
LARGE_TEXT_SCREENS = {"home-large": "/", "report-large": "/report"}


def initial_js(page="index.html"):
    """[(file, raw bytes, gzipped bytes)] of the scripts the page's first load needs."""
    html = (DIST / page).read_text()
    paths = re.findall(r'<script[^>]+src="([^"]+\.js)"', html)
    paths += re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"', html)
    paths += re.findall(r'<link[^>]+href="([^"]+\.js)"[^>]+rel="modulepreload"', html)
    out = []
    for path in dict.fromkeys(paths):
        data = (DIST / path.lstrip("/")).read_bytes()
        out.append((path, len(data), len(gzip.compress(data, compresslevel=9))))
    return out


def demo(url, instance, members):
    """The demo district and its people, and some open work in the first grid member's grid:
    returns (grid member login, secretary login, street admin login, grid code, point)."""
    from app import demo as app_demo
    from app.extensions import db
    from app.units.models import Unit

    app = make_app(url)
    with app.app_context():
        _, logins = app_demo.load(str(instance), members=members)
        member = next(x for x in logins if x["role"] == "grid_member")
        secretary = next(x for x in logins if x["role"] == "secretary")
        street = next(x for x in logins if x["role"] == "street_admin")
        grid = db.session.query(Unit).filter_by(code=member["unit"].split()[-1]).one()
        point = grid.geom.representative_point()
    return member, secretary, street, grid.code, (point.y, point.x)


class Api:
    """A logged-in person over HTTP (the standard library; cookies and CSRF as the app does)."""

    def __init__(self, base, login):
        import http.cookiejar

        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = self.call("GET", "/api/auth/csrf")[0]["csrf_token"]
        _, headers = self.call(
            "POST", "/api/auth/login", {"phone": login["phone"], "password": login["password"]}
        )
        self.token = headers.get("X-CSRFToken", self.token)

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": getattr(self, "token", "")},
        )
        with self.opener.open(request, timeout=30) as answer:
            return json.loads(answer.read() or b"null"), answer.headers


def seed_work(base, member, secretary, grid, point):
    """Three tasks (one given to the member) and two incidents the member reported."""
    boss = Api(base, secretary)
    me = Api(base, member)
    deadline = datetime.now(UTC) + timedelta(hours=30)
    for i, title in enumerate(("独居老人走访", "楼道杂物清理", "防汛沙袋清点")):
        task, _ = boss.call(
            "POST",
            "/api/tasks",
            {
                "title": title,
                "grid": grid,
                "target": f"{title}：完成并拍照反馈",
                "capacity": 2,
                "deadline": (deadline + timedelta(hours=i * 20)).isoformat(),
            },
        )
        if i == 0:
            body = {"assignments": [{"task_id": task["id"], "user_id": me_id(me)}]}
            boss.call("POST", "/api/dispatch/assign", body)
    for description in ("北门路井盖缺失，行人易踩空", "小区东门路灯不亮"):
        me.call(
            "POST",
            "/api/incidents",
            {
                "id": str(uuid.uuid4()),
                "category": "manhole_cover" if "井盖" in description else "clutter_piling",
                "description": description,
                "lat": point[0],
                "lng": point[1],
                "photos": [{"sha256": "b" * 64, "kind": "close_up"}],
            },
        )


def start_emergency(base, street, grid):
    """A level II (orange) flood response over the member's grid, started by the street."""
    Api(base, street).call(
        "POST",
        "/api/emergency/switches",
        {
            "kind": "flood",
            "level": "II",
            "reason": "暴雨红色预警，防汛二级响应",
            "scope": {"level": "grid", "codes": [grid]},
        },
    )


def me_id(api):
    return api.call("GET", "/api/me")[0]["id"]


def start_chromium(profile):
    port = free_port()
    process = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2):
                return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("Chromium did not start") from None
            time.sleep(0.1)  # polling a starting process


def on_the_phone(port, url, step):
    """step(page, expect) in the audited Chromium, on a page opened at url (then closed)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        page = browser.contexts[0].new_page()
        page.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)
        page.goto(url)
        try:
            step(page, expect)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "audit-failed.png"))
            raise
        page.close()
        browser.close()  # disconnects; the browser and its profile stay


def emergency_pulled(page, expect):
    """The phone pulled the switch: its banner shows."""
    page.get_by_role("button", name="立即同步").first.click()
    expect(page.locator(".emergency-banner")).to_be_visible()


def large_text_on(page, expect):
    """大字模式, as 我的 sets it (kept on the phone)."""
    page.evaluate("localStorage.setItem('gridlink.large_text', '1')")
    page.reload()
    expect(page.locator("html.large-text")).to_have_count(1)


def log_in_the_phone(port, base, member):
    """The member logs in through the app in that Chromium, as on a phone: the service worker
    takes the page, the data is pulled, the report screen has its catalogue."""

    def log_in(page, expect):
        page.locator("input[name=phone]").fill(member["phone"])
        page.locator("input[name=password]").fill(member["password"])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()
        assert page.evaluate(CONTROLLED)
        expect(page.locator(".incident-card").first).to_be_visible()
        expect(page.locator(".sync-status")).to_contain_text("已同步")
        page.goto(f"{base}/report")
        expect(page.get_by_text("城管", exact=True)).to_be_visible()

    on_the_phone(port, f"{base}/login", log_in)


def lighthouse(port, url, name, runs):
    """The median run of `runs` by performance score (Lighthouse's scores vary run to run;
    its docs advise the median of several), its reports kept."""
    results = []
    for run in range(runs):
        results.append(lighthouse_once(port, url, f"{name}-{run + 1}"))
    results.sort(key=lambda r: r["performance"])
    median = results[len(results) // 2]
    median["runs"] = [r["performance"] for r in results]
    for suffix in ("json", "html"):
        shutil.copyfile(
            ARTIFACTS / f"lighthouse-{median['run']}.report.{suffix}",
            ARTIFACTS / f"lighthouse-{name}.report.{suffix}",
        )
    return median


def lighthouse_once(port, url, name):
    out = ARTIFACTS / f"lighthouse-{name}"
    subprocess.run(
        ["node", str(LIGHTHOUSE), url, f"--port={port}", "--disable-storage-reset",
         "--only-categories=performance,accessibility", "--output=json", "--output=html",
         f"--output-path={out}", "--quiet", "--locale=zh"],
        check=True, cwd=ROOT / "pwa",
    )  # fmt: skip
    report = json.loads(Path(f"{out}.report.json").read_text())
    audits = report["audits"]
    return {
        "url": url,
        "run": name,
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "failed_a11y": [
            ref["id"]
            for ref in report["categories"]["accessibility"]["auditRefs"]
            if ref["weight"] and (audits[ref["id"]]["score"] or 0) < 1
        ],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=13000, help="demo people (default 13000)")
    parser.add_argument("--runs", type=int, default=5, help="Lighthouse runs per screen (median)")
    args = parser.parse_args(argv)
    if not (DIST / "sw.js").is_file():
        sys.exit(f"no PWA build in {DIST}: run `make pwa`")
    if not LIGHTHOUSE.is_file():
        sys.exit("no Lighthouse: run `cd pwa && npm ci`")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    scripts = initial_js()
    js_kb = sum(gz for _, _, gz in scripts) / 1024
    results = {"initial_js": {"files": scripts, "gzip_kb": round(js_kb, 1)}, "screens": {}}
    resident_kb = sum(gz for _, _, gz in initial_js("resident.html")) / 1024
    results["resident_initial_js_gzip_kb"] = round(resident_kb, 1)

    work = Path(tempfile.mkdtemp(prefix="gridlink-audit-"))
    url = os.environ.get("E2E_DATABASE_URL")
    if url:
        wipe(url)
    else:
        url = "sqlite:///" + str(work / "gridlink.db")
    instance = work / "instance"
    instance.mkdir()
    started = time.monotonic()
    member, secretary, street, grid, point = demo(url, instance, args.members)
    print(f"demo district loaded in {time.monotonic() - started:.0f} s")
    server = Server(url, instance).start()
    chromium = None
    try:
        seed_work(server.base, member, secretary, grid, point)
        chromium, port = start_chromium(work / "profile")
        log_in_the_phone(port, server.base, member)
        for name, path in SCREENS.items():
            results["screens"][name] = lighthouse(port, server.base + path, name, args.runs)
        start_emergency(server.base, street, grid)
        on_the_phone(port, server.base + "/", emergency_pulled)
        for name, path in EMERGENCY_SCREENS.items():
            results["screens"][name] = lighthouse(port, server.base + path, name, args.runs)
        on_the_phone(port, server.base + "/", large_text_on)
        for name, path in LARGE_TEXT_SCREENS.items():
            results["screens"][name] = lighthouse(port, server.base + path, name, args.runs)
    finally:
        if chromium is not None:
            chromium.terminate()
            chromium.wait(timeout=10)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    (ARTIFACTS / "audit.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    misses = []
    print(f"\ninitial JS (gzip): {js_kb:.1f} KB   budget {BUDGET_JS_KB} KB")
    for path, raw, gz in scripts:
        print(f"  {path:<48} {raw / 1024:7.1f} KB  gzip {gz / 1024:6.1f} KB")
    if js_kb > BUDGET_JS_KB:
        misses.append(f"initial JS {js_kb:.1f} KB > {BUDGET_JS_KB} KB")
    print(f"residents' initial JS (gzip): {resident_kb:.1f} KB   budget {BUDGET_RESIDENT_JS_KB} KB")
    if resident_kb > BUDGET_RESIDENT_JS_KB:
        misses.append(f"residents' initial JS {resident_kb:.1f} KB > {BUDGET_RESIDENT_JS_KB} KB")
    print(f"\nLighthouse (mobile, median of {args.runs})")
    print("  screen          performance  accessibility   FCP     LCP     TBT    CLS   runs")
    for name, r in results["screens"].items():
        print(
            f"  {name:<15} {r['performance']:>11} {r['accessibility']:>14}   "
            f"{r['fcp_ms']:>5}ms {r['lcp_ms']:>5}ms {r['tbt_ms']:>4}ms {r['cls']:>6}   {r['runs']}"
        )
        if r["failed_a11y"]:
            print(f"    accessibility audits not passed: {', '.join(r['failed_a11y'])}")
        budget = BUDGET_PERFORMANCE_OF.get(name, BUDGET_PERFORMANCE)
        if r["performance"] < budget:
            misses.append(f"{name}: performance {r['performance']} < {budget}")
        if r["accessibility"] < BUDGET_ACCESSIBILITY:
            misses.append(f"{name}: accessibility {r['accessibility']} < {BUDGET_ACCESSIBILITY}")
    print(f"\nreports: {ARTIFACTS}/lighthouse-*.report.html, {ARTIFACTS}/audit.json")
    if misses:
        print("\nBUDGET MISSED: " + "; ".join(misses))
        return 1
    print("\nall budgets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
