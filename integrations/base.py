"""What an integration provider is: a name, a settings section, and what it adds to two slots.

A provider is stateless; one company's installation is a CompanyIntegration row. Each method returns
HTML, rendered from its own autoescaped templates and marked safe, or "" when it has nothing to
show, so the CRM's pages need not know any provider's templates or models.
"""


class IntegrationProvider:
    key: str = ""
    name: str = ""
    description: str = ""

    def settings_section(self, request, company) -> str:
        """The provider's section of Company Settings > Integrations."""
        return ""

    def workspace_panel(self, request, project) -> str:
        """What the provider shows in the project workspace's "Only visible to you" section."""
        return ""

    def portal_section(self, request, project) -> str:
        """What the provider shows the client in the project's client portal."""
        return ""

    def seed_demo(self, company, user) -> str:
        """`manage.py seed_demo`: the provider's demo data for the demo studio, once; a line saying
        what it added ("" for nothing)."""
        return ""
