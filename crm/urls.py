from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from crm.clients import views as clients
from crm.companies import views as companies
from crm.companies.forms import EmailAuthenticationForm
from crm.payments import views as payments
from crm.portal import views as portal
from crm.projects import views as projects
from integrations import views as integrations


def favicon(request):
    return redirect(static("favicon.svg"), permanent=True)  # read per request: the manifest's name


urlpatterns = [
    path("", projects.dashboard, name="dashboard"),
    # Browsers ask for /favicon.ico where a page names none (the admin, the API's pages).
    path("favicon.ico", favicon),
    path("signup/", companies.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="companies/login.html", authentication_form=EmailAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", companies.settings_general, name="settings_general"),
    path("settings/team/", companies.settings_team, name="settings_team"),
    path("settings/team/add/", companies.add_member, name="add_member"),
    path("settings/integrations/", integrations.integrations_tab, name="settings_integrations"),
    path("clients/", clients.client_list, name="client_list"),
    path("projects/new/", projects.project_new, name="project_new"),
    path("projects/<int:pk>/", projects.workspace, name="project_workspace"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/notes/", projects.save_notes, name="project_notes"),
    path("projects/<int:pk>/portal-link/", projects.portal_link, name="project_portal_link"),
    path("projects/<int:project_pk>/invoices/new/", payments.invoice_new, name="invoice_new"),
    path("invoices/<int:pk>/send/", payments.invoice_send, name="invoice_send"),
    path("installments/<int:installment_pk>/record-payment/", payments.record_payment, name="record_payment"),
    path("portal/<str:token>/", portal.portal, name="portal"),
    path("portal/<str:token>/pay/<int:installment_pk>/", portal.pay, name="portal_pay"),
    path("integrations/pictime/", include("pictime.urls")),
    path("galleries/", include("pictime.galleries_urls")),
    path("admin/", admin.site.urls),
    path("api/", include("crm.api.urls")),
    path("api/", include("pictime.api_urls")),
    # /healthz is answered by crm.ops.health.HealthCheckMiddleware, for any Host header.
]
