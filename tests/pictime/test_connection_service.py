from django.db import connection as db

from integrations.models import CompanyIntegration
from pictime.models import Connection


def test_connecting_stores_the_account_and_encrypted_tokens(connection, pictime_account, sandbox):
    connection.refresh_from_db()
    assert connection.is_connected
    assert connection.account_id == pictime_account["id"]
    assert connection.account_name == pictime_account["name"]
    assert connection.webhook_id and connection.webhook_secret
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, webhook_secret FROM pictime_connection WHERE id = %s",
            [connection.pk],
        )
        raw = cursor.fetchone()
    for stored, plain in zip(
        raw, [connection.access_token, connection.refresh_token, connection.webhook_secret], strict=True
    ):
        assert plain not in stored
        assert stored.startswith("gAAAA")  # a Fernet token
    assert CompanyIntegration.objects.get(company=connection.company).status == "connected"
    assert Connection.objects.count() == 1
