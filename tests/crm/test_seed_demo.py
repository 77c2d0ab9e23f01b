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


def test_the_demo_studio_sees_a_full_galleries_page(db, client):
    from pictime.models import GalleryLink, Order

    call_command("seed_demo")
    links, orders = GalleryLink.objects.count(), Order.objects.count()
    call_command("seed_demo")
    assert (GalleryLink.objects.count(), Order.objects.count()) == (links, orders)
    client.post("/login/", {"username": "photographer@demo.studio", "password": "demo-pass-2026"})
    page = client.get("/galleries/").content.decode()
    for state in ("count-online", "count-offline", "count-expired", "count-expiring"):
        count = page.split(f'data-testid="{state}">')[1].split("<")[0]
        assert int(count) >= 1, state
    assert "Deleted" in page and "Refunded" not in page
    months_with_sales = {o.placed_at.strftime("%Y-%m") for o in Order.objects.filter(status="paid")}
    assert len(months_with_sales) >= 6 and Order.objects.filter(status="refunded").exists()
    assert "Avery &amp; Jordan Wedding" in page.split('data-testid="top-galleries"')[1]
    assert "Chen Family Portraits" in page.split('data-testid="expiring-soon"')[1]
    assert "Pic-Time is not connected: the figures below are as last synced." in page
