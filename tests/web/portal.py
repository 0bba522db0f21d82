"""portal.py - the portal's skeleton in a real Chromium: start page, one
stylesheet, navigation bar, log-in by form (wrong password refused, slowed
down), "Logged in as", the session cookie out of reach of scripts, account
page, log-out that ends the session. Environment: see webtest.py, plus
WEB_USER / WEB_PASSWORD (an account) and WEB_SLOW_USER (an account that
this test locks with failed log-ins)."""
import os

from selenium.webdriver.common.by import By

from webtest import URL, browser, check, fill, finish, go, has, shot, size, step, submit, text

USER = os.environ["WEB_USER"]
PASSWORD = os.environ["WEB_PASSWORD"]


def start_page(drv):
    go(drv, "/")
    shot(drv, "home")
    nav = [a.text for a in drv.find_elements(By.CSS_SELECTOR, "header nav a")]
    check("start page: navigation bar Images | Disks | Machines | Account",
          nav == ["Images", "Disks", "Machines", "Account"], f"nav: {nav}")
    sheets = drv.execute_script("return [...document.styleSheets].map(s => s.href)")
    bg = drv.execute_script(
        "return getComputedStyle(document.querySelector('header.bar')).backgroundColor")
    check("start page: the one stylesheet /web/static/style.css is applied",
          sheets == [URL + "/web/static/style.css"] and bg == "rgb(29, 36, 48)",
          f"sheets {sheets}, header background {bg}")
    check("start page: anonymous visitor sees 'Log in'", has(drv, "#login") and not has(drv, "#user"))
    # a phone: the same page at 390 px wide has no horizontal scroll bar
    size(drv, 390, 800)
    go(drv, "/")
    wide = drv.execute_script("return document.documentElement.scrollWidth")
    shot(drv, "home-phone")
    size(drv, 1280, 800)
    check("start page: readable on a phone (no horizontal scrolling at 390 px)", wide <= 390,
          f"scrollWidth {wide}")


def log_in(drv, user, password):
    go(drv, "/web/login")
    fill(drv, "#username", user)
    fill(drv, "#password", password)
    submit(drv, "#submit")


def login_pages(drv):
    go(drv, "/web/account")
    check("account page without a session goes to the log-in form",
          drv.current_url.startswith(URL + "/web/login") and has(drv, "#login-form"),
          f"at {drv.current_url}")
    shot(drv, "login")
    log_in(drv, USER, PASSWORD + "-wrong")
    shot(drv, "login-wrong")
    check("wrong password: the form again with a message, not logged in",
          has(drv, "#problem") and "Wrong user name or password" in text(drv, "#problem")
          and not has(drv, "#user"))
    go(drv, "/web/login?next=/web/account")
    fill(drv, "#username", USER)
    fill(drv, "#password", PASSWORD)
    submit(drv, "#submit")
    shot(drv, "account")
    check("log-in by form: back at the page asked for, 'Logged in as <user>'",
          drv.current_url == URL + "/web/account" and text(drv, "#user") == USER
          and "Logged in as" in text(drv, ".who") and text(drv, "#account-user") == USER,
          f"at {drv.current_url}")
    cookie = drv.get_cookie("sl_session")
    check("session cookie is HttpOnly, Secure, SameSite=Strict",
          cookie and cookie.get("httpOnly") and cookie.get("secure")
          and cookie.get("sameSite") == "Strict", f"cookie {cookie}")
    seen = drv.execute_script("return document.cookie")
    check("session cookie out of reach of page scripts", "sl_session" not in seen, f"document.cookie {seen!r}")
    old = cookie["value"] if cookie else ""
    submit(drv, "#logout")
    shot(drv, "logged-out")
    check("log out: start page, not logged in", drv.current_url == URL + "/" and not has(drv, "#user"))
    # the old cookie, put back by hand, no longer opens a session
    drv.add_cookie({"name": "sl_session", "value": old, "path": "/", "secure": True})
    go(drv, "/web/account")
    check("log out ends the session on the server (old cookie refused)",
          drv.current_url.startswith(URL + "/web/login"), f"at {drv.current_url}")


def slowed(drv):
    slow = os.environ["WEB_SLOW_USER"]
    msgs = []
    # the 4th attempt comes within 5 s of the 3rd on any machine; the later ones
    # (waits of 10, 20 s) leave room for a very slow one
    for _ in range(6):
        log_in(drv, slow, "not-the-password")
        msgs.append(text(drv, "#problem") if has(drv, "#problem") else "")
        if "try again in" in msgs[-1]:
            break
    shot(drv, "login-slowed")
    check("repeated failed log-ins are slowed down (told to wait)",
          "try again in" in msgs[-1] and all("Wrong" in m for m in msgs[:3]), f"messages {msgs!r}")


def main():
    drv = step("start Chromium", browser)
    if not drv:
        finish()
    try:
        step("start page", start_page, drv)
        step("log-in pages", login_pages, drv)
        step("failed log-ins slowed", slowed, drv)
    finally:
        drv.quit()
    finish()


if __name__ == "__main__":
    main()
