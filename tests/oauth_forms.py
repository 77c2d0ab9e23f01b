"""Driving Pic-Time's sign-in and consent pages with requests, like a browser, for tests that
need an authorization code without Chromium; and the CRM's Connect that leads there (approve)."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


class _Forms(HTMLParser):
    """Just enough HTML parsing to submit the sandbox's sign-in and consent forms like a browser."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": {},
                "buttons": [],
            }
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("name"):
            if a.get("type") in ("submit", "button"):
                self._form["buttons"].append((a["name"], a.get("value", "")))
            elif a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form["fields"][a["name"]] = a.get("value") or ""
        elif self._form is not None and tag == "button" and a.get("name"):
            self._form["buttons"].append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _forms(html):
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _submit(browser, page_url, form, extra):
    data = dict(form["fields"])
    data.update(extra)
    url = urljoin(page_url, form["action"] or page_url)
    return browser.post(url, data=data, allow_redirects=False, timeout=10)


def authorize_in_browser(auth_url, *, email, redirect_uri, password="pass1234", decision="approve"):
    """Drive /oauth/authorize like a person: sign in, then Approve or Deny. Return the query of the
    redirect back to the CRM (``code``/``state`` or ``error``/``state``)."""
    browser = requests.Session()
    url = auth_url
    for _ in range(10):
        resp = browser.get(url, allow_redirects=False, timeout=10)
        while resp.is_redirect:
            location = urljoin(url, resp.headers["Location"])
            if location.startswith(redirect_uri):
                return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
            url = location
            resp = browser.get(url, allow_redirects=False, timeout=10)
        forms = _forms(resp.text)
        signin = next((f for f in forms if "password" in f["fields"]), None)
        consent = next(
            (f for f in forms if any(n == "decision" for n, _ in f["buttons"]) or "decision" in f["fields"]),
            None,
        )
        if signin is not None:
            resp = _submit(browser, url, signin, {"email": email, "password": password})
        elif consent is not None:
            resp = _submit(browser, url, consent, {"decision": decision})
        else:
            raise AssertionError(
                f"no sign-in or consent form at {url} ({resp.status_code}): {resp.text[:300]}"
            )
        assert resp.is_redirect, f"form at {url} answered {resp.status_code}: {resp.text[:300]}"
        location = urljoin(url, resp.headers["Location"])
        if location.startswith(redirect_uri):
            return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        url = location
    raise AssertionError("the authorize flow did not come back to the redirect URI")


# The CRM's side: Settings > Integrations > Connect, then Pic-Time's pages as above.
CALLBACK = "/integrations/pictime/callback/"


def start_connect(http):
    """Connect on the Integrations tab; where the CRM sends the browser (Pic-Time's authorize URL)."""
    response = http.post("/integrations/pictime/connect/")
    assert response.status_code == 302
    return response["Location"]


def approve(http, sandbox, account, settings, decision="approve"):
    """Connect → Pic-Time's sign-in and consent → the callback's query."""
    url = start_connect(http)
    assert url.startswith(sandbox.url + "/oauth/authorize?")
    return authorize_in_browser(
        url, email=account["email"], redirect_uri=settings.SITE_URL + CALLBACK, decision=decision
    )
