"""A real OpenID Connect provider for the tests: `oidc-provider` (npm) on 127.0.0.1, run by node.

`running_provider(...)` installs the provider's pinned packages when `node_modules` is missing
(`npm ci`, from package-lock.json), starts `provider.mjs` on a free port and stops it afterwards.
`Browser` is a person's browser at the provider: it follows the provider's redirects and fills
in its login page, and hands back the redirect to the app's callback.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

HERE = Path(__file__).resolve().parent
SECRET = "test-client-secret-0123456789"


def ensure_installed() -> None:
    """`npm ci` once on a fresh machine (CI has node and npm; the lock file pins every version)."""
    if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: the sign-in tests run a real OpenID Connect provider on node 20+")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TestProvider:
    """A running provider; change its users or make its ID tokens misbehave between sign-ins."""

    __test__ = False  # not a test class
    issuer: str
    state_path: Path
    client_id: str

    def _state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def _write(self, state: dict) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_path)  # the provider never reads a half-written file

    def set_user(self, login: str, **claims) -> None:
        state = self._state()
        state["users"][login] = claims
        self._write(state)

    def misbehave(self, mode: str | None) -> None:
        """"tampered", "wrong-audience", "expired", or None for honest ID tokens."""
        state = self._state()
        state["id_token"] = mode
        self._write(state)

    def env(self, name: str = "county", **settings: str) -> dict[str, str]:
        """OIDC_* settings for the app, as an operator would write them."""
        prefix = f"OIDC_{name.upper()}_"
        values = {"ISSUER": self.issuer, "CLIENT_ID": self.client_id, "CLIENT_SECRET": SECRET,
                  "LABEL": "Vestland fylkeskommune", "SCOPES": "openid email profile groups", **settings}
        return {"OIDC_PROVIDERS": name, **{prefix + k: v for k, v in values.items()}}


@contextlib.contextmanager
def running_provider(tmp_path: Path, app_url: str, provider_names=("county",), users: dict | None = None):
    """Start the provider with one client whose redirect URIs point at `app_url`."""
    ensure_installed()
    port = free_port()
    state_path = tmp_path / "oidc-state.json"
    client = {
        "client_id": "veiled", "client_secret": SECRET,
        "redirect_uris": [f"{app_url}/login/oidc/{name}/callback" for name in provider_names],
        "post_logout_redirect_uris": [f"{app_url}/login"],
    }
    state_path.write_text(json.dumps({"port": port, "clients": [client], "users": users or {}, "id_token": None}))
    log = (tmp_path / "oidc-provider.log").open("w")
    process = subprocess.Popen(["node", str(HERE / "provider.mjs"), str(state_path)], cwd=HERE,
                               stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NODE_ENV": "test"})
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(issuer, process, tmp_path / "oidc-provider.log")
        yield TestProvider(issuer=issuer, state_path=state_path, client_id="veiled")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_up(issuer: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID Connect provider stopped:\n{log_path.read_text()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the OpenID Connect provider did not start:\n{log_path.read_text()}")


class Browser:
    """A person's browser at the provider (its own cookies), driven through the real login page."""

    def __init__(self, provider: TestProvider):
        self.provider = provider
        self.http = requests.Session()

    def follow(self, url: str) -> requests.Response:
        """Follow redirects while they stay at the provider; return the first answer that does not."""
        for _ in range(10):
            response = self.http.get(url, allow_redirects=False, timeout=10)
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307) or not location:
                return response
            url = urljoin(url, location)
            if not url.startswith(self.provider.issuer):
                return response
        raise AssertionError("too many redirects at the provider")

    def sign_in(self, authorize_url: str, login: str, password: str = "any password") -> str:
        """From the app's redirect to the provider to the app's callback URL (path and query)."""
        response = self.follow(authorize_url)
        if response.status_code == 200 and 'name="login"' in response.text:
            action = urljoin(response.url, re.search(r'<form[^>]*action="([^"]+)"', response.text).group(1))
            response = self.http.post(action, data={"prompt": "login", "login": login, "password": password},
                                      allow_redirects=False, timeout=10)
            response = self.follow(urljoin(action, response.headers["Location"]))
        assert response.status_code in (302, 303), f"the provider answered {response.status_code}: {response.text[:500]}"
        callback = urlsplit(response.headers["Location"])
        return f"{callback.path}?{callback.query}"

    def sign_out(self, end_session_url: str) -> requests.Response:
        """Confirm sign-out on the provider's page; returns the redirect back to the app."""
        page = self.follow(end_session_url)
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
        response = self.http.post(urljoin(page.url, form.group(1)), data={**fields, "logout": "yes"},
                                  allow_redirects=False, timeout=10)
        location = urljoin(page.url, response.headers["Location"])
        return self.follow(location) if location.startswith(self.provider.issuer) else response
