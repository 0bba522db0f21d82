"""webtest.py - what the portal's browser tests share: a Chromium driven by
Selenium through a chromedriver the calling script started, PASS/FAIL lines
in the form of tests/system/lib.sh, screenshots of every page (1280x800).

The calling script (tests/system/test-web.sh) passes, as environment:
WEB_URL (https://127.0.0.1:PORT), WEB_DRIVER (http://127.0.0.1:PORT of
chromedriver), WEB_PROFILE (a scratch Chromium profile directory),
WEB_SHOTS (where screenshots go), WEB_NAME (the name in PASS/FAIL lines).
"""
import os
import sys
import traceback

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["WEB_URL"]
NAME = os.environ.get("WEB_NAME", "test-web")
SHOTS = os.environ["WEB_SHOTS"]
RESULTS = {"pass": 0, "fail": 0}


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,800", "--no-first-run", "--disable-extensions",
              "--disable-background-networking", "--disable-sync", "--disable-component-update",
              "--user-data-dir=" + os.environ["WEB_PROFILE"]):
        opts.add_argument(a)
    # stratusd's certificate comes from its own CA (DATA/tls/ca.crt), which this
    # scratch profile does not know; the pages are still a secure context.
    opts.set_capability("acceptInsecureCerts", True)
    drv = webdriver.Remote(command_executor=os.environ["WEB_DRIVER"], options=opts)
    drv.set_page_load_timeout(60)
    # chromedriver runs on this machine: file inputs take local paths as they are
    drv.file_detector = UselessFileDetector()
    size(drv, 1280, 800)
    return drv


def size(drv, width, height):
    """Makes the page's viewport width x height (screenshots are that size)."""
    drv.set_window_size(width, height)
    drv.get("about:blank")
    w, h = drv.execute_script("return [window.innerWidth, window.innerHeight]")
    drv.set_window_size(2 * width - w, 2 * height - h)


def ok(name):
    RESULTS["pass"] += 1
    print(f"PASS {NAME}: {name}", flush=True)


def bad(name, *details):
    RESULTS["fail"] += 1
    print(f"FAIL {NAME}: {name}", flush=True)
    for d in details:
        print(f"    {d}", flush=True)


def check(name, cond, *details):
    if cond:
        ok(name)
    else:
        bad(name, *details)
    return cond


def step(name, fn, *args):
    """Runs fn; an exception is a FAIL of name (with the traceback)."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - every error of a step is its failure
        bad(name, f"{type(e).__name__}: {e}", *traceback.format_exc().splitlines()[-6:])
        return None


def shot(drv, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name + ".png")
    drv.save_screenshot(path)
    return path


def go(drv, path):
    drv.get(URL + path)
    WebDriverWait(drv, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def text(drv, css):
    return drv.find_element(By.CSS_SELECTOR, css).text


def has(drv, css):
    return len(drv.find_elements(By.CSS_SELECTOR, css)) > 0


def replaced(old):
    """True once the element old no longer belongs to the page: a new document was loaded.
    While the old document is being replaced, chromedriver may answer "Node with given id does
    not belong to the document" instead of a stale-element error; both mean the same here
    (EC.staleness_of only knows the second, and raised the first: a flaky FAIL)."""
    def check(_drv):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
    return check


def submit(drv, css):
    old = drv.find_element(By.TAG_NAME, "html")
    drv.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(drv, 30).until(replaced(old))
    WebDriverWait(drv, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def fill(drv, css, value):
    el = drv.find_element(By.CSS_SELECTOR, css)
    el.clear()
    el.send_keys(value)


def finish():
    print(f"web checks: {RESULTS['pass']} passed, {RESULTS['fail']} failed", flush=True)
    sys.exit(1 if RESULTS["fail"] else 0)
