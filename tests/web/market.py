"""market.py - the Marketplace pages in a real Chromium (no log-in): search
for the appliance with free text and filters, sort, page, open its entry
(every field, the checksums, the endorsement), download its signed XML and
check it with xmlsec1 --verify, its JSON, the endorser's page, upload a
signed entry through the form (verdict in words), refuse an unsigned one,
a title holding markup shown as text. Files made by tests/system/test-web.sh
are in WEB_W (appliance.xml, other.xml, unsigned.xml, ada.crt)."""
import hashlib
import json
import os
import ssl
import subprocess
import tempfile
import urllib.request

from selenium.webdriver.common.by import By

from webtest import URL, browser, check, finish, go, has, shot, step, submit, text

W = os.environ["WEB_W"]
ADA = os.environ["WEB_ENDORSER"]
APPLIANCE = os.environ["WEB_APPLIANCE_ID"]
OTHER = os.environ["WEB_OTHER_ID"]
XSS = os.environ["WEB_XSS_ID"]
CTX = ssl.create_default_context(cafile=os.environ["WEB_CA"])


def fetch(url):
    with urllib.request.urlopen(url, context=CTX, timeout=30) as r:
        return r.status, r.headers, r.read()


def rows(drv):
    return [(r.find_element(By.CSS_SELECTOR, "a.entry").text,
             r.find_element(By.CSS_SELECTOR, ".mono").text)
            for r in drv.find_elements(By.CSS_SELECTOR, "#results tr") if r.find_elements(By.CSS_SELECTOR, "a.entry")]


def search(drv):
    go(drv, "/web/images")
    shot(drv, "images")
    ids = [i for _, i in rows(drv)]
    check("Marketplace page without log-in lists the valid entries", APPLIANCE in ids and XSS in ids, f"ids {ids}")
    drv.find_element(By.ID, "q").send_keys("image appliance")
    submit(drv, "#search")
    shot(drv, "images-search")
    found = rows(drv)
    check("free-text search finds the appliance only", [i for _, i in found] == [APPLIANCE], f"rows {found}")
    go(drv, "/web/images?os=stratuslab&arch=x86_64&endorser=ada&kind=machine&osv=1")
    check("filters os, os version, arch, endorser, kind keep it",
          APPLIANCE in [i for _, i in rows(drv)], f"rows {rows(drv)}")
    go(drv, "/web/images?os=windows")
    check("a filter that fits nothing: no rows, a message", not rows(drv) and has(drv, "#notice"))
    go(drv, "/web/images?status=expired")
    check("status filter expired: none of the fresh entries", not rows(drv))
    go(drv, "/web/images?location=pdisk")
    check("location filter pdisk: none of the web entries", not rows(drv))
    go(drv, "/web/images?per_page=1&sort=title&dir=asc")
    first = [i for _, i in rows(drv)]
    shot(drv, "images-paged")
    check("server-side paging: one row per page, a next link", len(first) == 1 and has(drv, "#next"), f"rows {first}")
    submit(drv, "#next")
    second = [i for _, i in rows(drv)]
    check("next page holds the other entry, a previous link",
          len(second) == 1 and second != first and has(drv, "#prev"), f"{first} then {second}")
    go(drv, "/web/images?sort=title&dir=desc")
    desc = [t for t, _ in rows(drv)]
    go(drv, "/web/images?sort=title&dir=asc")
    asc = [t for t, _ in rows(drv)]
    check("sorting by title both ways", len(asc) == 2 and asc == list(reversed(desc)), f"asc {asc} desc {desc}")


def markup(drv):
    go(drv, "/web/images?q=bold")
    shot(drv, "images-xss")
    titles = [t for t, _ in rows(drv)]
    scripts = drv.execute_script("return document.scripts.length")
    bolds = drv.execute_script("return document.querySelectorAll('#results b').length")
    check("a title holding <script> renders as text (no script, no markup)",
          titles == ['<script>alert("xss")</script><b>bold</b>'] and scripts == 0 and bolds == 0,
          f"titles {titles}, scripts {scripts}, b {bolds}")


def entry(drv):
    go(drv, "/web/images?q=image+appliance")
    submit(drv, "a.entry")
    shot(drv, "entry")
    fields = {r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text
              for r in drv.find_elements(By.CSS_SELECTOR, "#fields tr")}
    check("entry page: every field of the entry",
          fields.get("identifier") == APPLIANCE and fields.get("os") == "stratuslab-appliance"
          and fields.get("os arch") == "x86_64" and fields.get("bytes") == "65536"
          and fields.get("status") == "valid" and "appliance.img" in fields.get("location", ""),
          f"fields {fields}")
    sums = {r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text
            for r in drv.find_elements(By.CSS_SELECTOR, "#checksums tr")}
    data = open(os.path.join(W, "appliance.img"), "rb").read()
    want = {"SHA-1": hashlib.sha1(data).hexdigest(), "SHA-256": hashlib.sha256(data).hexdigest()}
    check("entry page: the checksums match the image file",
          all(sums.get(k, "").lower() == v for k, v in want.items() if k in sums) and "SHA-1" in sums,
          f"page {sums}")
    endo = text(drv, "#endorsement")
    check("entry page: the endorsement (endorser, subject, date)",
          ADA in endo and "CN=ada" in endo, f"endorsement {endo!r}")
    check("no 'Run this image' without log-in", not has(drv, "#run-link"))
    xml_url = drv.find_element(By.ID, "xml-link").get_attribute("href")
    status, headers, body = fetch(xml_url)
    check("signed XML link gives the exact uploaded bytes",
          status == 200 and body == open(os.path.join(W, "appliance.xml"), "rb").read()
          and headers.get("Content-Type", "").startswith("application/xml"), f"status {status}")
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(body)
        f.flush()
        v = subprocess.run(["xmlsec1", "--verify", "--trusted-pem", os.path.join(W, "ada.crt"), f.name],
                           capture_output=True, text=True, timeout=60)
    check("the downloaded XML passes xmlsec1 --verify (trusting the endorser's certificate)",
          v.returncode == 0 and "OK" in v.stdout + v.stderr, v.stdout[-300:], v.stderr[-300:])
    json_url = drv.find_element(By.ID, "json-link").get_attribute("href")
    status, headers, body = fetch(json_url)
    doc = json.loads(body)
    check("JSON link gives the entry's fields and checksums",
          doc.get("identifier") == APPLIANCE and doc.get("email") == ADA
          and doc.get("checksums", {}).get("SHA-1", "").lower() == want["SHA-1"], f"json {doc}")
    submit(drv, "#endorsement a")
    shot(drv, "endorser")
    ids = [i for _, i in rows(drv)]
    check("endorser page: that endorser's entries", drv.current_url.startswith(URL + "/web/endorsers/")
          and set(ids) == {APPLIANCE, XSS}, f"at {drv.current_url}, ids {ids}")


def upload(drv):
    go(drv, "/web/upload")
    shot(drv, "upload")
    drv.find_element(By.ID, "file").send_keys(os.path.join(W, "unsigned.xml"))
    submit(drv, "#upload")
    shot(drv, "upload-refused")
    msg = text(drv, "#problem") if has(drv, "#problem") else ""
    check("upload form: an unsigned entry is refused in words", "no signature" in msg, f"message {msg!r}")
    go(drv, "/web/images?q=other")
    check("... and nothing of it is stored", not rows(drv))
    go(drv, "/web/upload")
    drv.find_element(By.ID, "file").send_keys(os.path.join(W, "other.xml"))
    submit(drv, "#upload")
    shot(drv, "upload-accepted")
    msg = text(drv, "#notice") if has(drv, "#notice") else ""
    check("upload form: a signed entry is accepted in words", msg.startswith("Accepted") and OTHER in msg,
          f"message {msg!r}")
    submit(drv, "#uploaded")
    fields = {r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text
              for r in drv.find_elements(By.CSS_SELECTOR, "#fields tr")}
    check("... and its entry page opens", fields.get("identifier") == OTHER, f"fields {fields}")


def main():
    drv = step("start Chromium", browser)
    if not drv:
        finish()
    try:
        step("search", search, drv)
        step("markup in titles", markup, drv)
        step("entry page", entry, drv)
        step("upload form", upload, drv)
    finally:
        drv.quit()
    finish()


if __name__ == "__main__":
    main()
