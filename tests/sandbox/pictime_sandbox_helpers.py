"""Helpers of the sandbox tests: an API client, the OpenAPI contract checker, PKCE, OAuth in a plain HTTP
session, and a small webhook receiver."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jsonschema
import requests
import yaml

SPEC_PATH = Path(__file__).resolve().parents[2] / "contract" / "pictime-openapi.yaml"


def unique_email(prefix="studio"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


class Api:
    def __init__(self, base_url, access_token, tokens=None, account=None):
        self.base = base_url.rstrip("/") + "/api/v2"
        self.token = access_token
        self.tokens = tokens
        self.account = account
        self.http = requests.Session()

    def request(self, method, path, token=None, headers=None, **kwargs):
        h = {"Authorization": f"Bearer {token or self.token}"}
        h.update(headers or {})
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.base + path, headers=h, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, key=None, **kw):
        headers = kw.pop("headers", {}) or {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.request("POST", path, json=json_body, headers=headers, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def create_gallery(self, **body):
        resp = self.post("/galleries", body, key=secrets.token_hex(8))
        assert resp.status_code == 201, resp.text
        return resp.json()

    def all_pages(self, path, params, limit):
        """Follow next_cursor; return the list of pages (each a list of rows)."""
        pages = []
        resp = self.get(path, params={**params, "limit": limit})
        while True:
            assert resp.status_code == 200, resp.text
            body = resp.json()
            pages.append(body["data"])
            if not body["next_cursor"]:
                return pages
            resp = self.get(path, params={"cursor": body["next_cursor"], "limit": limit})


class Contract:
    """Checks answers against contract/pictime-openapi.yaml: status documented, body schema, headers."""

    def __init__(self, spec):
        self.spec = spec

    @classmethod
    def load(cls):
        return cls(yaml.safe_load(SPEC_PATH.read_text()))

    def _deref(self, node):
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            parts = node["$ref"].lstrip("#/").split("/")
            node = self.spec
            for p in parts:
                node = node[p]
        return node

    def validate(self, schema_name_or_schema, instance):
        schema = schema_name_or_schema
        if isinstance(schema, str):
            schema = {"$ref": f"#/components/schemas/{schema}"}
        jsonschema.Draft202012Validator({**schema, "components": self.spec["components"]}).validate(instance)

    def check(self, resp, method, path):
        """Validate a requests.Response of `method path` (path as in the document, e.g. /galleries/{id})."""
        if path.startswith("/oauth/"):
            operation = self.spec["paths"][path][method.lower()]
        else:
            operation = self.spec["paths"][path][method.lower()]
        responses = operation["responses"]
        status = str(resp.status_code)
        documented = responses.get(status) or responses.get(status[0] + "XX")
        assert documented is not None, (
            f"{method} {path} answered {status}, which the contract does not document"
        )
        documented = self._deref(documented)
        for name, header in (documented.get("headers") or {}).items():
            header = self._deref(header)
            if name == "Idempotent-Replayed":
                continue
            assert name in resp.headers, f"{method} {path} {status}: header {name} missing"
            pattern = header.get("schema", {}).get("pattern")
            if pattern:
                assert re.match(pattern, resp.headers[name]), f"{name}: {resp.headers[name]!r}"
        content = documented.get("content")
        if content:
            assert resp.headers["Content-Type"].startswith("application/json")
            schema = content["application/json"]["schema"]
            self.validate(schema, resp.json())
        return resp


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def basic_auth(client_id, secret, form_encode=True):
    from urllib.parse import quote_plus

    if form_encode:
        client_id, secret = quote_plus(client_id), quote_plus(secret)
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(base_url, client, form_encode=True, **data):
    return requests.post(
        base_url + "/oauth/token",
        data=data,
        headers={"Authorization": basic_auth(client["client_id"], client["client_secret"], form_encode)},
        timeout=30,
    )


def _csrf(session, html):
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def sign_in(base_url, email, password):
    """A requests.Session signed in to the sandbox's pages."""
    s = requests.Session()
    page = s.get(base_url + "/accounts/signin/", timeout=30)
    resp = s.post(
        base_url + "/accounts/signin/",
        data={
            "email": email,
            "password": password,
            "csrfmiddlewaretoken": _csrf(s, page.text),
            "next": "/dashboard/",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 302, resp.text
    return s


def authorize_params(client, challenge, state="st-" + "x" * 8, **extra):
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": client["redirect_uri"],
        "scope": "account:read galleries:read galleries:write orders:read webhooks:write",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def authorize(base_url, session, params, decision="approve"):
    """Drive the consent page over plain HTTP; return the parsed query of the redirect."""
    page = session.get(base_url + "/oauth/authorize?" + urlencode(params), allow_redirects=False, timeout=30)
    if page.status_code == 302:
        return redirect_query(page.headers["Location"])
    assert page.status_code == 200, page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form["decision"] = decision
    import html as html_mod

    form = {k: html_mod.unescape(v) for k, v in form.items()}
    resp = session.post(base_url + "/oauth/authorize", data=form, allow_redirects=False, timeout=30)
    assert resp.status_code == 302, resp.text
    return redirect_query(resp.headers["Location"])


def redirect_query(location):
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["_base"] = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return query


def verify_signature(secret, header, body, tolerance=300):
    m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header or "")
    if not m:
        return False
    t = int(m.group(1))
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, m.group(2)) and abs(time.time() - t) <= tolerance


class WebhookReceiver:
    """A local HTTP server recording each POST; answers with `statuses` in turn (then 200)."""

    def __init__(self, statuses=None, delay=0.0):
        self.statuses = list(statuses or [])
        self.delay = delay
        self.received = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        {"headers": dict(self.headers), "body": body, "path": self.path, "at": time.time()}
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html><body>CRM callback</body></html>")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, path=None):
        with self.lock:
            return [json.loads(r["body"]) for r in self.received if path is None or r["path"] == path]

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [r for r in self.received if predicate(r)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("the expected webhook did not arrive")
