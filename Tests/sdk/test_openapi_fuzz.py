"""The reliability suite's OpenAPI-driven fuzz: schemathesis generates requests (valid and
invalid) for every operation of the Management API subset and the simulation API from the
daemon's own OpenAPI document, and checks each answer: never a 5xx, only documented status
codes and content types, and bodies that match the documented schemas. Runs against a copy of
the sample tenant (rules written through the API land there)."""
import json
import os
import shutil
import subprocess
import sys
import urllib.request

from conftest import Daemon, tenant_copy

ARTIFACTS = os.environ.get("AUTHSIM_ARTIFACTS", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "test-artifacts"))
EXAMPLES = os.environ.get("AUTHSIM_SCHEMATHESIS_EXAMPLES", "25")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_management_and_simulation_apis_under_schemathesis():
    tenant = tenant_copy()
    d = Daemon(tenant=tenant)
    try:
        token = open(d.token_file).read().strip()
        schema_url = d.base + "/api/authsim/openapi.yaml"
        with urllib.request.urlopen(schema_url) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("application/yaml")
        report = os.path.join(ARTIFACTS, "schemathesis")
        shutil.rmtree(report, ignore_errors=True)
        os.makedirs(report, exist_ok=True)
        st = os.path.join(os.path.dirname(sys.executable), "schemathesis")
        # One worker: with two, hypothesis parses lambda sources in two threads at once, which
        # CPython 3.11's ast.parse does not survive ("AST constructor recursion depth mismatch").
        run = subprocess.run(
            [st, "run", schema_url, "--url", d.base, "-H", "Authorization: Bearer " + token,
             "--checks", CHECKS, "--max-examples", EXAMPLES, "--phases", "examples,coverage,fuzzing",
             "--seed", "20261122", "--workers", "1", "--generation-database", "none", "--no-color",
             "--report", "junit,ndjson", "--report-dir", report, "--request-timeout", "30"],
            capture_output=True, text=True, timeout=900)
        with open(os.path.join(report, "output.txt"), "w") as f:
            f.write(run.stdout + run.stderr)
        summary = [line for line in run.stdout.splitlines() if "generated" in line or "passed" in line or "failed" in line]
        print("\n".join(summary))
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
        assert "90 selected" in run.stdout
        # The daemon is still healthy afterwards.
        with urllib.request.urlopen(d.base + "/healthz") as r:
            assert json.load(r)["status"] == "ok"
    finally:
        assert d.stop() == 0
        shutil.rmtree(tenant, ignore_errors=True)
