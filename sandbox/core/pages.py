"""Pages for people: sign in / sign up, dashboard, gallery page, live gallery, delivery log."""

import colorsys
import functools
import struct
import zlib
from datetime import UTC, datetime
from datetime import time as dtime
from urllib.parse import urlencode

from django.contrib.auth.hashers import check_password
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .models import Account, Gallery, Order, WebhookDelivery
from .services import DomainError


def current_account(request):
    account_id = request.session.get("account_id")
    if not account_id:
        return None
    return Account.objects.filter(id=account_id).first()


def _safe_next(value):
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/dashboard/"


def signed_in(view):
    def wrapper(request, *args, **kwargs):
        account = current_account(request)
        if account is None:
            return HttpResponseRedirect("/accounts/signin/?" + urlencode({"next": request.get_full_path()}))
        request.account = account
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


def home(request):
    return HttpResponseRedirect("/dashboard/")


def _signed_in(request, account, next_url):
    """Signs the account in on a fresh session key (no fixation) and goes on to `next_url`."""
    request.session.cycle_key()
    request.session["account_id"] = account.id
    return HttpResponseRedirect(next_url)


@require_http_methods(["GET", "POST"])
def signin(request):
    next_url = _safe_next(request.POST.get("next") or request.GET.get("next"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        account = Account.objects.filter(email=email).first()
        if account and check_password(request.POST.get("password", ""), account.password):
            return _signed_in(request, account, next_url)
        error = "Wrong email or password."
    return render(
        request,
        "sandbox/signin.html",
        {
            "next": next_url,
            "error": error,
            "email": email,
            "signup_url": "/accounts/signup/?" + urlencode({"next": next_url}),
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def signup(request):
    next_url = _safe_next(request.POST.get("next") or request.GET.get("next"))
    errors, values = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("name", "email")}
        try:
            account = services.create_account(
                values["name"].strip(), values["email"].strip(), request.POST.get("password", "")
            )
        except DomainError as exc:
            errors = exc.details or {"__all__": [exc.message]}
        else:
            return _signed_in(request, account, next_url)
    return render(
        request,
        "sandbox/signup.html",
        {
            "next": next_url,
            "errors": errors,
            "values": values,
            "signin_url": "/accounts/signin/?" + urlencode({"next": next_url}),
        },
        status=400 if errors else 200,
    )


@require_POST
def signout(request):
    request.session.flush()
    return HttpResponseRedirect("/accounts/signin/")


@signed_in
def dashboard(request):
    galleries = Gallery.objects.filter(account=request.account, deleted_at__isnull=True).order_by(
        "-updated_at"
    )
    page = Paginator(galleries, 50).get_page(request.GET.get("page"))
    return render(request, "sandbox/dashboard.html", {"account": request.account, "page": page})


@signed_in
@require_POST
def new_gallery(request):
    body = {"name": request.POST.get("name", "").strip()}
    if request.POST.get("client_name"):
        body["client"] = {
            "name": request.POST["client_name"],
            "email": request.POST.get("client_email") or None,
        }
    if request.POST.get("event_date"):
        body["event_date"] = request.POST["event_date"]
    try:
        g = services.create_gallery(request.account, services.validate_gallery_fields(request.account, body))
    except DomainError as exc:
        return _dashboard_error(request, exc)
    return HttpResponseRedirect(f"/dashboard/galleries/{g.id}/")


def _dashboard_error(request, exc):
    galleries = Gallery.objects.filter(account=request.account, deleted_at__isnull=True).order_by(
        "-updated_at"
    )
    page = Paginator(galleries, 50).get_page(1)
    return render(
        request,
        "sandbox/dashboard.html",
        {"account": request.account, "page": page, "error": exc.message, "details": exc.details},
        status=400,
    )


def _own_gallery(request, gallery_id):
    g = Gallery.objects.filter(id=gallery_id, account=request.account, deleted_at__isnull=True).first()
    if g is None:
        raise Http404("No such gallery")
    return g


@signed_in
@require_http_methods(["GET", "POST"])
def gallery_page(request, gallery_id):
    g = _own_gallery(request, gallery_id)
    message = error = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "publish":
                g = services.publish(g)
                message = "Gallery published."
            elif action == "offline":
                g = services.take_offline(g)
                message = "Gallery taken offline."
            elif action == "photos":
                try:
                    count = int(request.POST.get("count", ""))
                except ValueError:
                    count = 0
                g = services.add_photos(g, count)
                message = f"Added {count} photos."
            elif action == "order":
                o = services.place_order(g)
                message = f"Test order {o.number} placed."
            elif action == "refund":
                o = Order.objects.filter(id=request.POST.get("order_id"), gallery=g).first()
                if o is None:
                    raise Http404("No such order")
                o = services.set_order_status(o, "refunded")
                message = f"Order {o.number} refunded."
            elif action == "expiry":
                raw = request.POST.get("expires_on", "")
                expires = None
                if raw:
                    try:
                        expires = datetime.combine(services.parse_date(raw), dtime(23, 59, 59), UTC)
                    except ValueError:
                        raise DomainError(422, "validation_error", "Use a date like 2026-12-31.") from None
                g = services.set_expiry(g, expires)
                message = "Expiry date saved." if expires else "Expiry date removed."
            elif action == "delete":
                services.delete_gallery(g)
                return HttpResponseRedirect("/dashboard/")
            else:
                error = "Unknown action."
        except DomainError as exc:
            error = exc.message
        g = Gallery.objects.get(pk=g.pk)
    orders = Order.objects.filter(gallery=g).order_by("-placed_at")
    return render(
        request,
        "sandbox/gallery.html",
        {
            "account": request.account,
            "g": g,
            "data": services.gallery_json(g),
            "orders": [services.order_json(o) for o in orders],
            "message": message,
            "error": error,
        },
        status=400 if error else 200,
    )


@signed_in
def deliveries(request):
    qs = (
        WebhookDelivery.objects.filter(event__account=request.account)
        .select_related("event")
        .prefetch_related("attempts")
        .order_by("-created_at", "-id")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "sandbox/deliveries.html", {"account": request.account, "page": page})


def public_gallery(request, account_id, slug):
    g = Gallery.objects.filter(account_id=account_id, slug=slug, deleted_at__isnull=True).first()
    if g is None:
        return render(request, "sandbox/public.html", {"missing": True}, status=404)
    live = g.effective_status == "online"
    return render(
        request,
        "sandbox/public.html",
        {
            "g": g,
            "live": live,
            "expired": g.is_expired(),
            "images": range(1, min(g.image_count, 24) + 1),
        },
    )


def _hue(gallery_id, n):
    return (sum(map(ord, gallery_id)) * 37 + n * 53) % 360


def _rgb(hue, saturation, lightness):
    return bytes(round(c * 255) for c in colorsys.hls_to_rgb(hue / 360, lightness, saturation))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=256)
def landscape_png(gallery_id: str, n: int, width: int = 400, height: int = 300) -> bytes:
    """The placeholder photo as a PNG (what Pic-Time serves: mail clients show PNG and JPEG, many
    block SVG): sky, sun and hills in the gallery's colours, written with zlib alone."""
    hue = _hue(gallery_id, n)
    sky, sun, hill = _rgb(hue, 0.45, 0.72), _rgb((hue + 40) % 360, 0.60, 0.88), _rgb(hue, 0.35, 0.45)
    # The hills' ridge: straight lines through these points (x, y) on a 400 × 300 picture.
    ridge = [(0, 300), (130, 150), (220, 240), (290, 180), (400, 300)]

    def ridge_y(x):
        for (x0, y0), (x1, y1) in zip(ridge, ridge[1:], strict=False):
            if x0 <= x <= x1:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        return 300

    sx, sy = width / 400, height / 300
    tops = [ridge_y(x / sx) * sy for x in range(width)]
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        for x in range(width):
            if y >= tops[x]:
                rows += hill
            elif (x / sx - 300) ** 2 + (y / sy - 80) ** 2 <= 40**2:
                rows += sun
            else:
                rows += sky
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def placeholder_png(request, gallery_id, n):
    resp = HttpResponse(landscape_png(gallery_id, n), content_type="image/png")
    resp["Cache-Control"] = "public, max-age=3600"
    return resp


def placeholder_image(request, gallery_id, n):
    """The SVG placeholder of earlier sandbox data (covers are PNG now)."""
    hue = _hue(gallery_id, n)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">'
        f'<rect width="400" height="300" fill="hsl({hue},45%,72%)"/>'
        f'<circle cx="300" cy="80" r="40" fill="hsl({(hue + 40) % 360},60%,88%)"/>'
        f'<path d="M0 300 L130 150 L220 240 L290 180 L400 300 Z" fill="hsl({hue},35%,45%)"/>'
        f'<text x="16" y="32" font-family="sans-serif" font-size="20" fill="#fff">Photo {n}</text></svg>'
    )
    resp = HttpResponse(svg, content_type="image/svg+xml")
    resp["Cache-Control"] = "public, max-age=3600"
    return resp


CSS = """
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#13213a;color:#fff;padding:.7rem 1.5rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:700;letter-spacing:.02em}
header form{margin-left:auto}
main{max-width:960px;margin:1.5rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:1.2rem 1.4rem;margin-bottom:1rem}
.narrow{max-width:420px;margin:3rem auto}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
h2{font-size:1.15rem}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input{padding:.45rem .6rem;border:1px solid #c5cbd5;border-radius:5px;font:inherit;width:100%}
input[type=number],input[type=date]{width:auto}
button{font:inherit;padding:.45rem 1rem;border-radius:5px;border:1px solid #2a5bd7;
background:#2a5bd7;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#2a5bd7}
button.danger{background:#c62f3a;border-color:#c62f3a}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e6e9ee}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:99px;font-size:.8rem;font-weight:600}
.online{background:#dcf5e3;color:#17693a}
.offline{background:#eceef2;color:#555}
.expired{background:#fde2e2;color:#9b1c1c}
.msg{background:#e7f0ff;border:1px solid #b8cff8;padding:.5rem .8rem;border-radius:6px}
.err{background:#fdecec;border:1px solid #f3b9b9;padding:.5rem .8rem;border-radius:6px;color:#8b1d1d}
.row{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end}
.row form{display:flex;gap:.5rem;align-items:end}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:.7rem}
.grid img{width:100%;border-radius:6px}
.muted{color:#667}
code{font-size:.85em}
ul.scopes li{margin:.25rem 0}
.actions{display:flex;gap:.6rem;margin-top:1rem}
"""


def css(request):
    resp = HttpResponse(CSS, content_type="text/css")
    resp["Cache-Control"] = "public, max-age=600"
    return resp
