"""Multi-factor authentication enforced, with real clients: auth0-python's password-realm login
answered with `mfa_required`, finished through the MFA API with a TOTP code this test computes
(RFC 6238 in a few lines of Python, independent of the daemon's); and the browser enrolment and
challenge in headless Chromium, where the test scans the page's QR code (zxing-cpp) to get the
secret."""
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import time
from urllib.parse import parse_qs, urlencode, urlparse

import numpy
import pytest
import requests
import zxingcpp
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import APP, Daemon, tenant_copy

MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"


def totp(secret, at=None, step=30):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // step))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


@pytest.fixture(scope="module")
def mfa_daemon():
    """The sample tenant with a rule that asks every login for a second factor."""
    tenant = tenant_copy()
    with open(os.path.join(tenant, "rules", "require-mfa.js"), "w") as f:
        f.write("function (user, context, callback) { context.multifactor = { provider: 'any' }; callback(null, user, context); }")
    with open(os.path.join(tenant, "rules", "require-mfa.json"), "w") as f:
        json.dump({"name": "require-mfa", "order": 10, "enabled": True}, f)
    path = os.path.join(tenant, "clients", "My App.json")
    with open(path) as f:
        client = json.load(f)
    client["grant_types"].append(MFA_OTP)
    with open(path, "w") as f:
        json.dump(client, f)
    d = Daemon(tenant)
    yield d
    assert d.stop() == 0


def test_password_realm_login_needs_the_second_factor(mfa_daemon):
    d = mfa_daemon
    gt = GetToken(d.host, APP["id"], client_secret=APP["secret"], protocol="http")
    with pytest.raises(Auth0Error) as raised:
        gt.login(username="ann@example.com", password="Passw0rd!", realm="Username-Password-Authentication", scope="openid offline_access")
    assert raised.value.status_code == 403
    assert raised.value.error_code == "mfa_required"
    mfa_token = raised.value.content["mfa_token"]

    bearer = {"Authorization": "Bearer " + mfa_token}
    enrolment = requests.post(d.base + "/mfa/associate", json={"client_id": APP["id"], "authenticator_types": ["otp"]}, headers=bearer, timeout=10).json()
    assert enrolment["authenticator_type"] == "otp"
    assert parse_qs(urlparse(enrolment["barcode_uri"]).query)["secret"] == [enrolment["secret"]]

    # The grant, sent as auth0-python sends every grant.
    bad = "000000" if totp(enrolment["secret"]) != "000000" else "111111"
    with pytest.raises(Auth0Error) as wrong:
        gt.authenticated_post(f"{gt.protocol}://{gt.domain}/oauth/token",
                              data={"client_id": APP["id"], "grant_type": MFA_OTP, "mfa_token": mfa_token, "otp": bad})
    assert wrong.value.error_code == "invalid_grant"
    tokens = gt.authenticated_post(f"{gt.protocol}://{gt.domain}/oauth/token",
                                   data={"client_id": APP["id"], "grant_type": MFA_OTP, "mfa_token": mfa_token, "otp": totp(enrolment["secret"])})
    verifier = TokenVerifier(signature_verifier=AsymmetricSignatureVerifier(d.base + "/.well-known/jwks.json"), issuer=d.issuer, audience=APP["id"])
    claims = verifier.verify(tokens["id_token"])
    assert claims["amr"] == ["mfa"]
    assert claims["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82"
    assert tokens["refresh_token"]


def scan(svg):
    """The text of the page's QR code: its modules drawn into an image zxing-cpp reads."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    image = numpy.full((size * 4, size * 4), 255, dtype=numpy.uint8)
    for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg):
        image[int(y) * 4:int(y) * 4 + 4, int(x) * 4:int(x) * 4 + 4] = 0
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code could be read from the page"
    return found[0].text


def test_browser_enrolment_then_challenge(mfa_daemon, browser):
    d = mfa_daemon
    url = d.base + "/authorize?" + urlencode({"response_type": "code", "client_id": APP["id"], "redirect_uri": APP["callback"],
                                             "scope": "openid", "state": "s1"})

    def login():
        # A new browser session: the daemon's cookies go (from one of its pages: the app's
        # callback, not served here, is an error page).
        browser.get(d.base + "/healthz")
        browser.delete_all_cookies()
        browser.get(url)
        browser.find_element(By.ID, "username").send_keys("bob@example.com")
        browser.find_element(By.ID, "password").send_keys("Passw0rd!")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 30).until(lambda b: "/mfa?state=" in b.current_url)

    def finish(code):
        browser.find_element(By.ID, "code").send_keys(code)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 30).until(lambda b: b.current_url.startswith(APP["callback"]))
        assert "code=" in browser.current_url and "state=s1" in browser.current_url

    # Enrolment: the QR code holds the otpauth URI; its secret is the one printed beside it.
    login()
    uri = scan(browser.find_element(By.ID, "mfa-qr").get_attribute("innerHTML"))
    assert uri.startswith("otpauth://totp/")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    assert browser.find_element(By.ID, "mfa-secret").text == secret
    finish(totp(secret))

    # The next login (a new browser session): a challenge, no enrolment. The code of the next
    # step (the one just used is not accepted twice).
    login()
    assert not browser.find_elements(By.ID, "mfa-secret")
    finish(totp(secret, at=time.time() + 30))
