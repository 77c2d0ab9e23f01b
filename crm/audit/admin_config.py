from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with the audited site as the default one (admin.site)."""

    default_site = "crm.audit.admin_site.AuditedAdminSite"
