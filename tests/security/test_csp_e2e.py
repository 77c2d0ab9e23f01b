"""The Content-Security-Policy (django-csp) is sent on every page and breaks nothing: in Chromium,
the workspace loads and opens its event stream from the live process, an htmx action works, the
client portal and the admin work, and the console shows no CSP violation."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.fixtures import PASSWORD

pytestmark = pytest.mark.e2e


def test_pages_htmx_and_the_admin_work_under_the_policy(
    page, live_server, live_process, login_in_browser, pictime_settings, connection, project
):
    get_user_model().objects.create_superuser(username="root@studio.test", password=PASSWORD)
    problems = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_default_timeout(15_000)

    response = page.goto(f"{live_server.url}/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    login_in_browser(page, "ada@lumen.test")
    response = page.goto(f"{live_server.url}{project.get_absolute_url()}")
    # The workspace's event stream comes from the live process, another origin: allowed, and open.
    assert f"connect-src 'self' {live_process.url}" in response.headers["content-security-policy"]
    page.wait_for_function("() => pictimeStream && pictimeStream.readyState === EventSource.OPEN")

    # An htmx action: the Pic-Time panel's "Add gallery" loads its choices in place.
    panel = page.locator("#pictime-galleries")
    expect(panel.get_by_role("heading", name="Pic-Time Galleries")).to_be_visible()
    panel.get_by_role("button", name="Add gallery").click()
    panel.get_by_role("button", name="Create a new Pic-Time gallery").click()
    expect(panel.get_by_label("Gallery name")).to_have_value("Bella & Ben Wedding")
    page.keyboard.press("Escape")  # the Add gallery dialog closes (a script of ours, no inline handler)
    expect(panel.get_by_label("Gallery name")).to_have_count(0)

    # The portal link field still selects itself on click (a data attribute, not an inline handler).
    field = page.get_by_label("Client portal link")
    field.click()
    assert field.evaluate("el => el.selectionEnd - el.selectionStart") == len(field.input_value()) > 0

    page.goto(f"{live_server.url}{project.get_portal_url()}")
    expect(page.get_by_role("heading").first).to_be_visible()

    # The admin: its sign-in, a change list and a change form (with its own scripts).
    admin = page.context.new_page()
    admin.on(
        "console", lambda m: m.type in ("error", "warning") and problems.append(f"{admin.url}: {m.text}")
    )
    admin.goto(f"{live_server.url}/admin/login/")
    admin.get_by_label("Username").fill("root@studio.test")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    expect(admin.get_by_role("heading", name="Site administration")).to_be_visible()
    admin.goto(f"{live_server.url}/admin/projects/project/")
    admin.get_by_role("link", name="Bella & Ben Wedding").click()
    expect(admin.get_by_role("heading", name="Change project")).to_be_visible()

    violations = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert violations == []
