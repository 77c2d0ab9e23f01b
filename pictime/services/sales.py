"""Photo sales: the Pic-Time orders of a project's linked galleries, and what they add up to.

An order is one row however often it arrives (unique per company and Pic-Time id) and holds its
latest state, so a refund replaces "paid" rather than adding a line: the total counts paid orders
only (a refunded or cancelled order counts 0), and nothing is counted twice.
"""

from collections import defaultdict
from decimal import Decimal

from pictime.models import GalleryLink, Order


def project_orders(company_id, project_id):
    """The orders of the project's linked galleries, newest first, in one query."""
    linked = GalleryLink.objects.filter(company_id=company_id, project_id=project_id).values("gallery_id")
    return Order.objects.filter(company_id=company_id, gallery_id__in=linked).order_by("-placed_at", "-id")


def totals(orders) -> list[tuple[str, Decimal]]:
    """[(currency, total of paid orders)], one per currency seen, in a stable order."""
    sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for order in orders:
        sums[order.currency] += order.total if order.status == Order.Status.PAID else Decimal("0.00")
    return sorted(sums.items())


def sales_context(project, links=None) -> dict:
    """The sales table's rows; `links`: the panel's rows, which say whether any gallery has sales."""
    if links is not None and not any(link.has_sales for link in links):
        return {"project": project, "orders": [], "totals": []}
    orders = list(project_orders(project.company_id, project.pk))
    return {"project": project, "orders": orders, "totals": totals(orders)}
