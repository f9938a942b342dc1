"""The built-in `jsonwebtoken` module against PyJWT: tokens signed by a rule verify in Python,
and tokens signed in Python verify in the rule (and a wrong secret is refused)."""
import json
import os
import subprocess
import tempfile
import time

import jwt

from conftest import BINARY

SECRET = "shared-secret-for-the-test"

RULE = """
function (user, context, callback) {
  const jsonwebtoken = require('jsonwebtoken@8.5.1');
  const incoming = context.request.query.token;
  let verified;
  try {
    verified = jsonwebtoken.verify(incoming, configuration.JWT_SECRET, { audience: 'rule', issuer: 'python' }).sub;
  } catch (e) {
    verified = e.name + ': ' + e.message;
  }
  context.idToken['https://t/verified'] = verified;
  context.idToken['https://t/signed'] = jsonwebtoken.sign({ sub: user.user_id, role: 'tester' }, configuration.JWT_SECRET,
    { algorithm: 'HS256', expiresIn: '5m', audience: 'python', issuer: 'rule' });
  callback(null, user, context);
}
"""


def simulate(token):
    with tempfile.TemporaryDirectory(prefix="authsim-jwt-") as d:
        return simulate_in(d, token)


def simulate_in(d, token):
    os.makedirs(os.path.join(d, "rules"))
    os.makedirs(os.path.join(d, "rules-configs"))
    with open(os.path.join(d, "tenant.json"), "w") as f:
        json.dump({"authsim": {"domain": "jwt.authsim.local"}}, f)
    with open(os.path.join(d, "rules", "jwt.js"), "w") as f:
        f.write(RULE)
    with open(os.path.join(d, "rules", "jwt.json"), "w") as f:
        json.dump({"name": "jwt", "order": 1, "enabled": True}, f)
    with open(os.path.join(d, "rules-configs", "JWT_SECRET.json"), "w") as f:
        json.dump({"key": "JWT_SECRET", "value": SECRET}, f)
    with open(os.path.join(d, "request.json"), "w") as f:
        json.dump({"user": {"user_id": "auth0|py1", "email": "py@example.com"}, "request": {"query": {"token": token}}}, f)
    out = subprocess.run([BINARY, "simulate", "--tenant", d, "--store", os.path.join(d, "s.sqlite"),
                          "--request", os.path.join(d, "request.json"), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["idToken"]["claims"]


def test_tokens_cross_verify_between_the_rule_and_pyjwt():
    now = int(time.time())
    python_token = jwt.encode({"sub": "from-python", "aud": "rule", "iss": "python", "iat": now, "exp": now + 60}, SECRET, algorithm="HS256")
    claims = simulate(python_token)
    assert claims["https://t/verified"] == "from-python"

    signed = claims["https://t/signed"]
    payload = jwt.decode(signed, SECRET, algorithms=["HS256"], audience="python", issuer="rule")
    assert payload["sub"] == "auth0|py1"
    assert payload["role"] == "tester"
    assert payload["exp"] - payload["iat"] == 300
    assert jwt.get_unverified_header(signed) == {"alg": "HS256", "typ": "JWT"}


def test_rule_refuses_a_token_signed_with_another_secret():
    forged = jwt.encode({"sub": "mallory", "aud": "rule", "iss": "python"}, "not-the-secret-but-long-enough-for-hs256", algorithm="HS256")
    claims = simulate(forged)
    assert claims["https://t/verified"] == "JsonWebTokenError: invalid signature"
