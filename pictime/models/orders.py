"""Pic-Time's orders (photo sales) of the galleries a company has linked."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction

from crm.companies.models import Company, CompanyScopedQuerySet
from pictime.models.links import GalleryLink, touch_projects


class OrderQuerySet(CompanyScopedQuerySet):
    def store_remote(self, company_id: int, order) -> tuple[Order, bool]:
        """Stores a Pic-Time order once (unique per company and Pic-Time id): (the row, whether it
        was written). A newer state replaces an older one, an older state or the same one again is
        ignored, so a refund is never counted twice. A write shows in the gallery's open panels."""
        values = {
            "gallery_id": order.gallery_id,
            "number": order.number,
            "status": order.status,
            "currency": order.currency,
            "subtotal": order.subtotal,
            "total": order.total,
            "items": [
                {"sku": i.sku, "name": i.name, "quantity": i.quantity, "unit_price": str(i.unit_price)}
                for i in order.items
            ],
            "customer_name": order.customer.name if order.customer else "",
            "customer_email": (order.customer.email or "") if order.customer else "",
            "placed_at": order.placed_at,
            "remote_updated_at": order.updated_at,
        }
        for _ in range(2):  # a concurrent insert of the same order wins the race; then we update it
            stored = self.filter(company_id=company_id, order_id=order.id).first()
            if stored and stored.remote_updated_at >= order.updated_at:
                return stored, False
            try:
                if stored:
                    self.filter(pk=stored.pk).update(**values)
                    stored.refresh_from_db()
                else:
                    with transaction.atomic():
                        stored = self.create(company_id=company_id, order_id=order.id, **values)
            except IntegrityError:
                continue
            links = GalleryLink.objects.filter(company_id=company_id, gallery_id=order.gallery_id)
            touch_projects(links.values("project_id"))
            return stored, True
        raise RuntimeError(f"could not store Pic-Time order {order.id}")


class Order(models.Model):
    """A Pic-Time order (photo sale) of a gallery the company has linked."""

    class Status(models.TextChoices):
        PAID = "paid", "Paid"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="pictime_orders")
    order_id = models.CharField("Pic-Time order id", max_length=100)
    gallery_id = models.CharField("Pic-Time gallery id", max_length=100, db_index=True)
    number = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=Status.choices)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    items = models.JSONField(default=list)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(blank=True)
    placed_at = models.DateTimeField()
    remote_updated_at = models.DateTimeField()
    synced_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        constraints = [models.UniqueConstraint(fields=["company", "order_id"], name="order_stored_once")]
        # The Galleries page: sales by month and the CSV read a company's orders by date; each
        # gallery's orders and sales are read by its id. The included columns let PostgreSQL
        # answer from the index alone (other databases ignore them).
        indexes = [
            models.Index(
                fields=["company", "placed_at"],
                include=["status", "currency", "total", "gallery_id"],
                name="pictime_order_company_placed",
            ),
            models.Index(
                fields=["company", "gallery_id"],
                include=["status", "currency", "total"],
                name="pictime_order_company_gallery",
            ),
            # The newest change and the newest row of a company's orders: the page's cache key.
            models.Index(fields=["company", "remote_updated_at"], name="pictime_order_company_changed"),
            models.Index(fields=["company", "id"], name="pictime_order_company_id"),
        ]

    def __str__(self):
        return f"Order {self.number} ({self.get_status_display()})"

    @property
    def item_count(self):
        return sum(int(item.get("quantity", 0)) for item in self.items)
