"""Photo sales: the Pic-Time orders of a project's linked galleries, and what they add up to.

An order is one row however often it arrives (unique per company and Pic-Time id) and holds its
latest state, so a refund replaces "paid" rather than adding a line: the total counts paid orders
only (a refunded or cancelled order counts 0), and nothing is counted twice.
"""

from collections import defaultdict
from decimal import Decimal

from pictime.models import GalleryLink, Order


def project_orders(project, links=None):
    """The project's orders, newest first, in one query (`links`: the project's links, if loaded)."""
    if links is None:
        gallery_ids = GalleryLink.objects.filter(company_id=project.company_id, project=project).values(
            "gallery_id"
        )
    else:
        gallery_ids = {link.gallery_id for link in links}
    return (
        Order.objects.for_company(project.company_id)
        .filter(gallery_id__in=gallery_ids)
        .order_by("-placed_at", "-id")
    )


def totals(orders) -> list[tuple[str, Decimal]]:
    """[(currency, total of paid orders)], one per currency seen, in a stable order."""
    sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for order in orders:
        sums[order.currency] += order.total if order.status == Order.Status.PAID else Decimal("0.00")
    return sorted(sums.items())


def sales_context(project, links=None) -> dict:
    orders = list(project_orders(project, links))
    return {"project": project, "orders": orders, "totals": totals(orders)}
