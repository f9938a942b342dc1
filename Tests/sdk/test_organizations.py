"""Organizations with real clients: auth0-python's Management client creates an organization,
adds a member with a role and invites another user; authlib runs the code flow with
`organization` through the login page, and an invitation through the sign-up form, and checks
`org_id`/`org_name` in ID tokens verified against the JWKS."""
import json
import os
import re
import shutil
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from auth0.authentication import GetToken
from auth0.management import Auth0
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt

from conftest import APP, M2M, Daemon, tenant_copy

ANN = "auth0|5f7c8ec7c33c6c004bbafe82"


@pytest.fixture(scope="module")
def daemon():
    """A daemon on a copy of the sample tenant: the organizations created here are files in it."""
    tenant = tenant_copy()
    grant_file = os.path.join(tenant, "client-grants", "example-api.json")
    with open(grant_file) as f:
        grant = json.load(f)
    grant.update({"organization_usage": "allow", "allow_any_organization": True})
    with open(grant_file, "w") as f:
        json.dump(grant, f)
    d = Daemon(tenant=tenant)
    yield d
    assert d.stop() == 0
    shutil.rmtree(tenant, ignore_errors=True)


def management(daemon):
    token = GetToken(daemon.host, M2M["id"], client_secret=M2M["secret"], protocol="http").client_credentials(
        audience=daemon.issuer + "api/v2/")["access_token"]
    return Auth0(base_url=daemon.base + "/api/v2", token=token)


def verified_claims(daemon, id_token):
    keys = JsonWebKey.import_key_set(requests.get(daemon.base + "/.well-known/jwks.json", timeout=10).json())
    claims = jwt.decode(id_token, keys, claims_options={"iss": {"essential": True, "value": daemon.issuer},
                                                         "aud": {"essential": True, "value": APP["id"]}})
    claims.validate()
    return claims


def code_flow(daemon, organization, fill, extra=None):
    """authlib's authorization URL with `organization` (and `extra` parameters), the login pages
    driven by `fill(browser, page) -> response with the callback redirect`, the code exchanged."""
    session = OAuth2Session(APP["id"], APP["secret"], scope="openid profile email", redirect_uri=APP["callback"])
    nonce = generate_token(16)
    url, state = session.create_authorization_url(
        daemon.base + "/authorize", nonce=nonce, organization=organization, **(extra or {}))
    browser = requests.Session()
    page = browser.get(url, allow_redirects=False, timeout=10)
    done = fill(browser, page)
    assert done.status_code == 302, done.text[:500]
    location = done.headers["Location"]
    query = parse_qs(urlparse(location).query)
    assert query["state"] == [state]
    if "error" in query:
        return None, query
    token = session.fetch_token(daemon.base + "/oauth/token", authorization_response=location)
    return verified_claims(daemon, token["id_token"]), query


def form_fields(page):
    return (re.search(r'name="tx" value="([a-f0-9]+)"', page.text).group(1),
            re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1))


def log_in(username, password):
    def fill(browser, page):
        assert page.status_code == 200, page.text[:300]
        assert 'action="/authorize/login"' in page.text
        tx, csrf = form_fields(page)
        return browser.post(page.url.split("/authorize")[0] + "/authorize/login",
                            data={"tx": tx, "_csrf": csrf, "username": username, "password": password},
                            allow_redirects=False, timeout=10)
    return fill


def test_organization_admin_and_login_with_real_clients(daemon):
    client = management(daemon)
    name = "org-" + uuid.uuid4().hex[:8]
    created = client.organizations.create(
        name=name, display_name="SDK Org",
        enabled_connections=[{"connection_id": "Username-Password-Authentication", "assign_membership_on_login": False}])
    assert created.id.startswith("org_")
    assert client.organizations.get_by_name(name).id == created.id
    assert name in [o.name for o in client.organizations.list()]

    # Not a member yet: the login in the organization is refused on the callback.
    claims, query = code_flow(daemon, created.id, log_in("ann@example.com", "Passw0rd!"))
    assert claims is None and query["error"] == ["access_denied"]

    admin = next(r for r in client.roles.list() if r.name == "admin")
    client.organizations.members.create(created.id, members=[ANN])
    client.organizations.members.roles.assign(created.id, ANN, roles=[admin.id])
    assert [m.user_id for m in client.organizations.members.list(created.id)] == [ANN]
    assert [r.name for r in client.organizations.members.roles.list(created.id, ANN)] == ["admin"]

    claims, _ = code_flow(daemon, name, log_in("ann@example.com", "Passw0rd!"))
    assert claims["org_id"] == created.id
    assert claims["org_name"] == name
    assert claims["sub"] == ANN

    # The password-realm grant in the organization: Bob is not a member.
    refused = requests.post(daemon.base + "/oauth/token", data={
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "client_id": APP["id"], "client_secret": APP["secret"],
        "username": "bob@example.com", "password": "Passw0rd!", "realm": "Username-Password-Authentication",
        "scope": "openid", "organization": created.id}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "access_denied"

    client.organizations.delete(created.id)
    with pytest.raises(Exception):
        client.organizations.get(created.id)


def test_an_invitation_signs_the_invitee_up_into_the_organization(daemon):
    client = management(daemon)
    name = "inv-" + uuid.uuid4().hex[:8]
    org = client.organizations.create(name=name, enabled_connections=[{"connection_id": "Username-Password-Authentication"}])
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    invitation = client.organizations.invitations.create(
        org.id, inviter={"name": "Ann"}, invitee={"email": email}, client_id=APP["id"], app_metadata={"team": "blue"})
    params = parse_qs(urlparse(invitation.invitation_url).query)
    assert params["organization"] == [org.id] and params["organization_name"] == [name]

    def sign_up(browser, page):
        assert 'action="/authorize/signup"' in page.text, page.text[:300]
        tx, csrf = form_fields(page)
        return browser.post(page.url.split("/authorize")[0] + "/authorize/signup",
                            data={"tx": tx, "_csrf": csrf, "email": email, "password": "Inv1ted-Passw0rd"},
                            allow_redirects=False, timeout=10)

    claims, _ = code_flow(daemon, org.id, sign_up, extra={"invitation": params["invitation"][0]})
    assert claims["org_id"] == org.id
    assert claims["email"] == email
    members = list(client.organizations.members.list(org.id))
    assert [m.email for m in members] == [email]
    user = client.users.get(members[0].user_id)
    assert user.email_verified is True
    assert user.app_metadata == {"team": "blue"}
    assert list(client.organizations.invitations.list(org.id)) == []


def test_client_credentials_in_an_organization_through_auth0_python(daemon):
    token = GetToken(daemon.host, M2M["id"], client_secret=M2M["secret"], protocol="http").client_credentials(
        audience="https://api.example.com", organization="acme")["access_token"]
    keys = JsonWebKey.import_key_set(requests.get(daemon.base + "/.well-known/jwks.json", timeout=10).json())
    claims = jwt.decode(token, keys, claims_options={"aud": {"essential": True, "value": "https://api.example.com"}})
    claims.validate()
    assert claims["org_id"].startswith("org_") and claims["org_name"] == "acme"
    assert claims["gty"] == "client-credentials"
