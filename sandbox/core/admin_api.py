"""Test-control endpoints under /_sandbox/ (header X-Sandbox-Admin required, except health)."""

import hmac
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import services, state, tokens, webhooks
from .models import (
    ALL_SCOPES,
    Account,
    Gallery,
    Grant,
    OAuthClient,
    Order,
    WebhookDelivery,
)
from .services import DomainError


def _error(status, code, message, details=None):
    body = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return JsonResponse(body, status=status)


def admin_view(methods):
    def view(request, **kwargs):
        presented = request.META.get("HTTP_X_SANDBOX_ADMIN", "")
        if not hmac.compare_digest(presented.encode(), settings.SANDBOX_ADMIN_TOKEN.encode()):
            return _error(403, "forbidden", "The X-Sandbox-Admin header is missing or wrong.")
        handler = methods.get(request.method)
        if handler is None:
            return _error(405, "method_not_allowed", f"{request.method} is not allowed here.")
        body = {}
        if request.method in ("POST", "PUT", "PATCH") and request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                return _error(400, "bad_request", "The body is not valid JSON.")
            if not isinstance(body, dict):
                return _error(400, "bad_request", "The body must be a JSON object.")
        try:
            result = handler(request, body, **kwargs)
        except DomainError as exc:
            return _error(exc.status, exc.code, exc.message, exc.details)
        if isinstance(result, HttpResponse):
            return result
        if result is None:
            return HttpResponse(status=204)
        return JsonResponse(
            result,
            safe=False,
            status=201
            if request.method == "POST" and isinstance(result, dict) and result.pop("_created", False)
            else 200,
        )

    return csrf_exempt(view)


def _created(d):
    d["_created"] = True
    return d


def _one(queryset, what):
    """The row asked for, or the API's 404 naming what was not found."""
    row = queryset.first()
    if row is None:
        raise DomainError(404, "not_found", f"No such {what}.")
    return row


def _account(account_id):
    return _one(Account.objects.filter(id=account_id), "account")


def _gallery(gallery_id):
    return _one(Gallery.objects.filter(id=gallery_id, deleted_at__isnull=True), "gallery")


@csrf_exempt
def health(request):
    return JsonResponse({"status": "ok", "service": "pictime-sandbox"})


def create_account(request, body):
    account = services.create_account(
        body.get("name"), body.get("email"), body.get("password"), body.get("plan") or "pro"
    )
    return _created(services.account_json(account))


def create_client(request, body):
    errors = {}
    for field in ("client_id", "client_secret"):
        if not isinstance(body.get(field), str) or not body.get(field):
            errors[field] = ["This field is required."]
    uris = body.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) and u for u in uris):
        errors["redirect_uris"] = ["Give a non-empty list of URIs."]
    if errors:
        raise DomainError(422, "validation_error", "Invalid client.", errors)
    client = tokens.register_client(
        body["client_id"], body["client_secret"], uris, body.get("name") or body["client_id"]
    )
    return _created(
        {"client_id": client.client_id, "name": client.name, "redirect_uris": client.redirect_uris}
    )


def create_grant(request, body):
    account = _account(body.get("account_id"))
    client = OAuthClient.objects.filter(client_id=body.get("client_id")).first()
    if client is None:
        raise DomainError(404, "not_found", "No such client.")
    scopes = (body.get("scope") or " ".join(ALL_SCOPES)).split()
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise DomainError(422, "validation_error", "Unknown scope.", {"scope": unknown})
    grant = Grant.objects.create(
        account=account, client=client, scope=" ".join(s for s in ALL_SCOPES if s in scopes)
    )
    return _created(tokens.issue_pair(grant, body.get("expires_in")))


def expire_tokens(request, body, account_id):
    return {"expired": tokens.expire_access_tokens(_account(account_id))}


def revoke_grants(request, body, account_id):
    return {"revoked": tokens.revoke_account_grants(_account(account_id), "revoked_by_pictime")}


def _parse_ts_field(body, field):
    value = body.get(field)
    if value is None:
        return None
    try:
        return services.parse_timestamp(value)
    except ValueError:
        raise DomainError(
            422, "validation_error", "Invalid timestamp.", {field: ["ISO 8601 with a zone."]}
        ) from None


def create_gallery(request, body):
    account = _account(body.get("account_id"))
    clean = services.validate_gallery_fields(account, body)
    status = body.get("status") or "offline"
    if status not in ("online", "offline"):
        raise DomainError(422, "validation_error", "Invalid status.", {"status": ["online or offline"]})
    g = services.create_gallery(
        account,
        clean,
        status=status,
        image_count=int(body.get("image_count") or 0),
        expires_at=_parse_ts_field(body, "expires_at"),
    )
    return _created(services.gallery_json(g))


def gallery_detail(request, body, gallery_id):
    g = _gallery(gallery_id)
    if request.method == "DELETE":
        services.delete_gallery(g)
        return None
    return services.gallery_json(g)


def publish(request, body, gallery_id):
    return services.gallery_json(services.publish(_gallery(gallery_id)))


def offline(request, body, gallery_id):
    return services.gallery_json(services.take_offline(_gallery(gallery_id)))


def photos(request, body, gallery_id):
    return services.gallery_json(services.add_photos(_gallery(gallery_id), body.get("count", 1)))


def expiry(request, body, gallery_id):
    g = _gallery(gallery_id)
    return services.gallery_json(services.set_expiry(g, _parse_ts_field(body, "expires_at")))


def place_order(request, body, gallery_id):
    o = services.place_order(
        _gallery(gallery_id),
        items=body.get("items"),
        customer=body.get("customer"),
        currency=body.get("currency") or "USD",
    )
    return _created(services.order_json(o))


def _order(order_id):
    return _one(Order.objects.filter(id=order_id), "order")


def refund(request, body, order_id):
    return services.order_json(services.set_order_status(_order(order_id), "refunded"))


def cancel(request, body, order_id):
    return services.order_json(services.set_order_status(_order(order_id), "cancelled"))


def faults(request, body):
    """Faults for every request, or with ``account_id`` the token faults of that account's grants."""
    if request.method == "POST":
        account_id = body.pop("account_id", None)
        if account_id is not None:
            _account(account_id)
        try:
            return state.set_faults(body, account_id)
        except ValueError as exc:
            raise DomainError(422, "validation_error", str(exc)) from None
    if request.method == "DELETE":
        return state.clear_faults()
    return state.get_faults(request.GET.get("account_id") or None)


def rate_limit(request, body):
    if request.method == "DELETE":
        return state.set_rate(None, None)
    if request.method == "GET":
        return state.rate_config()
    try:
        per_sec = float(body["per_sec"])
        burst = int(body["burst"])
        if per_sec <= 0 or burst < 1:
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise DomainError(422, "validation_error", "Give per_sec > 0 and burst >= 1.") from None
    return state.set_rate(per_sec, burst)


def stats(request, body):
    account_id = request.GET.get("account_id") or None
    galleries = Gallery.objects.filter(deleted_at__isnull=True)
    if account_id:
        galleries = galleries.filter(account_id=account_id)
    return {"galleries": galleries.count(), **state.stats(account_id)}


def deliveries(request, body):
    qs = (
        WebhookDelivery.objects.select_related("event")
        .prefetch_related("attempts")
        .order_by("created_at", "id")
    )
    if request.GET.get("account_id"):
        qs = qs.filter(event__account_id=request.GET["account_id"])
    return [webhooks.delivery_json(d) for d in qs]


health_view = health
accounts_view = admin_view({"POST": create_account})
expire_tokens_view = admin_view({"POST": expire_tokens})
revoke_grants_view = admin_view({"POST": revoke_grants})
clients_view = admin_view({"POST": create_client})
grants_view = admin_view({"POST": create_grant})
galleries_view = admin_view({"POST": create_gallery})
gallery_view = admin_view({"GET": gallery_detail, "DELETE": gallery_detail})
publish_view = admin_view({"POST": publish})
offline_view = admin_view({"POST": offline})
photos_view = admin_view({"POST": photos})
expiry_view = admin_view({"POST": expiry})
orders_view = admin_view({"POST": place_order})
refund_view = admin_view({"POST": refund})
cancel_view = admin_view({"POST": cancel})
faults_view = admin_view({"GET": faults, "POST": faults, "DELETE": faults})
rate_limit_view = admin_view({"GET": rate_limit, "POST": rate_limit, "DELETE": rate_limit})
stats_view = admin_view({"GET": stats})
deliveries_view = admin_view({"GET": deliveries})
