"""disks.py - the disk pages (Figure 5.2 of the guide) in a real Chromium:
create a disk (size, visibility, tag), a tag holding <script> shown as text,
edit tag / visibility / type, another user sees the public disk in the table
but not the private one, whose URL answers 'Not found', delete after a
confirmation page. The REST API (Basic auth) agrees at each step."""
import base64
import json
import os
import ssl
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from webtest import URL, browser, check, fill, finish, go, has, shot, step, submit, text

USER, PASSWORD = os.environ["WEB_USER"], os.environ["WEB_PASSWORD"]
BOB, BOB_PW = os.environ["WEB_OTHER_USER"], os.environ["WEB_OTHER_PASSWORD"]
CTX = ssl.create_default_context(cafile=os.environ["WEB_CA"])
D = {}


def rest_disks(user, password):
    r = urllib.request.Request(URL + "/disks/", headers={
        "Accept": "application/json",
        "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
    with urllib.request.urlopen(r, context=CTX, timeout=30) as a:
        body = json.loads(a.read())
    return body if isinstance(body, list) else body.get("disks", body)


def log_in(drv, user, password):
    go(drv, "/web/login")
    fill(drv, "#username", user)
    fill(drv, "#password", password)
    submit(drv, "#submit")


def table(drv):
    return [[c.text for c in r.find_elements(By.TAG_NAME, "td")]
            for r in drv.find_elements(By.CSS_SELECTOR, "#disks tr") if r.find_elements(By.TAG_NAME, "td")]


def create(drv):
    log_in(drv, USER, PASSWORD)
    go(drv, "/web/disks")
    shot(drv, "disks-empty")
    heads = [h.text for h in drv.find_elements(By.CSS_SELECTOR, "#create-form label")]
    check("disk page: the Create disk form (Size (GiB), Visibility, Tag)",
          [h.split("\n")[0] for h in heads] == ["Size (GiB)", "Visibility", "Tag"], f"labels {heads}")
    fill(drv, "#size", "2")
    fill(drv, "#tag", "<script>alert(1)</script>data")
    submit(drv, "#create")
    shot(drv, "disk-created")
    D["url"] = drv.current_url.split("?")[0]
    D["uuid"] = text(drv, "#uuid")
    check("create: the new disk's page says so", "Disk created" in text(drv, "#notice")
          and drv.execute_script("return document.scripts.length") == 0
          and drv.find_element(By.ID, "tag").get_attribute("value") == "<script>alert(1)</script>data")
    rest = [d for d in rest_disks(USER, PASSWORD) if d.get("uuid") == D["uuid"]]
    check("... and the REST API lists it (2 GiB, private)", rest and str(rest[0].get("size")) == "2"
          and rest[0].get("visibility", "private") == "private", f"rest {rest}")
    # a second, private disk for the other user's checks
    go(drv, "/web/disks")
    fill(drv, "#size", "1")
    fill(drv, "#tag", "secret")
    submit(drv, "#create")
    D["private_url"] = drv.current_url.split("?")[0]
    go(drv, "/web/disks")
    shot(drv, "disks")
    rows = table(drv)
    check("Figure 5.2 table: Tag | Size | Users | Owner | UUID | Image identifier",
          [h.text for h in drv.find_elements(By.CSS_SELECTOR, "#disks th")][:6]
          == ["Tag", "Size (GiB)", "Users", "Owner", "UUID", "Image identifier"]
          and any(r[0] == "<script>alert(1)</script>data" and r[1] == "2" and r[3] == USER for r in rows),
          f"rows {rows}")


def edit(drv):
    go(drv, D["url"].replace(URL, ""))
    fill(drv, "#tag", "results")
    Select(drv.find_element(By.ID, "visibility")).select_by_value("public")
    Select(drv.find_element(By.ID, "type")).select_by_value("DATA_IMAGE_RAW_READONLY")
    submit(drv, "#save")
    shot(drv, "disk-edited")
    check("edit: tag, visibility and type saved",
          "Saved" in text(drv, "#notice") and drv.find_element(By.ID, "tag").get_attribute("value") == "results"
          and Select(drv.find_element(By.ID, "visibility")).first_selected_option.text == "public"
          and "DATA_IMAGE_RAW_READONLY" in text(drv, "#disk"))


def other_user(drv):
    submit(drv, "#logout")
    log_in(drv, BOB, BOB_PW)
    go(drv, "/web/disks")
    shot(drv, "disks-other-user")
    rows = table(drv)
    tags = [r[0] for r in rows]
    check("another user sees the public disk in the table, not the private one",
          "results" in tags and "secret" not in tags, f"tags {tags}")
    drv.get(D["private_url"])
    check("another user's URL of the private disk answers 'Not found'", "Not found" in text(drv, "h1"),
          f"h1 {text(drv, 'h1')!r}")
    drv.get(D["url"])
    check("... and the public one cannot be edited by them (Not found)", "Not found" in text(drv, "h1"))
    submit(drv, "#logout")


def delete(drv):
    log_in(drv, USER, PASSWORD)
    go(drv, D["url"].replace(URL, ""))
    submit(drv, "#delete")
    shot(drv, "disk-delete-confirm")
    check("delete asks for a confirmation first", has(drv, "#confirm-text") and D["uuid"] in text(drv, "#confirm-text"))
    submit(drv, "#cancel")
    check("'No, keep it' keeps it", D["uuid"] in [d.get("uuid") for d in rest_disks(USER, PASSWORD)])
    submit(drv, "#delete")
    submit(drv, "#confirm-delete")
    shot(drv, "disk-deleted")
    left = [d.get("uuid") for d in rest_disks(USER, PASSWORD)]
    check("confirmed delete: gone from the page and from the REST API",
          "Disk deleted" in text(drv, "#notice") and D["uuid"] not in text(drv, "main") and D["uuid"] not in left,
          f"left {left}")


def main():
    drv = step("start Chromium", browser)
    if not drv:
        finish()
    try:
        step("create", create, drv)
        if "url" in D:
            step("edit", edit, drv)
            step("another user", other_user, drv)
            step("delete", delete, drv)
    finally:
        drv.quit()
    finish()


if __name__ == "__main__":
    main()
