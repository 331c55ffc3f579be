"""The pages in a real browser: Debian's headless Chromium driven by Selenium.

The tests start the real server (``python -m service.cli serve``) on the session's demo data
and go through the job-seeker form (desktop and 390 px phone width, compare, errors) and the
counter console, which is for staff: log in, then keyboard, near-misses, regional demand, the
printable slip, and referring a person to a course session through to "我的推荐". The server
gets its own SQLite database with one caseworker account made by a fixture. Screenshots are
saved under ``var/test-artifacts/``.

Without ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` the tests skip with a loud reason;
in CI (``CI=true``) they fail instead (``.ci/run`` installs both).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TODAY = "2026-11-27"
WAIT = 20  # seconds for anything the page does after a click
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--lang=zh-CN",
    "--hide-scrollbars",
)
WELDER = "在工地干了五年电焊，想考个证"
STAFF_USER = "counter-01"
STAFF_PASSWORD = "柜台服务password1"
SECRET = "browser-test-secret-0123456789abcdef0123"


def _iso7064_check(first17: str) -> str:
    p = 0
    for ch in first17:
        p = ((p + int(ch)) * 2) % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def resident_id(seq: int) -> str:
    """A valid resident ID number (GB 11643 check character)."""
    first17 = f"41010519880512{seq:03d}"
    return first17 + _iso7064_check(first17)


def staff_database(path: Path) -> str:
    """A migrated SQLite database with the caseworker account the tests log in with."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from service.casework import accounts
    from service.db import create_db_engine, create_session_factory, session_scope, upgrade_to_head
    from service.security import passwords

    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    previous = passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    try:
        upgrade_to_head(engine)
        with session_scope(create_session_factory(engine)) as session:
            accounts.create_user(
                session, username=STAFF_USER, password=STAFF_PASSWORD, role="caseworker"
            )
    finally:
        passwords.set_hasher(previous)
        engine.dispose()
    return url


def _missing_browser() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        return (
            f"BROWSER TESTS NOT RUN: {', '.join(missing)} not installed "
            "(apt-get install -y chromium chromium-driver)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "BROWSER TESTS NOT RUN: selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser_available() -> None:
    """Skip loudly without Chromium locally; fail in CI, where .ci/run installs it."""
    reason = _missing_browser()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so this is an error", pytrace=False)
    warnings.warn(reason, UserWarning, stacklevel=1)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


@pytest.fixture(scope="module")
def server(browser_available: None, demo_env, tmp_path_factory) -> Iterator[str]:
    """The real server on a free port, serving the demo catalog; yields its base URL."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    database = staff_database(tmp_path_factory.mktemp("browser-db") / "staff.db")
    env = dict(
        os.environ,
        SKILLMATCH_DATA_DIR=str(demo_env.data_dir),
        SKILLMATCH_DATABASE_URL=database,
        SKILLMATCH_SECRET_KEY=SECRET,
        SKILLMATCH_TODAY=TODAY,
        SKILLMATCH_LOG_LEVEL="WARNING",
    )
    log = (ARTIFACTS / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        status = 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = _health(url)
            except (urllib.error.URLError, ConnectionError, OSError):
                status = 0
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, f"server not ready (status {status}); see {ARTIFACTS / 'server.log'}"
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def driver(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium for the module, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


# -- helpers ----------------------------------------------------------------------------------
def wait(drv, condition, timeout: float = WAIT):
    """Wait for ``condition``; an element replaced while it is read (page re-rendering) is
    read again, not an error."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    waiter = WebDriverWait(drv, timeout, ignored_exceptions=(StaleElementReferenceException,))
    return waiter.until(condition)


def by_id(drv, element_id: str):
    from selenium.webdriver.common.by import By

    return drv.find_element(By.ID, element_id)


def css(drv, selector: str) -> list:
    from selenium.webdriver.common.by import By

    return drv.find_elements(By.CSS_SELECTOR, selector)


def visible(drv, element_id: str) -> bool:
    return bool(drv.execute_script(f"return !document.getElementById('{element_id}').hidden"))


def select(drv, element_id: str, text: str) -> None:
    """Choose an option by its label once the option is there (regions load asynchronously)."""
    from selenium.webdriver.support.ui import Select

    wait(drv, lambda d: any(o.text == text for o in Select(by_id(d, element_id)).options))
    wait(drv, lambda d: by_id(d, element_id).is_enabled())
    Select(by_id(drv, element_id)).select_by_visible_text(text)


def phone(drv, on: bool) -> None:
    """Emulate a 390 px wide phone (or go back to the desktop window)."""
    if on:
        drv.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
        )
    else:
        drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def screenshot(drv, name: str, max_height: int = 7000, element_id: str | None = None) -> Path:
    """A full-page PNG (or of one element) under var/test-artifacts/."""
    metrics = drv.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    width = drv.execute_script("return document.documentElement.clientWidth")
    top, height = 0, size["height"]
    if element_id:
        top, height = drv.execute_script(
            "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
            "return [r.top + window.scrollY - 8, r.height + 16];",
            element_id,
        )
    shot = drv.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": max(top, 0),
                "width": width,
                "height": min(height, max_height),
                "scale": 1,
            },
        },
    )
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def js_errors(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def no_horizontal_overflow(drv) -> None:
    widths = drv.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page wider than the screen: {widths}"


def log_in(drv, base: str) -> None:
    """Log in as the test caseworker through the login form (once per browser session)."""
    drv.get(base + "/console")
    if not css(drv, "#login-submit"):
        return  # logged in already
    assert "工作人员登录" in by_id(drv, "main").text
    by_id(drv, "username").send_keys(STAFF_USER)
    by_id(drv, "password").send_keys(STAFF_PASSWORD)
    by_id(drv, "login-submit").click()
    wait(drv, lambda d: css(d, "#current-user"))
    assert STAFF_USER in by_id(drv, "current-user").text


def fill_welder(drv, base: str) -> None:
    """The job-seeker form as a migrant welder in Zhengzhou, willing to relocate."""
    drv.get(base + "/")
    select(drv, "group", "农民工")
    by_id(drv, "age").send_keys("36")
    select(drv, "education", "初中")
    select(drv, "province", "河南省")
    select(drv, "city", "郑州市")
    by_id(drv, "text").send_keys(WELDER)
    by_id(drv, "relocate").click()
    by_id(drv, "submit").click()
    wait(drv, lambda d: len(css(d, "#cards .card")) >= 3)


def check_cards(drv) -> None:
    cards = css(drv, "#cards .card")
    first = cards[0]
    assert first.find_element("css selector", ".card-title").text
    reasons = first.find_elements("css selector", ".reasons li")
    assert reasons and all(r.text for r in reasons)
    facts = first.text
    assert "政府补贴" in facts and "个人自付" in facts and "元" in facts
    assert "报名截止" in facts and "培训机构" in facts
    chips = [c.text for c in css(drv, "#occupation-chips .chip")]
    assert "焊工" in chips, chips
    assert "找到" in by_id(drv, "status").text
    assert any("焊" in c.text for c in cards[:5]), "a welding course among the first five"


def open_compare(drv, count: int) -> None:
    boxes = css(drv, "#cards .compare-box")
    for box in boxes[:count]:
        drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()
    by_id(drv, "open-compare").click()
    wait(drv, lambda d: visible(d, "compare-section"))
    head = css(drv, "#compare-table thead th")
    assert len(head) == count + 1
    body = by_id(drv, "compare-table").text
    assert "政府补贴" in body and "个人自付" in body and "推荐理由" in body


# -- the job-seeker form ---------------------------------------------------------------------
def test_seeker_desktop_results_compare_and_limit(driver, server):
    drv = driver
    drv.get_log("browser")
    phone(drv, False)
    fill_welder(drv, server)
    check_cards(drv)
    assert by_id(drv, "results-title") == drv.switch_to.active_element
    no_horizontal_overflow(drv)
    screenshot(drv, "seeker-1280-results")
    drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not by_id(drv, "profile-form").is_displayed()  # print: results only, no form or nav
    assert not css(drv, ".site-header")[0].is_displayed()
    screenshot(drv, "seeker-print-view", max_height=2000)
    drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    open_compare(drv, 2)

    # A third is allowed, a fourth is refused with a message.
    boxes = css(drv, "#cards .compare-box")
    for box in boxes[2:4]:
        drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()
    assert boxes[2].is_selected() and not boxes[3].is_selected()
    wait(drv, lambda d: visible(d, "compare-msg"))
    assert "最多对比 3 门" in by_id(drv, "compare-msg").text
    assert len(css(drv, "#compare-table thead th")) == 4
    assert "已选 3/3 门" in by_id(drv, "compare-count").text
    screenshot(drv, "compare-1280", element_id="compare-section")
    assert js_errors(drv) == []


def test_seeker_phone_390(driver, server):
    drv = driver
    drv.get_log("browser")
    phone(drv, True)
    try:
        fill_welder(drv, server)
        assert drv.execute_script("return window.innerWidth") == 390
        check_cards(drv)
        no_horizontal_overflow(drv)
        screenshot(drv, "seeker-390-results")
        open_compare(drv, 2)
        no_horizontal_overflow(drv)
        screenshot(drv, "compare-390", element_id="compare-section")
        drv.execute_script("window.scrollTo(0, 0)")
        screenshot(drv, "seeker-390-form", max_height=2400)
    finally:
        phone(drv, False)
    assert js_errors(drv) == []


def test_seeker_errors_empty_and_starting(driver, server):
    drv = driver
    drv.get(server + "/")
    # Missing fields are caught before asking the server, each next to its field.
    by_id(drv, "submit").click()
    wait(drv, lambda d: visible(d, "err-group"))
    assert "人员类别" in by_id(drv, "err-group").text
    assert "年龄" in by_id(drv, "err-age").text
    assert by_id(drv, "group").get_attribute("aria-invalid") == "true"
    assert drv.switch_to.active_element == by_id(drv, "group")
    screenshot(drv, "seeker-errors", max_height=1400)

    # A structured API error (an address the service cannot place) lands next to the field.
    select(drv, "group", "失业人员")
    by_id(drv, "age").send_keys("45")
    css(drv, "input[name=region_mode][value=address]")[0].click()
    by_id(drv, "address").send_keys("火星基地一号")
    by_id(drv, "submit").click()
    wait(drv, lambda d: visible(d, "err-address"))
    assert "无法从地址" in by_id(drv, "err-address").text
    assert by_id(drv, "address").get_attribute("aria-invalid") == "true"

    # A readable address is resolved as it is typed and matched.
    by_id(drv, "address").clear()
    by_id(drv, "address").send_keys("河南省郑州市金水区")
    wait(drv, lambda d: "金水区" in by_id(d, "address-resolved").text)
    by_id(drv, "submit").click()
    wait(drv, lambda d: len(css(d, "#cards .card")) >= 1)

    # No results: suggestions to widen the search.
    fake = (
        "window.fetch = async () => new Response(JSON.stringify(%s), "
        "{status: %d, headers: {'Content-Type': 'application/json'}});"
    )
    empty = {"occupations": [], "results": [], "region": {"code": "410105", "name": "金水区"}}
    drv.execute_script(fake % (json.dumps(empty), 200))
    by_id(drv, "submit").click()
    wait(drv, lambda d: visible(d, "empty") and "愿意去外地" in by_id(d, "empty").text)
    assert "线上" in by_id(drv, "empty").text
    assert "没有找到" in by_id(drv, "status").text

    # The service still starting (503): a friendly message and a retry button.
    starting = {"error": {"code": "starting", "message": "服务正在启动，请稍后再试", "fields": []}}
    drv.execute_script(fake % (json.dumps(starting), 503))
    by_id(drv, "submit").click()
    wait(drv, lambda d: "服务正在启动" in by_id(d, "status").text)
    assert "重试" in by_id(drv, "empty").text


def test_pages_are_accessible_basics(driver, server):
    drv = driver
    drv.delete_all_cookies()
    for path in ("/", "/console/login", "LOGIN", "/console", "/console/referrals"):
        if path == "LOGIN":
            log_in(drv, server)
            continue
        drv.get(server + path)
        assert drv.execute_script("return document.documentElement.lang") == "zh-CN"
        unlabeled = drv.execute_script(
            """return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                 .map(el => el.id || el.name);"""
        )
        assert unlabeled == [], f"{path}: controls without a label: {unlabeled}"
        assert css(drv, "[role=status][aria-live], [aria-live=polite], [role=alert]")


# -- the counter console -----------------------------------------------------------------------
def test_console_keyboard_flow_and_slip(driver, server):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    drv = driver
    drv.get_log("browser")  # drop what earlier tests logged
    phone(drv, False)
    log_in(drv, server)
    drv.get(server + "/console")
    wait(drv, lambda d: d.switch_to.active_element == by_id(d, "group"))
    select(drv, "group", "农民工")
    by_id(drv, "age").send_keys("36")
    select(drv, "province", "河南省")
    select(drv, "city", "郑州市")
    by_id(drv, "relocate").click()
    by_id(drv, "text").send_keys(WELDER + Keys.ENTER)
    wait(drv, lambda d: len(css(d, "#rows .row")) >= 3)
    assert drv.switch_to.active_element == by_id(drv, "results-title")
    assert by_id(drv, "text").get_attribute("value") == WELDER  # Enter submitted, no newline

    # Near-misses with their reasons, and the city's demand directory.
    wait(drv, lambda d: len(css(d, "#near > li")) >= 1)
    assert "未入选：" in css(drv, "#near > li")[0].text
    wait(drv, lambda d: len(css(d, "#demand-table tbody tr")) >= 3)
    demand = by_id(drv, "demand-table").text
    assert "紧缺" in demand and "元" in demand
    assert "郑州市" in by_id(drv, "demand-status").text

    # Number keys choose courses 1 and 3; the slip button then lists them.
    ActionChains(drv).send_keys("1").send_keys("3").perform()
    chosen = css(drv, "#rows .row.chosen")
    assert len(chosen) == 2
    titles = [r.find_element("css selector", ".row-title").text.split(". ", 1)[1] for r in chosen]
    assert "已选 2 门" in by_id(drv, "chosen-count").text
    assert by_id(drv, "open-slip").is_enabled()
    screenshot(drv, "console-1280")

    # Alt+P opens the slip in a new tab.
    before = set(drv.window_handles)
    ActionChains(drv).key_down(Keys.ALT).send_keys("p").key_up(Keys.ALT).perform()
    wait(drv, lambda d: len(set(d.window_handles) - before) == 1)
    console_tab = drv.current_window_handle
    drv.switch_to.window((set(drv.window_handles) - before).pop())
    try:
        wait(drv, lambda d: len(css(d, ".slip-course")) >= 1)
        courses = css(drv, ".slip-course")
        assert len(courses) == 2
        for title, course in zip(titles, courses, strict=True):
            text = course.text
            assert title in text
            assert "政府补贴" in text and "个人自付" in text and "报名截止" in text
            assert "元" in text
        slip = by_id(drv, "main").text
        assert "经办人签名" in slip and "出具日期：2026年11月27日" in slip
        assert "农民工" in slip and "36 岁" in slip and WELDER not in slip
        screenshot(drv, "slip")
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        screenshot(drv, "slip-print-view")
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        pdf = drv.execute_cdp_cmd(
            "Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True}
        )
        (ARTIFACTS / "slip.pdf").write_bytes(base64.b64decode(pdf["data"]))
        assert js_errors(drv) == []
    finally:
        drv.close()
        drv.switch_to.window(console_tab)

    # Alt+N clears everything for the next person.
    ActionChains(drv).key_down(Keys.ALT).send_keys("n").key_up(Keys.ALT).perform()
    wait(drv, lambda d: len(css(d, "#rows .row")) == 0)
    assert drv.switch_to.active_element == by_id(drv, "group")
    assert js_errors(drv) == []


def test_slip_without_selection_explains(driver, server):
    log_in(driver, server)
    driver.get(server + "/console/slip")
    assert "窗口工作台" in by_id(driver, "main").text


def test_console_requires_login(server, tmp_path_factory):
    """Anonymous visitors of the console get the login form, not the console."""
    for path in ("/console", "/console/referrals"):
        try:
            with urllib.request.urlopen(server + path, timeout=5) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        assert status == 401 and "工作人员登录" in body and 'id="profile-form"' not in body


def test_refer_from_console_to_my_referrals(driver, server):
    """A caseworker refers the person from the recommendation list, by keyboard where it counts,
    then records the enrolment on "我的推荐"; only masked data is shown."""
    from selenium.webdriver.common.keys import Keys

    drv = driver
    drv.get_log("browser")
    phone(drv, False)
    log_in(drv, server)
    drv.get(server + "/console")
    wait(drv, lambda d: d.switch_to.active_element == by_id(d, "group"))
    select(drv, "group", "农民工")
    by_id(drv, "age").send_keys("36")
    select(drv, "province", "河南省")
    select(drv, "city", "郑州市")
    by_id(drv, "relocate").click()
    by_id(drv, "text").send_keys(WELDER + Keys.ENTER)
    wait(drv, lambda d: len(css(d, "#rows .row .refer-link")) >= 1)
    link = css(drv, "#rows .row .refer-link")[0]
    title = link.get_attribute("aria-label").removeprefix("转介：")
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.send_keys(Keys.ENTER)

    wait(drv, lambda d: css(d, "#refer-submit"))
    assert title in by_id(drv, "refer-course").text
    assert drv.switch_to.active_element == by_id(drv, "id_number")
    number = resident_id(int(time.time()) % 1000)
    by_id(drv, "id_number").send_keys(number)
    by_id(drv, "phone").send_keys("13900000123")
    drv.get_log("browser")  # start afresh: the login page's 401 is not this step's
    by_id(drv, "refer-submit").click()
    # Consent missing: refused with the reason, nothing stored.
    wait(drv, lambda d: visible(d, "refer-error"))
    assert "同意" in by_id(drv, "refer-error").text
    assert by_id(drv, "id_number").get_attribute("value") == ""  # the number is not echoed
    logged = drv.get_log("browser")  # the refusal's 422 is logged as a failed load: expected
    assert all("422" in e["message"] for e in logged if e["level"] == "SEVERE"), logged
    by_id(drv, "id_number").send_keys(number)
    by_id(drv, "consent").click()
    screenshot(drv, "refer-form")
    by_id(drv, "refer-submit").click()

    wait(drv, lambda d: css(d, "#referrals-table"))
    assert "已登记并转介" in by_id(drv, "referrals-notice").text
    table = by_id(drv, "referrals-table").text
    assert number[:4] + "**********" + number[-4:] in table
    assert "139****0123" in table and number not in drv.page_source
    assert "已转介" in table
    first = css(drv, "#referrals-table tbody tr")[0]
    first.find_element("css selector", "button[data-status=enrolled]").send_keys(Keys.ENTER)
    wait(
        drv, lambda d: css(d, "#referrals-notice") and "已更新" in by_id(d, "referrals-notice").text
    )
    assert css(drv, "#referrals-table tbody tr")[0].get_attribute("data-status") == "enrolled"
    screenshot(drv, "my-referrals")
    assert js_errors(drv) == []


@pytest.fixture(autouse=True, scope="module")
def _clean_artifacts() -> None:
    if ARTIFACTS.exists():
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


# -- the same pages over HTTP, without a browser (run even where Chromium is missing) ------------
@pytest.fixture(scope="module")
def client(demo_env, tmp_path_factory):
    """A logged-in staff browser on the app, in process."""
    import re
    from datetime import date

    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.config import Settings

    database = staff_database(tmp_path_factory.mktemp("pages-db") / "staff.db")
    app = create_app(
        Settings(
            data_dir=demo_env.data_dir,
            database_url=database,
            secret_key=SECRET,
            today=date.fromisoformat(TODAY),
        ),
        load_in_background=False,
    )
    with TestClient(app) as c:
        form = c.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        login = {"username": STAFF_USER, "password": STAFF_PASSWORD, "csrf_token": token}
        assert c.post("/console/login", data=login, follow_redirects=False).status_code == 303
        c.csrf = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/console").text).group(1)
        yield c


def test_pages_render(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'lang="zh-CN"' in html and "/static/app.css" in html
    labels = ("失业人员", "农民工", "返岗女性", "初中", "中级工（四级）", "愿意去外地培训或就业")
    for label in labels:
        assert label in html
    console = client.get("/console").text
    assert "autofocus" in console and "Alt</kbd>+<kbd>P" in console
    assert client.get("/static/common.js").status_code == 200
    assert client.get("/static/nothing.js").json()["error"]["code"] == "not_found"


def test_slip_over_http(client):
    profile = {
        "group": "migrant_worker",
        "age": "36",
        "region_code": "410100",
        "relocate": "1",
        "text": WELDER,
    }
    found = client.post(
        "/api/v1/match", json={**profile, "age": 36, "relocate": True, "limit": 10}
    ).json()["results"]
    ids = [found[2]["course_id"], found[0]["course_id"]]
    profile = profile | {"csrf_token": client.csrf}
    slip = client.post("/console/slip", data=profile | {"course": [*ids, "NO-SUCH-COURSE"]})
    assert slip.status_code == 200, slip.text
    html = slip.text
    assert html.index(found[2]["title"]) < html.index(found[0]["title"])  # order chosen
    assert "NO-SUCH-COURSE" in html and "经办人签名" in html and "个人自付" in html
    assert f"{found[0]['subsidy']['amount']:,} 元" in html
    assert WELDER not in html  # the person's own words are not printed

    none = client.post("/console/slip", data=profile)
    assert none.status_code == 422 and "没有选择课程" in none.text
    bad = client.post("/console/slip", data=profile | {"age": "abc", "course": ids[0]})
    assert bad.status_code == 422 and "年龄" in bad.text
    assert "窗口工作台" in client.get("/console/slip").text
    # Without the session's CSRF token the slip is refused.
    no_token = {k: v for k, v in profile.items() if k != "csrf_token"}
    assert client.post("/console/slip", data=no_token | {"course": ids[0]}).status_code == 403
