"""Payments numbered within their invoice (unique), in place of the invoice's payments_version: the
payment's own INSERT is now what refuses a second payment written from the same read of balances."""

from django.db import migrations, models
from django.db.models import F, Window
from django.db.models.functions import RowNumber


def number_existing_payments(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    numbered = Payment.objects.annotate(
        n=Window(RowNumber(), partition_by=[F("invoice_id")], order_by=[F("paid_at").asc(), F("id").asc()])
    ).values_list("pk", "n")
    Payment.objects.bulk_update([Payment(pk=pk, number=n) for pk, n in numbered], ["number"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_perf_invoice_payments_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="number",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(number_existing_payments, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="number",
            field=models.PositiveIntegerField(
                editable=False, help_text="The payment's number within its invoice"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                fields=("invoice", "number"), name="payment_number_unique_per_invoice"
            ),
        ),
        migrations.RemoveField(
            model_name="invoice",
            name="payments_version",
        ),
    ]
