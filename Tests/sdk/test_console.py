"""The web console in a real browser: Debian's headless Chromium driven by Selenium through
chromium-driver, against the real daemon. A screenshot of the simulation page is kept as a test
artifact (AUTHSIM_ARTIFACTS, default .build/test-artifacts/console-simulation.png)."""
import json
import os
import re
import urllib.error
import urllib.request

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import APP, ROOT

ARTIFACTS = os.environ.get("AUTHSIM_ARTIFACTS", os.path.join(ROOT, ".build", "test-artifacts"))


def call(daemon, method, path, body=None, token=None):
    """The daemon's API with the management token `authsim serve` wrote beside its store."""
    if token is None:
        with open(daemon.token_file) as f:
            token = f.read().strip()
    request = urllib.request.Request(daemon.base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait(driver, condition, timeout=20):
    # The console re-renders panels after each change: an element may be replaced while read.
    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)


def visible(driver, css):
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def test_console_end_to_end(daemon, browser):
    assert daemon.console_link, "authsim serve printed no console link"
    code = daemon.console_link.split("#login=", 1)[1]

    # Sign in through the one-time link printed at start-up.
    browser.get(daemon.console_link)
    visible(browser, "#page-simulate")
    assert browser.find_element(By.ID, "nav").is_displayed()
    assert "#login=" not in browser.current_url, "the one-time code stays out of the address bar"
    # The link works once only.
    request = urllib.request.Request(daemon.base + "/console/session", data=json.dumps({"code": code}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as used:
        urllib.request.urlopen(request, timeout=10)
    assert used.value.code == 401

    # Run a simulation: ann, the interactive client, a login from France.
    wait(browser, lambda d: len(Select(d.find_element(By.ID, "sim-client")).options) > 0)
    browser.find_element(By.ID, "sim-user").send_keys("ann@example.com")
    browser.find_element(By.ID, "sim-country").send_keys("FR")
    browser.find_element(By.ID, "sim-ip").send_keys("198.51.100.4")
    browser.find_element(By.ID, "sim-run").click()
    outcome = visible(browser, "#outcome")
    assert outcome.text == "allowed"

    # The timeline is drawn: one bar per rule that ran, named.
    bars = browser.find_elements(By.CSS_SELECTOR, "#timeline rect[data-step]")
    assert [b.get_attribute("data-step") for b in bars] == [
        "add-roles-to-tokens", "require-verified-email", "metadata-claims", "geoip-country", "track-first-login"]
    assert all(float(b.get_attribute("width")) >= 2 for b in bars)

    # Claims are labelled with the rule that set them; the request's country reached the rule.
    country = browser.find_element(By.CSS_SELECTOR, '#id-token tr[data-claim="https://example.com/country"]')
    assert "FR" in country.text
    assert country.find_element(By.CSS_SELECTOR, "[data-set-by]").get_attribute("data-set-by") == "geoip-country"
    roles = browser.find_element(By.CSS_SELECTOR, '#access-token tr[data-claim="https://example.com/roles"] [data-set-by]')
    assert roles.text == "add-roles-to-tokens"
    # The geoip rule's console line is in its step.
    step = browser.find_element(By.CSS_SELECTOR, 'details.step[data-step="geoip-country"]')
    browser.execute_script("arguments[0].open = true", step)
    assert "login from" in step.text and "(FR)" in step.text

    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "console-simulation.png")
    assert browser.save_screenshot(shot)
    assert os.path.getsize(shot) > 10_000
    print("screenshot:", shot)

    # Paste a token from a real login into the inspector: verified, explained from its trace.
    status, result = call(daemon, "POST", "/api/authsim/simulate", {"user": "bob@example.com"})
    assert status == 200 and result["outcome"] == "allowed"
    jwt = result["accessToken"]["jwt"]
    browser.get(daemon.base + "/console/#/inspect")
    box = visible(browser, "#inspect-token")
    box.clear()
    box.send_keys(jwt)
    browser.find_element(By.CSS_SELECTOR, "#inspect-form button").click()
    signature = visible(browser, "#signature")
    assert signature.text == "signature valid"
    sub = browser.find_element(By.CSS_SELECTOR, '#inspect-claims tr[data-claim="sub"]')
    assert result["accessToken"]["claims"]["sub"] in sub.text
    plan = browser.find_element(By.CSS_SELECTOR, '#inspect-claims tr[data-claim="https://example.com/plan"] [data-set-by]')
    assert plan.text == "metadata-claims"
    assert browser.find_elements(By.CSS_SELECTOR, "#inspect-result #timeline rect[data-step]")
    # A tampered token is decoded but not verified.
    header, payload, sig = jwt.split(".")
    box.clear()
    box.send_keys(".".join([header, payload, sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")]))
    browser.find_element(By.CSS_SELECTOR, "#inspect-form button").click()
    wait(browser, lambda d: d.find_element(By.ID, "signature").text == "signature invalid")

    # Users: search, open ann, edit her metadata as JSON; the change is visible through the API.
    browser.get(daemon.base + "/console/#/users")
    search = visible(browser, "#users-q")
    search.send_keys('email:"ann@example.com"')
    browser.find_element(By.CSS_SELECTOR, "#users-form button").click()
    row = visible(browser, "#users-table tbody tr")
    user_id = row.get_attribute("data-user-id")
    row.click()
    editor = visible(browser, "#edit-user-metadata")
    before = json.loads(editor.get_attribute("value"))
    assert "first_login_at" in before, "the simulation above stored the first-login time"
    edited = {k: v for k, v in before.items() if k != "first_login_at"}
    edited["theme"] = "dark"
    editor.clear()
    editor.send_keys(json.dumps(edited))
    browser.find_element(By.ID, "save-metadata").click()
    wait(browser, lambda d: d.find_element(By.ID, "user-status").text == "Saved.")
    status, stored = call(daemon, "GET", "/api/v2/users/" + user_id)
    assert status == 200
    assert stored["user_metadata"]["theme"] == "dark"
    assert "first_login_at" not in stored["user_metadata"], "a key removed in the editor is deleted"
    assert stored["app_metadata"] == json.loads(browser.find_element(By.ID, "edit-app-metadata").get_attribute("value"))

    # Invalid JSON is refused in the page and nothing is sent.
    editor = browser.find_element(By.ID, "edit-user-metadata")
    editor.clear()
    editor.send_keys("{not json")
    browser.find_element(By.ID, "save-metadata").click()
    wait(browser, lambda d: "not valid JSON" in d.find_element(By.ID, "user-status").text)
    assert call(daemon, "GET", "/api/v2/users/" + user_id)[1]["user_metadata"]["theme"] == "dark"

    # Block, seen through the API and by the next login; then unblock.
    browser.find_element(By.ID, "toggle-block").click()
    wait(browser, lambda d: d.find_element(By.ID, "user-status").text == "Blocked.")
    assert call(daemon, "GET", "/api/v2/users/" + user_id)[1]["blocked"] is True
    status, denied = call(daemon, "POST", "/api/authsim/simulate", {"user": "ann@example.com"})
    assert denied["outcome"] == "denied" and denied["error"]["error_description"] == "user is blocked"
    browser.find_element(By.ID, "toggle-block").click()
    wait(browser, lambda d: d.find_element(By.ID, "user-status").text == "Unblocked.")
    assert call(daemon, "GET", "/api/v2/users/" + user_id)[1].get("blocked") in (False, None)

    # Sessions and refresh tokens: a login in another browser (a session) and a password grant
    # (a refresh token) show on ann's card; revoking them there is what the API sees after.
    other = requests.Session()
    page = other.get(daemon.base + "/authorize", params={"response_type": "code", "client_id": APP["id"], "redirect_uri": APP["callback"],
                                                          "scope": "openid"}, timeout=30).text
    fields = {k: re.search(r'name="%s" value="([^"]*)"' % k, page).group(1) for k in ("tx", "_csrf")}
    other.post(daemon.base + "/authorize/login", data=dict(fields, username="ann@example.com", password="Passw0rd!"), allow_redirects=False, timeout=30)
    grant = {"grant_type": "password", "username": "ann@example.com", "password": "Passw0rd!", "client_id": APP["id"],
             "client_secret": APP["secret"], "scope": "openid offline_access"}
    refresh = requests.post(daemon.base + "/oauth/token", data=grant, timeout=30).json()["refresh_token"]
    browser.refresh()
    visible(browser, "#users-table tbody tr").click()
    visible(browser, "#user-refresh-tokens tbody tr").find_element(By.TAG_NAME, "button").click()
    wait(browser, lambda d: d.find_element(By.ID, "user-status").text == "Refresh token revoked.")
    again = requests.post(daemon.base + "/oauth/token", timeout=30, data={"grant_type": "refresh_token", "refresh_token": refresh,
                                                                          "client_id": APP["id"], "client_secret": APP["secret"]})
    assert again.json()["error"] == "invalid_grant"
    assert visible(browser, "#user-sessions tbody tr")
    browser.find_element(By.ID, "revoke-sessions").click()
    wait(browser, lambda d: d.find_element(By.ID, "user-status").text == "Every session ended.")
    assert call(daemon, "GET", "/api/v2/users/" + user_id + "/sessions")[1] == {"sessions": []}
    assert browser.find_element(By.ID, "user-mfa").text == "None."

    # Logs: the tenant's events, with a successful login's stored trace one click away.
    browser.get(daemon.base + "/console/#/logs")
    visible(browser, "#logs-table")
    types = [r.get_attribute("data-log-type") for r in browser.find_elements(By.CSS_SELECTOR, "#logs-table tbody tr")]
    assert "s" in types or "ss" in types or "sapi" in types
    first_with_trace = browser.find_element(By.CSS_SELECTOR, "#logs-table tbody tr button")
    first_with_trace.click()
    visible(browser, "#log-trace #outcome")


def test_console_refuses_a_bad_token(daemon, browser):
    # Still signed in from the test above (the token lives in the tab's session storage).
    browser.get(daemon.base + "/console/#/users")
    visible(browser, "#page-users")
    browser.find_element(By.ID, "sign-out").click()
    visible(browser, "#page-signin")
    assert browser.execute_script("return sessionStorage.length") == 0
    browser.find_element(By.ID, "signin-token").send_keys("not-a-token")
    browser.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    wait(browser, lambda d: "refused" in d.find_element(By.ID, "signin-error").text)
    assert not browser.find_element(By.ID, "nav").is_displayed()
    # The static files carry a content security policy that allows only the daemon's own scripts.
    with urllib.request.urlopen(daemon.base + "/console/console.js", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
