from django.contrib.auth import get_user_model
from django.core.management import call_command

from crm.clients.models import Client
from crm.payments.models import Invoice, Payment
from crm.projects.models import Project


def counts():
    return [m.objects.count() for m in (get_user_model(), Client, Project, Invoice, Payment)]


def test_seed_demo_makes_a_studio_to_log_in_to_and_running_it_twice_changes_nothing(db, client, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "photographer@demo.studio / demo-pass-2026" in out
    first = counts()
    assert first[2] >= 4 and first[4] >= 1  # projects at several stages, some paid
    assert len(set(Project.objects.values_list("stage", flat=True))) >= 3

    call_command("seed_demo")
    assert counts() == first
    # Through the login page (django-axes checks every sign-in against the request it comes with).
    signed_in = client.post("/login/", {"username": "photographer@demo.studio", "password": "demo-pass-2026"})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session
    assert "Emma &amp; Liam Wedding" in client.get("/").content.decode()
