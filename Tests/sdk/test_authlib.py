"""Authlib (a generic OAuth 2.0 / OIDC client) against the daemon: discovery, code flow with
PKCE driven through the login page, password and client-credentials grants, userinfo, JWT
validation against the JWKS."""
import re
from urllib.parse import parse_qs, urlparse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token
from authlib.jose import JsonWebKey, jwt

from conftest import APP, M2M


def discovery(daemon):
    return requests.get(daemon.base + "/.well-known/openid-configuration", timeout=10).json()


def validate(daemon, token, audience):
    keys = JsonWebKey.import_key_set(requests.get(discovery(daemon)["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token, keys, claims_options={"iss": {"essential": True, "value": daemon.issuer}, "aud": {"essential": True, "value": audience}})
    claims.validate()
    return claims


def test_discovery_document(daemon):
    doc = discovery(daemon)
    assert doc["issuer"] == daemon.issuer
    assert "S256" in doc["code_challenge_methods_supported"]
    assert doc["token_endpoint"] == daemon.base + "/oauth/token"


def test_authorization_code_flow_with_pkce(daemon):
    doc = discovery(daemon)
    session = OAuth2Session(APP["id"], APP["secret"], scope="openid profile email", redirect_uri=APP["callback"],
                            code_challenge_method="S256")
    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = session.create_authorization_url(doc["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

    browser = requests.Session()
    page = browser.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    tx = re.search(r'name="tx" value="([a-f0-9]+)"', page.text).group(1)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    done = browser.post(daemon.base + "/authorize/login", data={"tx": tx, "_csrf": csrf, "username": "bob@example.com", "password": "Passw0rd!"},
                        allow_redirects=False, timeout=10)
    assert done.status_code == 302
    location = done.headers["Location"]
    assert parse_qs(urlparse(location).query)["state"] == [state]

    token = session.fetch_token(doc["token_endpoint"], authorization_response=location, code_verifier=verifier)
    claims = validate(daemon, token["id_token"], APP["id"])
    assert claims["nonce"] == nonce
    assert claims["https://example.com/plan"] == "pro"

    info = session.get(doc["userinfo_endpoint"]).json()
    assert info["email"] == "bob@example.com"
    assert info["https://example.com/roles"] == ["editor"]


def test_password_grant_and_client_credentials(daemon):
    doc = discovery(daemon)
    user = OAuth2Session(APP["id"], APP["secret"], scope="openid email")
    token = user.fetch_token(doc["token_endpoint"], username="ann@example.com", password="Passw0rd!", audience="https://api.example.com")
    access = validate(daemon, token["access_token"], "https://api.example.com")
    assert access["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82"

    machine = OAuth2Session(M2M["id"], M2M["secret"], token_endpoint_auth_method="client_secret_basic")
    cc = machine.fetch_token(doc["token_endpoint"], grant_type="client_credentials", audience="https://api.example.com")
    claims = validate(daemon, cc["access_token"], "https://api.example.com")
    assert claims["gty"] == "client-credentials"
    assert claims["scope"] == "read:orders"


def rotating_tenant(backchannel_url):
    """The sample tenant with My App on rotating, expiring refresh tokens (no reuse interval) and
    a back-channel logout URL."""
    import json
    import os
    from conftest import tenant_copy
    d = tenant_copy()
    path = os.path.join(d, "clients", "My App.json")
    with open(path) as f:
        client = json.load(f)
    client["refresh_token"] = {"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 0,
                               "token_lifetime": 86400, "idle_token_lifetime": 3600}
    client["oidc_logout"] = {"backchannel_logout_urls": [backchannel_url]}
    with open(path, "w") as f:
        json.dump(client, f)
    return d


def test_form_post_code_flow_rotation_reuse_detection_and_oidc_logout():
    """express-openid-connect's shape of login: form_post, refresh tokens that rotate, a reused
    one revoking the family, then RP-initiated logout with a back-channel logout token."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from authlib.integrations.base_client.errors import OAuthError

    from conftest import Daemon

    received = []
    delivered = threading.Event()

    class Backchannel(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append(parse_qs(body)["logout_token"][0])
            self.send_response(200)
            self.end_headers()
            delivered.set()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Backchannel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    d = Daemon(rotating_tenant("http://127.0.0.1:%d/backchannel" % server.server_port))
    try:
        doc = discovery(d)
        assert doc["end_session_endpoint"] == d.base + "/oidc/logout"
        assert doc["backchannel_logout_supported"] is True
        session = OAuth2Session(APP["id"], APP["secret"], scope="openid profile email offline_access", redirect_uri=APP["callback"],
                                code_challenge_method="S256")
        verifier = generate_token(48)
        url, state = session.create_authorization_url(doc["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(16),
                                                      response_mode="form_post", audience="https://api.example.com")
        browser = requests.Session()
        page = browser.get(url, allow_redirects=False, timeout=10)
        tx = re.search(r'name="tx" value="([a-f0-9]+)"', page.text).group(1)
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
        done = browser.post(d.base + "/authorize/login", data={"tx": tx, "_csrf": csrf, "username": "ann@example.com", "password": "Passw0rd!"},
                            allow_redirects=False, timeout=10)
        # form_post: a page whose form posts the response to the callback.
        assert done.status_code == 200
        assert 'action="%s"' % APP["callback"] in done.text
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', done.text))
        assert fields["state"] == state
        token = session.fetch_token(doc["token_endpoint"], authorization_response=APP["callback"] + "?code=%s&state=%s" % (fields["code"], state),
                                    code_verifier=verifier)
        id_claims = validate(d, token["id_token"], APP["id"])
        first = token["refresh_token"]

        # Rotation: every exchange answers with a new refresh token.
        second = session.refresh_token(doc["token_endpoint"], refresh_token=first)["refresh_token"]
        assert second != first
        third = session.refresh_token(doc["token_endpoint"], refresh_token=second)["refresh_token"]
        assert third not in (first, second)
        # Reuse of a rotated token: refused, and the whole family with it.
        for reused in (first, third):
            try:
                session.refresh_token(doc["token_endpoint"], refresh_token=reused)
                raise AssertionError("a revoked refresh token was accepted")
            except OAuthError as e:
                assert e.error == "invalid_grant"

        # RP-initiated logout: back to the app with its state; the session is gone; the app's
        # back-channel URL gets a logout token for that session.
        out = browser.get(doc["end_session_endpoint"], params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": "http://localhost:3000/",
                                                               "state": "bye"}, allow_redirects=False, timeout=10)
        assert out.status_code == 302
        assert out.headers["Location"] == "http://localhost:3000/?state=bye"
        silent, _ = session.create_authorization_url(doc["authorization_endpoint"], code_verifier=verifier, prompt="none")
        after = browser.get(silent, allow_redirects=False, timeout=10)
        assert "error=login_required" in after.headers["Location"]
        assert delivered.wait(60), "no back-channel logout token arrived"
        logout = validate(d, received[0], APP["id"])
        assert logout["sid"] == id_claims["sid"]
        assert logout["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82"
        assert "http://schemas.openid.net/event/backchannel-logout" in logout["events"]
        assert "nonce" not in logout
    finally:
        assert d.stop() == 0
        server.shutdown()
