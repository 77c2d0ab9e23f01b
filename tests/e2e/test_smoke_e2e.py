import pytest

pytestmark = pytest.mark.e2e


def test_owner_logs_in_and_sees_projects(owner, page, live_server, login_in_browser):
    login_in_browser(page, "ada@lumen.test")
    assert page.get_by_role("heading", name="Projects").is_visible()
    page.get_by_label("Profile photo").first.click()
    page.get_by_role("menuitem", name="Company Settings").click()
    assert page.get_by_role("tab", name="Integrations").is_visible()
