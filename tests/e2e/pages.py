"""Steps of the help article that several browser tests take."""

from playwright.sync_api import expect

from sandbox.testing import TEST_PASSWORD


def open_integrations_tab(page):
    """Click your profile photo (top right) > Company Settings > the Integrations tab: the Pic-Time
    section."""
    page.get_by_role("img", name="Profile photo").click()
    page.get_by_role("menuitem", name="Company Settings").click()
    page.get_by_role("tab", name="Integrations").click()
    return page.locator("#integration-pictime")


def connect_in_pictime(page, section, account):
    """In the Pic-Time section, click Connect; log in to Pic-Time; click Approve."""
    section.get_by_role("button", name="Connect").click()
    approve = page.get_by_role("button", name="Approve")
    expect(approve.or_(page.get_by_label("Email"))).to_be_visible()
    if not approve.is_visible():  # not signed in to Pic-Time in this browser yet
        page.get_by_label("Email").fill(account["email"])
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    approve.click()
    expect(page.get_by_role("status").first).to_contain_text(f"Connected to Pic-Time as {account['name']}")
