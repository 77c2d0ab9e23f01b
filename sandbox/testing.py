"""Start a Pic-Time sandbox in a subprocess, for tests (the sandbox's own and the CRM's).

    sb = Sandbox.start()            # temp-dir SQLite, migrate, gunicorn (1 worker, 16 threads) on 127.0.0.1
    acc = sb.create_account("Studio", "me@example.com")
    sb.register_client("studio-crm", "secret", ["http://127.0.0.1:8000/cb/"])
    tokens = sb.issue_grant(acc["id"], "studio-crm")
    ...
    sb.stop()

Server: gunicorn (sandbox/gunicorn_conf.py): gthread, ONE worker process with 16 threads (faults, the
rate limiter and the counters are process-local), a 300 s timeout so that injected hangs do not kill it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from sandbox import GUNICORN_COMMAND

REPO_ROOT = str(Path(__file__).resolve().parent.parent)
DEFAULT_ADMIN_TOKEN = "sandbox-admin-test-token"
TEST_PASSWORD = "pass1234"


class SandboxError(RuntimeError):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path} -> {status}: {body}")
        self.status, self.body = status, body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    url: str
    admin_token: str

    def __init__(
        self, url: str, admin_token: str, process: subprocess.Popen | None = None, workdir: str | None = None
    ):
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self._process = process
        self._workdir = workdir
        self._http = requests.Session()

    # ------------------------------------------------------------ life cycle

    @classmethod
    def start(cls, port: int | None = None, env: dict | None = None) -> Sandbox:
        port = port or _free_port()
        workdir = tempfile.mkdtemp(prefix="pictime-sandbox-")
        url = f"http://127.0.0.1:{port}"
        child_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        child_env.update(
            {
                "SANDBOX_DB_PATH": os.path.join(workdir, "sandbox.sqlite3"),
                "SANDBOX_ADMIN_TOKEN": DEFAULT_ADMIN_TOKEN,
                "SANDBOX_PUBLIC_BASE_URL": url,
                "SANDBOX_WEBHOOK_BACKOFF": "0.2,0.4,0.8",
                "PYTHONPATH": os.pathsep.join(p for p in (REPO_ROOT, os.environ.get("PYTHONPATH")) if p),
                "PYTHONUNBUFFERED": "1",
            }
        )
        child_env.update({k: str(v) for k, v in (env or {}).items()})
        child_env["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
        log_path = os.path.join(workdir, "server.log")
        migrate = subprocess.run(
            [sys.executable, "-m", "sandbox", "migrate", "--noinput", "-v", "0"],
            cwd=REPO_ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            shutil.rmtree(workdir, ignore_errors=True)
            raise RuntimeError(f"sandbox migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        child_env["SANDBOX_BIND"] = f"127.0.0.1:{port}"
        child_env.setdefault("SANDBOX_LOG_LEVEL", "warning")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                GUNICORN_COMMAND,
                cwd=REPO_ROOT,
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        sandbox = cls(url, child_env["SANDBOX_ADMIN_TOKEN"], process, workdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = Path(log_path).read_text(errors="replace")
                shutil.rmtree(workdir, ignore_errors=True)
                raise RuntimeError(f"sandbox server exited ({process.returncode}):\n{output}")
            try:
                if requests.get(f"{url}/_sandbox/health", timeout=1).status_code == 200:
                    return sandbox
            except requests.RequestException:
                pass
            time.sleep(0.1)
        sandbox.stop()
        raise RuntimeError("sandbox did not answer /_sandbox/health within 30 s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._process = None
        self._http.close()
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @property
    def db_path(self) -> str | None:
        """The SQLite file of a sandbox started by start() (for `python -m sandbox <command>` against it)."""
        return os.path.join(self._workdir, "sandbox.sqlite3") if self._workdir else None

    def log(self) -> str:
        """The server's output so far (for debugging a failing test)."""
        if not self._workdir:
            return ""
        path = Path(self._workdir, "server.log")
        return path.read_text(errors="replace") if path.exists() else ""

    # ------------------------------------------------------------ admin calls

    def admin(self, method: str, path: str, json: dict | None = None) -> dict | list | None:
        if not path.startswith("/"):
            path = "/" + path
        if not path.startswith("/_sandbox/"):
            path = "/_sandbox" + path
        resp = self._http.request(
            method, self.url + path, json=json, timeout=30, headers={"X-Sandbox-Admin": self.admin_token}
        )
        if not 200 <= resp.status_code < 300:
            raise SandboxError(method, path, resp.status_code, resp.text)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    def reset(self) -> None:
        self.admin("DELETE", "/_sandbox/faults")
        self.admin("DELETE", "/_sandbox/rate-limit")

    def create_account(
        self,
        name: str,
        email: str,
        password: str = TEST_PASSWORD,
        plan: str = "pro",
    ) -> dict:
        return self.admin(
            "POST", "/_sandbox/accounts", {"name": name, "email": email, "password": password, "plan": plan}
        )

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str], name: str = "Studio CRM"
    ) -> dict:
        return self.admin(
            "POST",
            "/_sandbox/clients",
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": list(redirect_uris),
                "name": name,
            },
        )

    def issue_grant(
        self, account_id: str, client_id: str, scope: str | None = None, expires_in: int | None = None
    ) -> dict:
        body = {"account_id": account_id, "client_id": client_id}
        if scope is not None:
            body["scope"] = scope
        if expires_in is not None:
            body["expires_in"] = expires_in
        return self.admin("POST", "/_sandbox/grants", body)

    def expire_tokens(self, account_id: str) -> dict:
        """Every access token issued so far for the account answers 401 invalid_token from now on."""
        return self.admin("POST", f"/_sandbox/accounts/{account_id}/expire-tokens")

    def revoke_grants(self, account_id: str) -> dict:
        """Revoke every grant of the account (401 on its tokens, invalid_grant on refresh, webhooks gone)."""
        return self.admin("POST", f"/_sandbox/accounts/{account_id}/revoke-grants")

    def create_gallery(self, account_id: str, **fields) -> dict:
        return self.admin("POST", "/_sandbox/galleries", {"account_id": account_id, **fields})

    def publish(self, gallery_id: str) -> dict:
        return self.admin("POST", f"/_sandbox/galleries/{gallery_id}/publish")

    def take_offline(self, gallery_id: str) -> dict:
        return self.admin("POST", f"/_sandbox/galleries/{gallery_id}/offline")

    def add_photos(self, gallery_id: str, count: int) -> dict:
        return self.admin("POST", f"/_sandbox/galleries/{gallery_id}/photos", {"count": count})

    def set_expiry(self, gallery_id: str, iso: str | None) -> dict:
        return self.admin("POST", f"/_sandbox/galleries/{gallery_id}/expiry", {"expires_at": iso})

    def delete_gallery(self, gallery_id: str) -> None:
        self.admin("DELETE", f"/_sandbox/galleries/{gallery_id}")

    def place_order(self, gallery_id: str, **fields) -> dict:
        return self.admin("POST", f"/_sandbox/galleries/{gallery_id}/orders", fields)

    def refund_order(self, order_id: str) -> dict:
        return self.admin("POST", f"/_sandbox/orders/{order_id}/refund")

    def set_faults(self, **faults) -> dict:
        return self.admin("POST", "/_sandbox/faults", faults)

    def set_rate_limit(self, per_sec: float, burst: int) -> dict:
        return self.admin("POST", "/_sandbox/rate-limit", {"per_sec": per_sec, "burst": burst})

    def stats(self, account_id: str | None = None) -> dict:
        return self.admin("GET", "/_sandbox/stats" + (f"?account_id={account_id}" if account_id else ""))

    def webhook_deliveries(self, account_id: str | None = None) -> list:
        return self.admin(
            "GET", "/_sandbox/webhook-deliveries" + (f"?account_id={account_id}" if account_id else "")
        )
