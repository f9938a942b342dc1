"""The login pages and CORS in a real browser (Debian's headless Chromium through Selenium),
against the real daemon, with a real app on another origin (a loopback HTTP server reached as
`localhost`, another site than the daemon's `127.0.0.1`):
- a login through the page reaches the app's callback with a code;
- a page on another site that posts a login form into the daemon (login CSRF, with a
  transaction and token the attacker fetched for itself) is refused and logs nobody in;
- the app's page (its callback origin is allowed) calls the token endpoint with `fetch`, a page
  on an origin no application allows cannot."""
import html
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import APP, Daemon, tenant_copy


class App:
    """The application's web server: its callback, a hostile page, and a page calling the API."""

    def __init__(self):
        self.pages = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path.split("?")[0], "<title>callback reached</title><p>callback reached</p>")
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def setup():
    app = App()
    tenant = tenant_copy()
    path = os.path.join(tenant, "clients", "My App.json")
    with open(path) as f:
        client = json.load(f)
    client["callbacks"].append(f"http://localhost:{app.port}/callback")
    with open(path, "w") as f:
        json.dump(client, f)
    daemon = Daemon(tenant)
    yield daemon, app
    app.stop()
    assert daemon.stop() == 0


def authorize_url(daemon, app, state):
    return daemon.base + "/authorize?" + urlencode({
        "response_type": "code", "client_id": APP["id"], "redirect_uri": f"http://localhost:{app.port}/callback",
        "scope": "openid email", "state": state})


def wait(driver, condition, timeout=30):
    return WebDriverWait(driver, timeout).until(condition)


def test_login_through_the_page_reaches_the_callback(setup, browser):
    daemon, app = setup
    browser.get(authorize_url(daemon, app, "real-login"))
    browser.find_element(By.ID, "username").send_keys("bob@example.com")
    browser.find_element(By.ID, "password").send_keys("Passw0rd!")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: d.current_url.startswith(f"http://localhost:{app.port}/callback?"))
    assert "code=" in browser.current_url and "state=real-login" in browser.current_url


def test_a_login_form_posted_from_another_site_is_refused(setup, browser):
    daemon, app = setup
    # The attacker opens a login page for itself (its own browser cookie) and copies the form.
    attacker = requests.Session()
    page = attacker.get(authorize_url(daemon, app, "forged"), timeout=30).text
    tx = re.search(r'name="tx" value="([^"]*)"', page).group(1)
    csrf = re.search(r'name="_csrf" value="([^"]*)"', page).group(1)
    app.pages["/attack"] = f"""<title>attack</title>
        <form id="f" method="post" action="{html.escape(daemon.base)}/authorize/login">
        <input type="hidden" name="tx" value="{tx}"><input type="hidden" name="_csrf" value="{csrf}">
        <input type="hidden" name="username" value="bob@example.com"><input type="hidden" name="password" value="Passw0rd!">
        </form><script>document.getElementById("f").submit()</script>"""
    # The victim, logged out, has been to the daemon's login page before (it holds a browser cookie).
    browser.get(daemon.base + "/healthz")
    browser.delete_all_cookies()
    browser.get(authorize_url(daemon, app, "victim"))
    assert "authsim_did" in {c["name"] for c in browser.get_cookies()}
    browser.get(f"http://localhost:{app.port}/attack")
    wait(browser, lambda d: d.current_url.startswith(daemon.base + "/authorize/login"))
    wait(browser, lambda d: "anti-forgery check failed" in d.find_element(By.TAG_NAME, "body").text)
    browser.get(daemon.base + "/healthz")
    assert "authsim_session" not in {c["name"] for c in browser.get_cookies()}
    # The attacker's own transaction was not spent by the refusal.
    done = attacker.post(daemon.base + "/authorize/login", data={"tx": tx, "_csrf": csrf, "username": "bob@example.com", "password": "Passw0rd!"},
                         allow_redirects=False, timeout=30)
    assert done.status_code == 302


FETCH_TOKEN = """<title>loading</title><script>
fetch("%s/oauth/token", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({grant_type: "password", username: "ann@example.com", password: "Passw0rd!",
                            client_id: "%s", client_secret: "%s", scope: "openid"})})
  .then(r => r.json()).then(j => { document.title = j.access_token ? "token" : "error " + j.error; })
  .catch(e => { document.title = "blocked"; });
</script>"""


def test_cors_only_for_the_origins_an_application_allows(setup, browser):
    daemon, app = setup
    app.pages["/spa"] = FETCH_TOKEN % (daemon.base, APP["id"], APP["secret"])
    # The app's own origin (its callback's) may call the token endpoint from JavaScript.
    browser.get(f"http://localhost:{app.port}/spa")
    wait(browser, lambda d: d.title != "loading")
    assert browser.title == "token"
    # The same page on an origin no application lists cannot.
    browser.get(f"http://127.0.0.1:{app.port}/spa")
    wait(browser, lambda d: d.title != "loading")
    assert browser.title == "blocked"
