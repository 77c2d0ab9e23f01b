"""The Pic-Time Galleries panel in Chromium, against the sandbox over real HTTP: the photographer
creates a gallery, publishes it in Pic-Time's own pages, syncs, opens it, connects a second one,
searches and unlinks."""

import pytest
from playwright.sync_api import expect

from sandbox.testing import TEST_PASSWORD

pytestmark = pytest.mark.e2e


def sign_in_to_pictime(page, sandbox, account):
    page.goto(f"{sandbox.url}/dashboard/")
    page.get_by_label("Email").fill(account["email"])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Galleries")).to_be_visible()


def test_photographer_manages_pictime_galleries_from_the_workspace(
    page, live_server, login_in_browser, pictime_settings, connection, sandbox, pictime_account, project
):
    sandbox.create_gallery(pictime_account["id"], name="Engagement session")
    sandbox.create_gallery(pictime_account["id"], name="Family portraits")
    page.set_default_timeout(15_000)
    login_in_browser(page, "ada@lumen.test")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")

    panel = page.locator("#pictime-galleries")
    expect(page.get_by_role("heading", name="Only visible to you")).to_be_visible()
    expect(panel.get_by_role("heading", name="Pic-Time Galleries")).to_be_visible()

    # + > Create a new Pic-Time gallery: the form is prefilled from the project.
    panel.get_by_role("button", name="Add gallery").click()
    panel.get_by_role("button", name="Create a new Pic-Time gallery").click()
    expect(panel.get_by_label("Gallery name")).to_have_value("Bella & Ben Wedding")
    expect(panel.get_by_label("Client email")).to_have_value("bella@example.com")
    expect(panel.get_by_label("Event date")).to_have_value("2027-06-12")
    panel.get_by_role("button", name="Create gallery").click()

    expect(panel.get_by_role("status")).to_contain_text("was created in Pic-Time and linked to this project")
    wedding = panel.get_by_role("listitem", name="Bella & Ben Wedding")
    expect(wedding).to_contain_text("Offline")
    expect(wedding).to_contain_text("0 images")
    expect(wedding.get_by_role("button", name="View gallery")).to_be_disabled()
    expect(wedding.get_by_role("link", name="Edit in Pic-Time")).to_have_attribute("target", "_blank")

    # In Pic-Time's own pages (a second tab): add photos and publish.
    pictime = page.context.new_page()
    sign_in_to_pictime(pictime, sandbox, pictime_account)
    pictime.get_by_role("link", name="Bella & Ben Wedding").click()
    pictime.get_by_label("Photos to add").fill("25")
    pictime.get_by_role("button", name="Add photos").click()
    expect(pictime.get_by_role("status")).to_have_text("Added 25 photos.")
    pictime.get_by_role("button", name="Publish").click()
    expect(pictime.get_by_role("status")).to_have_text("Gallery published.")
    pictime.close()

    # Pic-Time tells the CRM by webhook, and the open panel shows it by itself. Sync after that: a
    # webhook landing after Sync's answer would make the workspace's poll replace its message.
    wedding = panel.get_by_role("listitem", name="Bella & Ben Wedding")
    expect(wedding).to_contain_text("Online", timeout=15_000)
    expect(wedding).to_contain_text("25 images", timeout=15_000)

    # Sync: the figures hold, and View gallery opens the live gallery in a new tab.
    wedding.get_by_role("button", name="Sync").click()
    expect(panel.get_by_role("status").first).to_contain_text("is up to date")
    wedding = panel.get_by_role("listitem", name="Bella & Ben Wedding")
    expect(wedding).to_contain_text("Online")
    expect(wedding).to_contain_text("25 images")
    view = wedding.get_by_role("link", name="View gallery")
    expect(view).to_be_enabled()
    with page.context.expect_page() as opened:
        view.click()
    live = opened.value
    live.wait_for_load_state()
    expect(live.get_by_role("heading", name="Bella & Ben Wedding")).to_be_visible()
    expect(live.get_by_text("25 photos")).to_be_visible()
    live.close()

    # + > Select an existing gallery: search, and connect a second gallery.
    panel.get_by_role("button", name="Add gallery").click()
    panel.get_by_role("button", name="Select an existing gallery").click()
    results = panel.get_by_role("list", name="Pic-Time galleries", exact=True)
    expect(results.get_by_role("listitem").filter(has_text="Bella & Ben Wedding")).to_contain_text(
        "Linked to this project"
    )
    panel.get_by_label("Search galleries").fill("engagement")
    panel.get_by_role("button", name="Search").click()
    expect(results.get_by_text("Family portraits")).to_have_count(0)
    row = results.get_by_role("listitem").filter(has_text="Engagement session")
    row.get_by_role("button", name="Connect gallery Engagement session").click()
    expect(panel.get_by_role("status")).to_contain_text("“Engagement session” is now linked to this project.")
    linked = panel.get_by_role("list", name="Linked Pic-Time galleries", exact=True)
    expect(linked.get_by_role("listitem")).to_have_count(2)

    # Unlink (after confirming in the page's own dialog): gone from the project, still in Pic-Time.
    panel.get_by_role("listitem", name="Engagement session").get_by_role("button", name="Unlink").click()
    confirm = page.get_by_role("dialog", name="Unlink “Engagement session”?")
    expect(confirm).to_contain_text("Nothing is deleted in Pic-Time")
    confirm.get_by_role("button", name="Unlink gallery").click()
    expect(panel.get_by_role("status")).to_contain_text(
        "“Engagement session” was unlinked from this project."
    )
    expect(linked.get_by_role("listitem")).to_have_count(1)
    expect(panel.get_by_role("listitem", name="Bella & Ben Wedding")).to_be_visible()
    assert sandbox.stats(pictime_account["id"])["galleries"] == 3

    # The workspace, reloaded, shows the same from the CRM's rows; the feed has the lines.
    page.reload()
    expect(page.locator("#activity")).to_contain_text("Pic-Time gallery “Engagement session” unlinked")
    expect(page.locator("#activity")).to_contain_text(
        "Pic-Time gallery “Bella & Ben Wedding” created and linked."
    )
