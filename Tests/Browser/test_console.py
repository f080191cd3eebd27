"""The web console in a real browser (specs/console.md §5): headless Chromium driven by Selenium
against a `mesh-validator serve` holding the demo's data (scripts/browser.sh starts it and sets
MESH_CONSOLE_URL). A small proxy in front of the validator, run by this test, serves tampered
answers (a checkpoint with a flipped byte, an inclusion proof with a flipped hash, a balance
proof with another balance, entry bytes with a flipped byte), so the binary has no test hooks.

Env: MESH_CONSOLE_URL      the validator (required)
     MESH_CONSOLE_ARTIFACTS  screenshot directory (default .build/artifacts/console)
     MESH_REPO               repository root (for the specs' worked examples)
"""

import base64
import http.client
import http.server
import json
import os
import threading
import time
import unittest
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["MESH_CONSOLE_URL"].rstrip("/")
ARTIFACTS = os.environ.get("MESH_CONSOLE_ARTIFACTS", ".build/artifacts/console")
REPO = os.environ.get("MESH_REPO", ".")
WAIT = 20  # seconds for a page or a badge


def get_json(path):
    with urllib.request.urlopen(URL + path, timeout=10) as r:
        return json.load(r)


def flip_base64_char(text):
    """Another base64 string of the same length: the first character changed."""
    return ("B" if text[0] == "A" else "A") + text[1:]


class TamperProxy:
    """Forwards GETs to the validator; in a mode, corrupts one kind of answer."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlparse(upstream)
        self.mode = None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path.startswith("/v1/events"):
                    # Streams are not proxied: the page then shows "reconnecting", nothing else.
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=10)
                conn.request("GET", self.path)
                r = conn.getresponse()
                body = r.read()
                headers = [(k, v) for k, v in r.getheaders() if k.lower() not in ("content-length", "connection", "transfer-encoding")]
                body = proxy.tamper(self.path, body) if r.status == 200 else body
                conn.close()
                try:
                    self.send_response(r.status)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the browser left (a page change); nothing to answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def tamper(self, path, body):
        route = path.split("?")[0]
        if self.mode == "checkpoint" and route == "/checkpoint":
            lines = body.decode().split("\n")
            lines[2] = flip_base64_char(lines[2])  # the root hash: the signature no longer covers it
            return "\n".join(lines).encode()
        if self.mode == "inclusion" and route == "/v1/proofs/inclusion":
            doc = json.loads(body)
            if doc["proof"]:
                doc["proof"][0] = flip_base64_char(doc["proof"][0])
            else:
                doc["leafHash"] = flip_base64_char(doc["leafHash"])
            return json.dumps(doc).encode()
        if self.mode == "entry" and route.startswith("/v1/entries/"):
            doc = json.loads(body)
            data = bytearray(base64.b64decode(doc["data"]))
            data[-1] ^= 1
            doc["data"] = base64.b64encode(bytes(data)).decode()
            return json.dumps(doc).encode()
        if self.mode == "balance" and route.endswith("/proof"):
            doc = json.loads(body)
            doc["account"]["balance"] = str(int(doc["account"]["balance"]) + 1_000_000)
            return json.dumps(doc).encode()
        return body

    def close(self):
        self.server.shutdown()


class ConsoleTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS, exist_ok=True)
        options = Options()
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--force-device-scale-factor=1"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        cls.driver.set_page_load_timeout(WAIT)
        # Entries are served `immutable`: without this the browser would answer a tampered
        # request from its cache of the untampered one.
        cls.driver.execute_cdp_cmd("Network.enable", {})
        cls.driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        cls.proxy = TamperProxy(URL)
        cls.status = get_json("/v1/status")
        cls.settlements = get_json("/v1/settlements?limit=100")["settlements"]
        cls.slashes = get_json("/v1/slashes?limit=100")["entries"]
        cls.nodes = get_json("/v1/nodes?limit=1000")["nodes"]
        cls.checks = 0

    @classmethod
    def tearDownClass(cls):
        print(f"\nbrowser: {cls.checks} checks passed or ran", flush=True)
        cls.proxy.close()
        cls.driver.quit()

    # Helpers

    def check(self, condition, message):
        type(self).checks += 1
        self.assertTrue(condition, message)

    def open(self, base, fragment):
        d = self.driver
        if d.current_url.startswith(base + "/"):
            d.execute_script("document.body.dataset.ready = '';")
            d.get(f"{base}/#{fragment}")
            d.refresh()
        else:
            d.get(f"{base}/#{fragment}")
        WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        self.assertNoConsoleErrors()

    def badges(self, what_prefix):
        return self.driver.find_elements(By.CSS_SELECTOR, f'.badge[data-what^="{what_prefix}"]')

    def wait_badges(self, what_prefix, count_at_least=1):
        """Waits until at least `count_at_least` badges with `data-what` starting with the prefix
        exist and none is still checking; returns {status: count}."""
        def settled(_):
            bs = self.badges(what_prefix)
            return len(bs) >= count_at_least and all(b.get_attribute("data-status") != "checking" for b in bs)
        WebDriverWait(self.driver, WAIT).until(settled)
        out = {}
        for b in self.badges(what_prefix):
            out[b.get_attribute("data-status")] = out.get(b.get_attribute("data-status"), 0) + 1
        return out

    def badge_text(self, what_prefix):
        return " | ".join(b.text for b in self.badges(what_prefix))

    def screenshot(self, name):
        path = os.path.join(ARTIFACTS, f"{name}.png")
        self.driver.save_screenshot(path)
        return path

    def assertNoConsoleErrors(self):
        try:
            logs = self.driver.get_log("browser")
        except Exception:
            return
        # A refused stream through the tamper proxy (503) is expected; anything else is a fault
        # (a CSP violation, a script error).
        errors = [l for l in logs if l["level"] == "SEVERE" and "/v1/events" not in l["message"]]
        self.check(not errors, f"browser console errors: {errors}")

    # Tests

    def test_01_overview_shows_jobs_slashes_and_a_valid_checkpoint(self):
        self.check(len(self.settlements) >= 5, f"the demo settled {len(self.settlements)} jobs")
        self.check(len(self.slashes) >= 1, "the demo slashed")
        self.open(URL, "/")
        status = self.wait_badges("checkpoint")
        self.check(set(status) == {"valid"}, f"checkpoint badges {status}: {self.badge_text('checkpoint')}")
        page = self.driver.find_element(By.ID, "main").text
        for s in self.settlements[:15]:
            self.check(s["jobId"][:12] in page, f"settlement of job {s['jobId']} is on the overview")
        for e in self.slashes[:10]:
            self.check(f"#{e['index']}" in page, f"slash entry #{e['index']} is on the overview")
        self.check("re-execution" in page and "proof" in page, "both settlement methods are shown")
        self.check(str(self.status["ledgerSize"]) in page.replace(",", ""), "the ledger size is shown")
        entries = self.wait_badges("entry-", len(self.slashes[:10]))
        self.check(set(entries) == {"valid"}, f"slash inclusion badges {entries}")
        charts = self.driver.find_elements(By.CSS_SELECTOR, "svg.chart")
        self.check(len(charts) == 2, "two charts (settlements per minute, karma distribution)")
        bars = self.driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")
        self.check(len(bars) >= 2, "the charts have bars")
        live = WebDriverWait(self.driver, WAIT).until(lambda d: d.find_element(By.ID, "live").text == "● live")
        self.check(live, "the event stream is connected")
        self.screenshot("overview")

    def test_02_karma_table_sorts(self):
        self.open(URL, "/karma?sort=balance&dir=desc")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#karma-table tbody tr")
        self.check(len(rows) == len(self.nodes), f"{len(rows)} rows for {len(self.nodes)} nodes")
        balances = [int(r.find_elements(By.TAG_NAME, "td")[1].text.split()[0].replace(",", "")) for r in rows]
        self.check(balances == sorted(balances, reverse=True), f"sorted by balance, descending: {balances}")
        # Sort by offences, ascending, through the header link (what a keyboard user activates).
        header = self.driver.find_element(By.CSS_SELECTOR, "#karma-table th a[href*='sort=offences']")
        header.send_keys(Keys.ENTER)
        WebDriverWait(self.driver, WAIT).until(lambda d: "sort=offences" in d.current_url)
        WebDriverWait(self.driver, WAIT).until(lambda d: d.find_element(By.CSS_SELECTOR, "#karma-table th[aria-sort='descending'] a[href*='offences']"))
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#karma-table tbody tr")
        offences = [int(r.find_elements(By.TAG_NAME, "td")[-1].text) for r in rows]
        self.check(offences == sorted(offences, reverse=True), f"sorted by offences: {offences}")
        jailed = [n for n in self.nodes if n["jailed"]]
        self.check(len(jailed) >= 1 and "until" in self.driver.find_element(By.ID, "karma-table").text, "jailed nodes are marked")
        self.screenshot("karma")

    def test_03_node_page_history_receipts_slashes_and_balance_proof(self):
        slashed = max(self.nodes, key=lambda n: n["offences"])
        self.open(URL, f"/nodes/{slashed['node']}")
        balance = self.wait_badges("balance")
        self.check(set(balance) == {"valid"}, f"balance proof {balance}: {self.badge_text('balance')}")
        text = self.driver.find_element(By.ID, "main").text
        self.check("Slashes and their evidence" in text and "History" in text and "Receipts" in text, "sections")
        own = [e for e in self.slashes if e["node"] == slashed["node"]]
        evidence = self.driver.find_elements(By.CSS_SELECTOR, "article.evidence")
        self.check(len(evidence) == len(own) and len(own) >= 1, f"{len(evidence)} evidence blocks for {len(own)} slashes")
        self.check(set(self.wait_badges("entry-", len(own))) == {"valid"}, "the node's slashes are in the log")
        history = get_json(f"/v1/nodes/{slashed['node']}/history?limit=20")
        for e in history["entries"]:
            self.check(f"#{e['index']}" in text, f"history entry #{e['index']} is shown")
        receipts = get_json(f"/v1/nodes/{slashed['node']}/receipts?limit=20")["receipts"]
        self.check(len(receipts) >= 1, "the node signed receipts")
        for r in receipts:
            self.check(r["outputCommitment"][:16] in text, f"receipt of job {r['jobId']} is shown")
        self.screenshot("node")

    def test_04_job_page_receipts_verdict_and_entries(self):
        disputed = next(s for s in self.settlements if s["settlement"]["offences"])
        self.open(URL, f"/jobs/{disputed['jobId']}")
        text = self.driver.find_element(By.ID, "main").text
        job = get_json(f"/v1/jobs/{disputed['jobId']}")
        self.check(len(job["receipts"]) >= 2, "the job has receipts")
        for r in job["receipts"]:
            self.check(r["outputCommitment"] in text, "each receipt's output commitment is shown")
        self.check(job["settlement"]["truth"] in text, "the established output is shown")
        links = {a.get_attribute("href").split("#")[1] for a in self.driver.find_elements(By.CSS_SELECTOR, "#main a[href*='#/nodes/']")}
        self.check(all(f"/nodes/{n}" in links for n in job["nodes"]), f"each assigned node is a link: {links}")
        self.check("http" not in text.split("Deadline")[0].split("Nodes")[1], "no link rendered as text")
        if job["settlement"].get("majorityOverruled"):
            self.check("overruled" in text, "an overruled majority is said")
        self.check(("re-execution" in text) or ("succinct proof" in text), "how the verdict was established")
        entries = job["settlement"]["entries"]
        got = self.wait_badges("entry-", len(entries))
        self.check(set(got) == {"valid"}, f"every ledger entry of the job is in the signed log: {got}")
        self.screenshot("job")

    def test_05_tampered_checkpoint_is_invalid(self):
        self.proxy.mode = "checkpoint"
        try:
            self.open(self.proxy.url, "/")
            got = self.wait_badges("checkpoint")
            self.check(set(got) == {"invalid"}, f"a tampered checkpoint shows invalid: {got}")
            self.check("does not verify" in self.badge_text("checkpoint"), self.badge_text("checkpoint"))
            self.screenshot("tampered-checkpoint")
        finally:
            self.proxy.mode = None
        # The same page through the proxy, untampered: valid again.
        self.open(self.proxy.url, "/")
        self.check(set(self.wait_badges("checkpoint")) == {"valid"}, "untampered through the proxy: valid")

    def test_06_tampered_inclusion_proof_and_entry_are_invalid(self):
        index = self.slashes[0]["index"]
        for mode, reason in [("inclusion", "root other than the signed one"), ("entry", "root other than the signed one")]:
            self.proxy.mode = mode
            try:
                self.open(self.proxy.url, f"/entries/{index}")
                got = self.wait_badges(f"entry-{index}")
                self.check(set(got) == {"invalid"}, f"{mode} tampered: {got}")
                self.check(reason in self.badge_text(f"entry-{index}"), self.badge_text(f"entry-{index}"))
            finally:
                self.proxy.mode = None
        self.open(self.proxy.url, f"/entries/{index}")
        self.check(set(self.wait_badges(f"entry-{index}")) == {"valid"}, "untampered entry: valid")

    def test_07_tampered_balance_proof_is_invalid(self):
        node = self.nodes[0]["node"]
        self.proxy.mode = "balance"
        try:
            self.open(self.proxy.url, f"/nodes/{node}")
            got = self.wait_badges("balance")
            self.check(set(got) == {"invalid"}, f"a balance proof with another balance: {got}")
            self.check("not the account's encoding" in self.badge_text("balance"), self.badge_text("balance"))
        finally:
            self.proxy.mode = None

    def test_08_keyboard_reaches_every_link(self):
        job = self.settlements[0]["jobId"]
        for fragment in ["/", "/karma", f"/jobs/{job}", f"/nodes/{self.nodes[0]['node']}"]:
            self.open(URL, fragment)
            d = self.driver
            links = d.execute_script(
                "return Array.from(document.querySelectorAll('a[href]')).filter(a => a.offsetParent !== null || a.classList.contains('skip')).map(a => a.href + '|' + a.textContent)")
            d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
            body = d.find_element(By.TAG_NAME, "body")
            reached = set()
            first = None
            for _ in range(len(links) * 2 + 40):
                active = d.switch_to.active_element
                active.send_keys(Keys.TAB) if active.tag_name != "body" else body.send_keys(Keys.TAB)
                key = d.execute_script("const a = document.activeElement; return a && a.tagName === 'A' ? a.href + '|' + a.textContent : (a ? a.tagName : '')")
                if key == first:
                    break
                if first is None:
                    first = key
                reached.add(key)
            missing = [l for l in links if l not in reached]
            self.check(not missing, f"{fragment}: links Tab does not reach: {missing[:5]}")
            # Focus is visible: the focused link has an outline (style.css :focus-visible).
            outline = d.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
            self.check(outline not in ("none", ""), f"{fragment}: focused element has no visible outline")

    def test_09_verifier_matches_the_specs_worked_examples(self):
        """verify.js on specs/ledger.md §5.1 and §10.5 (Fixtures/ledger), and single mutations."""
        with open(os.path.join(REPO, "Fixtures/ledger/checkpoint-example.json")) as f:
            cp = json.load(f)
        with open(os.path.join(REPO, "Fixtures/ledger/balance-proof-example.json")) as f:
            bp = json.load(f)
        vkey = "example.mesh/ledger+7ea33a00+AYl/sTQoSJlNpxIrI3UhrsFr2dZ+eVWg9haYkuJFv6mv"
        note = cp["note"]
        self.open(URL, "/")
        result = self.driver.execute_async_script("""
            const [vkey, note, doc, done] = arguments;
            import('/console/verify.js').then(async (V) => {
              const key = await V.parseVerifierKey(vkey);
              const out = {};
              out.note = (await V.verifyCheckpoint(note, key)).status;
              out.noteFlipped = (await V.verifyCheckpoint(note.replace('\\n8\\n', '\\n9\\n'), key)).status;
              out.balance = (await V.verifyBalanceProof(doc, key)).status;
              const other = JSON.parse(JSON.stringify(doc)); other.account.nonce = '3';
              out.balanceNonce = (await V.verifyBalanceProof(other, key)).status;
              const swapped = JSON.parse(JSON.stringify(doc)); swapped.proof.reverse();
              out.balanceSwapped = (await V.verifyBalanceProof(swapped, key)).status;
              const short = JSON.parse(JSON.stringify(doc)); short.proof.pop();
              out.balanceShort = (await V.verifyBalanceProof(short, key)).status;
              try { await V.parseVerifierKey(vkey.replace('7ea33a00', '7ea33a01')); out.badKeyID = 'accepted'; }
              catch (e) { out.badKeyID = 'refused'; }
              done(out);
            }, (e) => done({ error: String(e) }));
        """, vkey, note, bp["document"])
        self.check(result == {"note": "valid", "noteFlipped": "invalid", "balance": "valid", "balanceNonce": "invalid",
                              "balanceSwapped": "invalid", "balanceShort": "invalid", "badKeyID": "refused"}, f"{result}")

    def test_10_console_serves_only_its_files(self):
        for path, status in [("/console/app.js", 200), ("/console/..%2FPackage.swift", 404),
                             ("/console/%2e%2e/%2e%2e/Package.swift", 404), ("/console/", 404), ("/console/nope.js", 404)]:
            try:
                with urllib.request.urlopen(URL + path, timeout=10) as r:
                    got = r.status
                    csp = r.headers.get("Content-Security-Policy", "")
            except urllib.error.HTTPError as e:
                got, csp = e.code, ""
            self.check(got == status, f"{path}: {got}, want {status}")
            if got == 200:
                self.check("script-src 'self'" in csp and "unsafe-inline" not in csp, f"CSP {csp}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
