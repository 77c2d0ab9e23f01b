"""The studio's Galleries page over HTTP: the summary, revenue by month, top 10, Expiring soon, the
list with its filters, sort, search and pages in the URL; a constant number of queries; and
another company's galleries and orders never in sight."""

import html
import re

import pytest
from django.utils import timezone

from tests.factories import make_connection, make_link, order_for
from tests.pictime.galleries_studio import DAY, build_studio, month_moment, other_studio

PAGE = "/galleries/"


def text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def section(response, testid):
    """The text of the element with that data-testid (a table or a list), tags stripped."""
    body = response.content.decode()
    start = body.index(f'data-testid="{testid}"')
    tag = body.rfind("<", 0, start)
    name = body[tag + 1 : body.index(" ", tag)]
    end = body.index(f"</{name}>", start)
    inner = body[body.index(">", start) + 1 : end]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inner))).strip()


def rows(response, testid):
    """The body rows of a table, each as a list of cell texts."""
    body = response.content.decode()
    start = body.index(f'data-testid="{testid}"')
    table = body[start : body.index("</table>", start)]
    tbody = table[table.index("<tbody>") :]
    return [
        [
            html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, re.S)
    ]


@pytest.fixture
def studio(company):
    return build_studio(company)


@pytest.mark.django_db
def test_the_summary_counts_galleries_by_state_and_sales_net_of_refunds(owner_client, studio):
    response = owner_client.get(PAGE)
    assert response.status_code == 200
    summary = section(response, "summary")
    assert "Online 4" in summary  # Aurora, Birch, Cedar, Grove
    assert "Offline 1" in summary
    assert "Expired 1" in summary
    assert "Expiring within 30 days 3" in summary  # Grove, Aurora, Birch
    # This month: Aurora's three paid orders (its refunded 80 counts nothing) and Grove's EUR.
    assert section(response, "sales-month") == "€10.00 $175.00"
    year = section(response, "sales-year")
    assert "$575.00" in year and "€10.00" in year  # Cedar's 500 of 14 months ago is out


@pytest.mark.django_db
def test_the_revenue_table_has_twelve_months_of_payments_and_photo_sales(owner_client, studio):
    response = owner_client.get(PAGE)
    table = rows(response, "revenue-table")
    assert len(table) == 12
    by_month = {row[0]: row[1:] for row in table}
    now = studio.now
    this = timezone.localtime(month_moment(now, 0)).strftime("%b %Y")
    three = timezone.localtime(month_moment(now, 3)).strftime("%b %Y")
    two = timezone.localtime(month_moment(now, 2)).strftime("%b %Y")
    assert table[-1][0] == this
    # Columns: session payments, photo sales in EUR, photo sales in USD.
    assert by_month[this] == ["$1,000.00", "€10.00", "$175.00"]
    assert by_month[three] == ["$2,500.00", "€0.00", "$0.00"]
    assert by_month[two] == ["$0.00", "€0.00", "$300.00"]
    # The chart draws the same figures, passed as JSON (no inline script).
    assert '<script id="revenue-data" type="application/json">' in response.content.decode()
    assert "chart.js-4.6.2/chart.umd.min.js" in response.content.decode()


@pytest.mark.django_db
def test_top_ten_by_net_sales_and_expiring_soon_soonest_first(owner_client, studio):
    response = owner_client.get(PAGE)
    top = rows(response, "top-galleries")
    assert [(r[0], r[3], r[4]) for r in top] == [
        ("Cedar Engagement", "3", "$540.00"),  # all time; its cancelled order counts nothing
        ("Birch Family", "1", "$300.00"),
        ("Aurora Wedding", "4", "$175.00"),
        ("Elm Newborn", "1", "$60.00"),
        ("Grove Mini-session", "1", "€10.00"),
    ]
    assert top[0][1:3] == ["Cedar Engagement", "Cy Cedar"]
    soon = rows(response, "expiring-soon")
    assert [(r[0], r[2], r[4]) for r in soon] == [
        ("Grove Mini-session", "Gus Grove", "1"),  # 2 days less the seconds since
        ("Aurora Wedding", "Aurora Hale", "4"),
        ("Birch Family", "Bea Birch", "19"),
    ]
    assert "Remind client" in soon[0][5]


def names(response):
    return [row[0] for row in rows(response, "all-galleries")]


@pytest.mark.django_db
def test_the_list_filters_sorts_and_searches_from_the_url(owner_client, studio):
    everything = names(owner_client.get(PAGE))
    assert everything[:4] == ["Elm Newborn", "Grove Mini-session", "Aurora Wedding", "Birch Family"]
    assert sorted(everything) == sorted(studio.links)  # every state, deleted too

    assert names(owner_client.get(PAGE, {"status": "online"})) == [
        "Grove Mini-session",
        "Aurora Wedding",
        "Birch Family",
        "Cedar Engagement",
    ]
    assert names(owner_client.get(PAGE, {"status": "expired"})) == ["Elm Newborn"]
    assert names(owner_client.get(PAGE, {"status": "deleted"})) == ["Fir Gallery"]
    assert names(owner_client.get(PAGE, {"status": "offline"})) == ["Dune Portraits"]
    assert names(owner_client.get(PAGE, {"within": "10"})) == ["Grove Mini-session", "Aurora Wedding"]
    assert names(owner_client.get(PAGE, {"sort": "-sales"}))[:3] == [
        "Cedar Engagement",
        "Birch Family",
        "Aurora Wedding",
    ]
    assert names(owner_client.get(PAGE, {"q": "bea"})) == ["Birch Family"]  # the client's name
    assert names(owner_client.get(PAGE, {"q": "headshots"})) == ["Dune Portraits"]  # the project's
    assert names(owner_client.get(PAGE, {"q": "grove", "status": "online", "sort": "-synced"})) == [
        "Grove Mini-session"
    ]


@pytest.mark.django_db
def test_bad_filters_say_so_and_show_the_whole_list(owner_client, studio):
    response = owner_client.get(PAGE, {"within": "soon", "status": "lost", "sort": "price"})
    assert response.status_code == 400
    page = text(response)
    assert "Enter a whole number of days." in page
    assert "Select a valid choice. lost is not one of the available choices." in page
    assert len(names(response)) == 7


@pytest.mark.django_db
def test_fifty_a_page_with_the_filters_kept_in_the_page_links(owner_client, company):
    connection = make_connection(company)
    now = timezone.now()
    for n in range(53):
        make_link(connection, name=f"Gallery {n:02d}", status="online", expires_at=now + (n + 1) * DAY)
    first = owner_client.get(PAGE, {"status": "online"})
    assert len(names(first)) == 50 and names(first)[0] == "Gallery 00"
    assert 'href="?status=online&amp;page=2"' in first.content.decode()
    second = owner_client.get(PAGE, {"status": "online", "page": "2"})
    assert names(second) == ["Gallery 50", "Gallery 51", "Gallery 52"]


@pytest.mark.django_db
def test_sorted_by_sales_both_ways_across_pages_with_the_filters_applied(owner_client, company):
    connection = make_connection(company)
    now = timezone.now()
    for n in range(63):
        link = make_link(connection, name=f"Gallery {n:02d}", status="offline" if n % 8 == 7 else "online")
        if n % 3:  # every third sells nothing; the others n dollars, one refunded order each too
            order_for(link, f"{n}.00", now - DAY)
            order_for(link, "999.00", now - DAY, status="refunded")
    online = [n for n in range(63) if n % 8 != 7]  # 56, 7 offline

    def sold(n):
        return n if n % 3 else 0

    best = sorted(online, key=lambda n: (-sold(n), n))
    first = owner_client.get(PAGE, {"status": "online", "sort": "-sales"})
    assert names(first) == [f"Gallery {n:02d}" for n in best[:50]]
    assert rows(first, "all-galleries")[0][6] == "$62.00"
    assert rows(first, "all-galleries")[-1][6] == "—"
    assert 'href="?status=online&amp;sort=-sales&amp;page=2"' in first.content.decode()
    second = owner_client.get(PAGE, {"status": "online", "sort": "-sales", "page": "2"})
    assert names(second) == [f"Gallery {n:02d}" for n in best[50:]]
    lowest = names(owner_client.get(PAGE, {"status": "online", "sort": "sales"}))
    assert lowest[:3] == ["Gallery 00", "Gallery 03", "Gallery 06"]
    assert lowest == [f"Gallery {n:02d}" for n in sorted(online, key=lambda n: (sold(n), n))][:50]
    by_sales = [59, 58, 56, 55, 53, 52, 50, 51, 54, 57]  # then those without sales, by id
    searched = owner_client.get(PAGE, {"q": "Gallery 5", "sort": "-sales"})  # 55 is offline
    assert names(searched) == [f"Gallery {n:02d}" for n in by_sales]


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_ten_times_the_galleries(
    owner_client, company, studio, django_assert_num_queries
):
    # Session, user, membership, the page's version, connection, summary, payments by month, top
    # 10, Expiring soon, the list's ids and page: 11; the first view after a change of orders or
    # links also aggregates the orders (sales by month, per gallery): 13. A view seen since the
    # last change reads the rest from the cache: session, user, membership, version, payments: 5.
    with django_assert_num_queries(13):
        owner_client.get(PAGE, {"sort": "-sales"})
    with django_assert_num_queries(5):
        owner_client.get(PAGE, {"sort": "-sales"})
    with django_assert_num_queries(11):  # another view: the orders' figures are kept
        owner_client.get(PAGE, {"sort": "-sales", "status": "online"})
    connection = studio.links["Aurora Wedding"].connection
    for n in range(70):
        link = make_link(connection, name=f"More {n}", status="online", expires_at=timezone.now() + n * DAY)
        order_for(link, "12.00", month_moment(studio.now, n % 12))
    with django_assert_num_queries(13):
        response = owner_client.get(PAGE, {"sort": "-sales"})
    assert len(names(response)) == 50
    with django_assert_num_queries(5):
        owner_client.get(PAGE, {"sort": "-sales"})


@pytest.mark.django_db
def test_a_new_sale_or_refund_shows_at_once(owner_client, studio):
    assert section(owner_client.get(PAGE), "sales-month") == "€10.00 $175.00"
    aurora = studio.links["Aurora Wedding"]
    order = order_for(aurora, "20.00", month_moment(studio.now, 0))
    response = owner_client.get(PAGE)
    assert section(response, "sales-month") == "€10.00 $195.00"
    # Refunded later (Pic-Time's updated_at moves forward, as the sync stores it).
    order.status, order.remote_updated_at = "refunded", timezone.now()
    order.save()
    assert section(owner_client.get(PAGE), "sales-month") == "€10.00 $175.00"
    # A newly linked gallery whose orders were stored earlier counts from then on.
    birch = studio.links["Birch Family"]
    birch.delete()
    assert "Birch Family" not in section(owner_client.get(PAGE), "top-galleries")
    make_link(aurora.connection, name="Birch again", gallery_id=birch.gallery_id)
    assert "Birch again" in section(owner_client.get(PAGE), "top-galleries")


@pytest.mark.django_db
def test_a_teammate_sees_the_page_and_the_main_navigation_leads_there(teammate_client, studio):
    response = teammate_client.get("/")
    assert '<a href="/galleries/">Galleries</a>' in response.content.decode()
    assert teammate_client.get(PAGE).status_code == 200


@pytest.mark.django_db
def test_without_pic_time_the_page_says_so_and_offers_connect(owner_client, teammate_client):
    page = text(owner_client.get(PAGE))
    assert "Pic-Time is not connected." in page
    assert 'action="/integrations/pictime/connect/"' in owner_client.get(PAGE).content.decode()
    assert "Company Settings > Integrations" in text(teammate_client.get(PAGE))


@pytest.mark.django_db
def test_another_company_s_galleries_and_orders_never_appear(
    owner_client, outsider_client, studio, other_company
):
    other = other_studio(other_company)
    page = text(owner_client.get(PAGE))
    assert "Secret Other Gallery" not in page and "9999.00" not in page
    assert "Online 4" in page
    # And the other studio sees its own, none of ours.
    theirs = text(outsider_client.get(PAGE))
    assert "Secret Other Gallery" in theirs and "Aurora" not in theirs and "Online 1" in theirs
    assert other.company_id == other_company.pk


@pytest.mark.django_db
def test_a_connected_studio_without_galleries_sees_where_to_start(owner_client, company):
    make_connection(company)
    response = owner_client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert "No galleries linked yet" in page and "No photo sales yet." in page
    assert section(response, "sales-year") == "$0.00"
    assert len(rows(response, "revenue-table")) == 12
