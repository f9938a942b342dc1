"""Starts the real authsim daemon on a free loopback port for the SDK tests."""
import atexit
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("AUTHSIM_BIN", os.path.join(ROOT, ".build", "release", "authsim"))

APP = {"id": "sampleAppClientId00000000000000", "secret": "sample-app-client-secret-change-me",
       "callback": "http://localhost:3000/callback"}
M2M = {"id": "sampleManagementClientId0000000", "secret": "sample-management-secret-change-me"}


TENANT_ITEMS = ["tenant.json", "geoip.json", "rules", "rules-configs", "clients", "client-grants", "connections",
                "database-connections", "resource-servers", "roles", "users", "actions", "triggers", "legacy-db", "organizations"]


def tenant_copy():
    """A copy of the sample tenant that a test may change (rules written through the API land there)."""
    d = tempfile.mkdtemp(prefix="authsim-sdk-tenant-")
    atexit.register(shutil.rmtree, d, True)  # the daemons that serve it have stopped by then
    for item in TENANT_ITEMS:
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(d, item))
    return d


class Daemon:
    def __init__(self, tenant=ROOT, extra=()):
        self.dir = tempfile.mkdtemp(prefix="authsim-sdk-")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--tenant", tenant, "--port", "0", "--store", os.path.join(self.dir, "authsim.sqlite"), "--workers", "2", *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        seen = ""
        deadline = time.time() + 30
        while "Console:" not in seen and time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                time.sleep(0.05)
                continue
            seen += line
        match = re.search(r"http://127\.0\.0\.1:\d+", seen)
        if not match:
            self.proc.kill()
            raise RuntimeError("daemon did not start: " + seen)
        self.base = match.group(0)
        self.host = self.base[len("http://"):]
        self.issuer = self.base + "/"
        console = re.search(r"Console: (\S+)", seen)
        self.console_link = console.group(1) if console else None
        self.token_file = os.path.join(self.dir, "management-token")

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


@pytest.fixture(scope="module")
def daemon():
    d = Daemon()
    yield d
    assert d.stop() == 0


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1800"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
    yield driver
    driver.quit()
