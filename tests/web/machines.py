"""machines.py - the machine pages in a real Chromium: "Run this image" on
the appliance's entry (logged in) starts a real VM (QEMU); its page and the
list refresh themselves (meta refresh, no script) until Running; the ssh
line; another user gets 404 for its URL and does not see it in the list;
kill from its page ends it (Done). One VM, of an image that boots no OS."""
import os
import time

from selenium.webdriver.common.by import By

from webtest import URL, browser, check, fill, finish, go, has, shot, step, submit, text

USER, PASSWORD = os.environ["WEB_USER"], os.environ["WEB_PASSWORD"]
BOB, BOB_PW = os.environ["WEB_OTHER_USER"], os.environ["WEB_OTHER_PASSWORD"]
APPLIANCE = os.environ["WEB_APPLIANCE_ID"]
VM = {}


def log_in(drv, user, password):
    go(drv, "/web/login")
    fill(drv, "#username", user)
    fill(drv, "#password", password)
    submit(drv, "#submit")


def run(drv):
    log_in(drv, USER, PASSWORD)
    go(drv, "/web/images?q=image+appliance")
    submit(drv, "a.entry")
    check("'Run this image' on the entry page for a logged-in user", has(drv, "#run-link"))
    submit(drv, "#run-link")
    shot(drv, "run")
    check("run form: the image filled in, instance types offered",
          drv.find_element(By.ID, "image").get_attribute("value") == APPLIANCE
          and len(drv.find_elements(By.CSS_SELECTOR, "#type option")) >= 3)
    submit(drv, "#run")
    shot(drv, "machine-pending")
    VM["url"] = drv.current_url
    state = text(drv, "#state")
    refresh = drv.execute_script("return document.querySelector('meta[http-equiv=refresh]') !== null")
    check("the VM's page right after the start: a state on the way, refreshing by itself",
          VM["url"].startswith(URL + "/web/machines/") and state in ("Pending", "Prolog", "Boot", "Running")
          and (refresh or state == "Running"), f"at {VM['url']}, state {state}, refresh {refresh}")
    # wait without reloading: the page refreshes itself
    deadline = time.time() + 240
    while time.time() < deadline and text(drv, "#state") not in ("Running", "Failed", "Done"):
        time.sleep(1)
    state = text(drv, "#state")
    shot(drv, "machine-running")
    check("the page reached Running by itself (no reload by the test)", state == "Running",
          f"state {state}; {text(drv, '#error') if has(drv, '#error') else ''}")
    ssh = text(drv, "#ssh") if has(drv, "#ssh") else ""
    check("the ssh line to connect", ssh.startswith("ssh root@1"), f"ssh {ssh!r}")
    go(drv, "/web/machines")
    shot(drv, "machines")
    ids = [a.text for a in drv.find_elements(By.CSS_SELECTOR, "a.vm")]
    check("the machine list shows it with its state", VM["url"].rsplit("/", 1)[1] in ids
          and "Running" in text(drv, "#machines"), f"ids {ids}")


def other_user(drv):
    submit(drv, "#logout")
    log_in(drv, BOB, BOB_PW)
    go(drv, "/web/machines")
    check("another user's list does not show it", not has(drv, "a.vm"))
    drv.get(VM["url"])
    shot(drv, "machine-other-user")
    check("another user's URL of it answers 'Not found'", "Not found" in text(drv, "h1"), f"h1 {text(drv, 'h1')!r}")
    submit(drv, "#logout")


def kill(drv):
    log_in(drv, USER, PASSWORD)
    go(drv, VM["url"].replace(URL, ""))
    submit(drv, "#kill")
    deadline = time.time() + 60
    while time.time() < deadline and text(drv, "#state") not in ("Done", "Failed"):
        time.sleep(1)
        go(drv, VM["url"].replace(URL, ""))
    shot(drv, "machine-killed")
    check("kill from its page: the VM ends Done, no more buttons",
          text(drv, "#state") == "Done" and not has(drv, "#kill"), f"state {text(drv, '#state')}")


def main():
    drv = step("start Chromium", browser)
    if not drv:
        finish()
    try:
        step("run this image", run, drv)
        if "url" in VM:
            step("another user", other_user, drv)
            step("kill", kill, drv)
    finally:
        drv.quit()
    finish()


if __name__ == "__main__":
    main()
