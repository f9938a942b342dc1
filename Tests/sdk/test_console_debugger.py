"""The console's script debugger end to end (authsim serve --debug): headless Chromium sets a
breakpoint in a sample rule by clicking its line, debugs a login, sees it paused there with the
user's email in the scope view, evaluates on the paused frame, steps, continues and sees the login
finish; then records one login's coverage and sees the lines that ran. Screenshots are kept as
artifacts (console-debugger.png, console-coverage.png)."""
import os

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import ROOT, Daemon
from test_console import ARTIFACTS, visible, wait


@pytest.fixture(scope="module")
def debug_daemon():
    d = Daemon(extra=["--debug"])
    yield d
    assert d.stop() == 0


def state(driver):
    return driver.find_element(By.ID, "dbg-state").get_attribute("data-state")


def test_debug_a_login_step_by_step(debug_daemon, browser):
    assert "&debug=" in debug_daemon.console_link, "serve --debug puts the debugger's token in the console link"
    browser.get(debug_daemon.console_link)
    visible(browser, "#debugger")
    assert "debug=" not in browser.current_url, "the token stays out of the address bar"

    # A breakpoint on line 6 of the geoip rule, set by clicking the line number.
    Select(browser.find_element(By.ID, "dbg-script")).select_by_value("rules/geoip-country.js")
    visible(browser, '#dbg-source .source[data-file="rules/geoip-country.js"]')
    browser.find_element(By.CSS_SELECTOR, '#dbg-source .gutter[data-line="6"]').click()
    visible(browser, '#dbg-source .line.bp[data-line="6"]')

    # Debug ann's login from France.
    wait(browser, lambda d: len(Select(d.find_element(By.ID, "sim-client")).options) > 0)
    browser.find_element(By.ID, "sim-user").send_keys("ann@example.com")
    browser.find_element(By.ID, "sim-country").send_keys("FR")
    browser.find_element(By.ID, "sim-debug").click()

    # Paused at the breakpoint: the line marked, the stack, the timeline.
    wait(browser, lambda d: state(d) == "paused", timeout=120)
    assert browser.find_element(By.ID, "dbg-state").text == "paused at rules/geoip-country.js:6"
    visible(browser, '#dbg-source .line.current[data-line="6"]')
    assert "geoipCountry" in browser.find_element(By.CSS_SELECTOR, "#dbg-stack li").text
    bars = {b.get_attribute("data-script"): b.get_attribute("data-status") for b in browser.find_elements(By.CSS_SELECTOR, "#dbg-timeline rect")}
    assert bars["geoip-country"] == "paused"
    assert bars["add-roles-to-tokens"] == "done" and bars["track-first-login"] == "pending"

    # The user's email in the scope view: expand `user`.
    browser.find_element(By.CSS_SELECTOR, '#dbg-scopes .var[data-name="user"]').click()
    email = visible(browser, '#dbg-scopes .var[data-name="user"] + .children .var[data-name="email"] .value')
    assert email.text == '"ann@example.com"'
    # `context` expands too, to the request's country.
    browser.find_element(By.CSS_SELECTOR, '#dbg-scopes .var[data-name="context"]').click()
    visible(browser, '#dbg-scopes .var[data-name="context"] + .children .var[data-name="request"]')

    # A watch expression and the console, both on the paused frame.
    browser.find_element(By.ID, "dbg-watch-input").send_keys("user.email")
    browser.find_element(By.CSS_SELECTOR, "#dbg-watch-form button").click()
    wait(browser, lambda d: "ann@example.com" in d.find_element(By.CSS_SELECTOR, '.watch[data-expression="user.email"]').text)
    browser.find_element(By.ID, "dbg-console-input").send_keys("context.request.geoip.country_code")
    browser.find_element(By.CSS_SELECTOR, "#dbg-console-form button").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#dbg-console-out .out").text == '"FR"')
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser.save_screenshot(os.path.join(ARTIFACTS, "console-debugger.png"))

    # Step over: the next line; `geoip` now has the country.
    browser.find_element(By.ID, "dbg-over").click()
    wait(browser, lambda d: d.find_element(By.ID, "dbg-state").text == "paused at rules/geoip-country.js:7", timeout=60)
    visible(browser, '#dbg-source .line.current[data-line="7"]')
    assert '"FR"' in browser.find_element(By.CSS_SELECTOR, '#dbg-scopes .var[data-name="geoip"] .value').text
    # The watch follows the new pause.
    wait(browser, lambda d: "ann@example.com" in d.find_element(By.CSS_SELECTOR, '.watch[data-expression="user.email"]').text)

    # Continue: the login finishes, with the rule's claim.
    browser.find_element(By.ID, "dbg-resume").click()
    wait(browser, lambda d: state(d) == "finished", timeout=120)
    assert visible(browser, "#outcome").text == "allowed"
    country = browser.find_element(By.CSS_SELECTOR, '#id-token tr[data-claim="https://example.com/country"]')
    assert "FR" in country.text
    assert browser.find_element(By.ID, "dbg-over").get_attribute("disabled") is not None


def test_coverage_of_one_login_in_the_script_view(debug_daemon, browser):
    # Signed in on its own: the management token and the debugger's token in the tab's storage.
    with open(debug_daemon.token_file) as f:
        token = f.read().strip()
    debug_token = debug_daemon.console_link.split("&debug=", 1)[1]
    browser.get(debug_daemon.base + "/console/#/simulate")
    browser.execute_script("sessionStorage.setItem('authsim.console.token', arguments[0]);"
                           "sessionStorage.setItem('authsim.console.debug', arguments[1]);", token, debug_token)
    browser.refresh()
    visible(browser, "#debugger")
    wait(browser, lambda d: len(Select(d.find_element(By.ID, "sim-client")).options) > 0)
    user = browser.find_element(By.ID, "sim-user")
    user.clear()
    user.send_keys("ann@example.com")
    country = browser.find_element(By.ID, "sim-country")
    country.clear()
    country.send_keys("FR")
    browser.find_element(By.ID, "sim-coverage").click()
    browser.find_element(By.ID, "sim-run").click()
    row = visible(browser, '#coverage tr[data-file="rules/geoip-country.js"]')
    assert "6 / 7" in row.text
    row.click()
    visible(browser, '#dbg-source .source[data-file="rules/geoip-country.js"]')
    # Counted by hand: the else branch (line 11) is the one line that did not run.
    assert browser.find_elements(By.CSS_SELECTOR, '#dbg-source .line.uncovered') == browser.find_elements(By.CSS_SELECTOR, '#dbg-source .line[data-line="11"]')
    for n in (5, 6, 7, 8, 9, 13):
        assert browser.find_element(By.CSS_SELECTOR, f'#dbg-source .line[data-line="{n}"]').get_attribute("class").split().count("covered") == 1
    browser.save_screenshot(os.path.join(ARTIFACTS, "console-coverage.png"))
