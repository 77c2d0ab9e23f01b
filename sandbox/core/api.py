"""REST API /api/v2 as in the contract."""

import base64
import hashlib
import json
import re
import secrets
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import services, state, tokens
from .models import (
    EVENT_TYPES,
    Gallery,
    IdempotencyKey,
    ListingSnapshot,
    Order,
    WebhookSubscription,
)
from .oauth import drop_connection
from .services import DomainError

IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
IDEMPOTENCY_TTL = timedelta(hours=24)


def error(status, code, message, details=None, headers=None):
    body = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    resp = JsonResponse(body, status=status)
    for k, v in (headers or {}).items():
        resp[k] = v
    return resp


def _fmt_rate(value):
    return str(int(value)) if float(value).is_integer() else str(value)


def api_view(methods):
    """methods: {"GET": ("scope", handler), ...}."""

    def view(request, **kwargs):
        grant, problem = tokens.authenticate_bearer(request.META.get("HTTP_AUTHORIZATION", ""))
        if grant is None:
            return error(
                401, "invalid_token", problem, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        account_id = grant.account_id
        state.count(account_id, "api_requests")
        allowed, remaining, retry_after, limit, in_block = state.rate_check(account_id)
        rl_headers = {"X-RateLimit-Limit": _fmt_rate(limit), "X-RateLimit-Remaining": str(remaining)}
        if not allowed:
            state.count(account_id, "rate_limited")
            if in_block:
                state.count(account_id, "refused_during_block")
            return error(
                429,
                "rate_limited",
                "Too many requests: slow down.",
                headers={**rl_headers, "Retry-After": str(retry_after)},
            )
        resp = _handle(request, grant, methods, kwargs, rl_headers)
        for k, v in rl_headers.items():
            resp[k] = v
        return resp

    return csrf_exempt(view)


def _handle(request, grant, methods, kwargs, rl_headers):
    fault, sleep = state.api_fault()
    is_create = request.method == "POST" and methods.get("POST", (None, None))[1] is create_gallery
    if sleep and not is_create:
        time.sleep(sleep)
    if fault is not None:
        kind, value = fault
        if kind == "429":
            state.count(grant.account_id, "rate_limited")
            state.block(grant.account_id, value)
            return error(
                429, "rate_limited", "Too many requests (injected).", headers={"Retry-After": str(value)}
            )
        return error(500, "internal_error", "Injected fault: please retry.")
    if request.method not in methods:
        return error(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed here.",
            headers={"Allow": ", ".join(methods)},
        )
    scope, handler = methods[request.method]
    if scope not in grant.scope.split():
        return error(
            403,
            "insufficient_scope",
            f"This token lacks the scope {scope}.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )
    try:
        if is_create:
            resp = handler(request, grant, delay=sleep, **kwargs)
        else:
            resp = handler(request, grant, **kwargs)
    except DomainError as exc:
        return error(exc.status, exc.code, exc.message, exc.details)
    if resp.status_code < 300:
        # Carried out (a gallery made, an order read), then the answer is lost on its way back.
        lost = state.api_answer_fault()
        if lost is not None:
            state.count(grant.account_id, "answers_lost")
        if lost == "lose":
            return error(500, "internal_error", "Injected fault: the answer was lost.")
        if lost == "drop":
            drop_connection(request)
    return resp


def read_json(request):
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise DomainError(400, "bad_request", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise DomainError(400, "bad_request", "The body must be a JSON object.")
    return body


# ---------------------------------------------------------------- account


def get_account(request, grant):
    return JsonResponse(services.account_json(grant.account))


# ---------------------------------------------------------------- paging


def _encode_cursor(snapshot_id, offset):
    raw = json.dumps({"s": snapshot_id, "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_cursor(cursor, account, kind):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        snap = ListingSnapshot.objects.get(id=data["s"], account=account, kind=kind)
        return snap, int(data["o"])
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, ListingSnapshot.DoesNotExist):
        raise DomainError(
            422, "validation_error", "Invalid cursor.", {"cursor": ["Unknown or expired cursor."]}
        ) from None


def _parse_limit(request):
    raw = request.GET.get("limit")
    if raw in (None, ""):
        return 50
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise DomainError(422, "validation_error", "Invalid query.", {"limit": ["Use a whole number 1-100."]})
    return limit


def _parse_since(request, errors):
    raw = request.GET.get("updated_since")
    if raw in (None, ""):
        return None
    try:
        return services.parse_timestamp(raw)
    except ValueError:
        errors["updated_since"] = ["Use an ISO 8601 timestamp with a zone, e.g. 2026-11-26T10:00:00Z."]


def _page(request, account, kind, qs, errors, to_json):
    """Cursor paging over a snapshot of `qs`'s ordered ids, taken at the first page. The first page
    also applies `updated_since` (every listing takes it) and refuses the query with its errors."""
    if not request.GET.get("cursor"):
        since = _parse_since(request, errors)
        if since is not None:
            qs = qs.filter(updated_at__gte=since)
    if errors:
        raise DomainError(422, "validation_error", "Invalid query.", errors)
    limit = _parse_limit(request)
    cursor = request.GET.get("cursor")
    if cursor:
        snap, offset = _decode_cursor(cursor, account, kind)
        ids = snap.ids
    else:
        ids = list(qs.order_by("updated_at", "id").values_list("id", flat=True))
        offset, snap = 0, None
    chunk = ids[offset : offset + limit]
    found = {row.id: row for row in qs.filter(id__in=chunk)}
    rows = [to_json(found[i]) for i in chunk if i in found]
    next_cursor = None
    if offset + limit < len(ids):
        if snap is None:
            ListingSnapshot.objects.filter(created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
            snap = ListingSnapshot.objects.create(account=account, kind=kind, ids=ids)
        next_cursor = _encode_cursor(snap.id, offset + limit)
    return JsonResponse({"data": rows, "next_cursor": next_cursor})


# ---------------------------------------------------------------- galleries


def _live_galleries(account):
    return Gallery.objects.filter(account=account, deleted_at__isnull=True)


def list_galleries(request, grant):
    account = grant.account
    errors = {}
    qs = _live_galleries(account)
    if not request.GET.get("cursor"):
        q = request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(client_name__icontains=q) | Q(client_email__icontains=q))
        status = request.GET.get("status", "")
        now = timezone.now()
        not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        if status == "online":
            qs = qs.filter(not_expired, status="online")
        elif status == "offline":
            qs = qs.exclude(Q(status="online") & not_expired)
        elif status:
            errors["status"] = ["Use online or offline."]
        ids_raw = request.GET.get("ids")
        if ids_raw:
            ids = [i for i in ids_raw.split(",") if i.strip()]
            if len(ids) > 100:
                errors["ids"] = ["At most 100 ids."]
            qs = qs.filter(id__in=[i.strip() for i in ids])
    return _page(request, account, "galleries", qs, errors, services.gallery_json)


def get_gallery(request, grant, gallery_id):
    g = _live_galleries(grant.account).filter(id=gallery_id).first()
    if g is None:
        return error(404, "not_found", "No such gallery.")
    return JsonResponse(services.gallery_json(g))


def _claim_key(account, key, request_hash):
    """Return (record, None) if this request owns the key now, else (None, response)."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    account=account, key=key, request_hash=request_hash
                ), None
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(account=account, key=key).first()
        if existing is None:
            continue
        if existing.created_at < timezone.now() - IDEMPOTENCY_TTL:
            existing.delete()
            continue
        if existing.request_hash != request_hash:
            return None, error(409, "conflict", "This Idempotency-Key was used with a different body.")
        if existing.state != "done":
            return None, error(
                409,
                "request_in_progress",
                "A request with this Idempotency-Key is still running: retry later.",
            )
        resp = HttpResponse(
            existing.response_body, status=existing.response_status, content_type="application/json"
        )
        resp["Idempotent-Replayed"] = "true"
        return None, resp
    return None, error(409, "request_in_progress", "A request with this Idempotency-Key is still running.")


def create_gallery(request, grant, delay=0.0):
    account = grant.account
    key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if key is None or key == "":
        return error(400, "bad_request", "The Idempotency-Key header is required.")
    if not IDEMPOTENCY_KEY_RE.match(key):
        return error(400, "bad_request", "Idempotency-Key must be 1-255 printable ASCII characters.")
    body = read_json(request)
    request_hash = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    record, replay = _claim_key(account, key, request_hash)
    if replay is not None:
        return replay
    try:
        if delay:
            time.sleep(delay)  # injected latency/hang, while the key is held
        clean = services.validate_gallery_fields(account, body)
        g = services.create_gallery(account, clean)
    except DomainError:
        record.delete()  # a 4xx does not spend the key
        raise
    except BaseException:
        record.delete()
        raise
    payload = json.dumps(services.gallery_json(g))
    record.state, record.response_status, record.response_body = "done", 201, payload
    record.save(update_fields=["state", "response_status", "response_body"])
    return HttpResponse(payload, status=201, content_type="application/json")


# ---------------------------------------------------------------- orders


def list_orders(request, grant):
    account = grant.account
    errors = {}
    qs = Order.objects.filter(account=account)
    if not request.GET.get("cursor"):
        gallery_id = request.GET.get("gallery_id")
        if gallery_id:
            qs = qs.filter(gallery_id=gallery_id)
    return _page(request, account, "orders", qs, errors, services.order_json)


# ---------------------------------------------------------------- webhooks


def _webhook_json(sub, with_secret=False):
    body = {"id": sub.id, "url": sub.url, "events": sub.events}
    if with_secret:
        body["secret"] = sub.secret
    return body


def create_webhook(request, grant):
    body = read_json(request)
    errors = {}
    url = body.get("url")
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+(/\S*)?$", url) or len(url) > 2000:
        errors["url"] = ["Give an absolute http(s) URL."]
    events = body.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        errors["events"] = ["Give a non-empty list of event types."]
    else:
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown:
            errors["events"] = ["Unknown event types: " + ", ".join(unknown)]
    if errors:
        raise DomainError(422, "validation_error", "The request body is invalid.", errors)
    events = [e for e in EVENT_TYPES if e in events]
    try:
        with transaction.atomic():
            sub = WebhookSubscription.objects.create(
                account=grant.account,
                grant=grant,
                url=url,
                events=events,
                secret="whsec_" + secrets.token_hex(24),
            )
    except IntegrityError:
        return error(409, "conflict", "This URL is already subscribed for this connection.")
    return JsonResponse(_webhook_json(sub, with_secret=True), status=201)


def list_webhooks(request, grant):
    subs = WebhookSubscription.objects.filter(grant=grant).order_by("created_at", "id")
    return JsonResponse({"data": [_webhook_json(s) for s in subs]})


def delete_webhook(request, grant, webhook_id):
    deleted, _ = WebhookSubscription.objects.filter(grant=grant, id=webhook_id).delete()
    if not deleted:
        return error(404, "not_found", "No such webhook.")
    return HttpResponse(status=204)


@csrf_exempt
def not_found(request, rest=""):
    return error(404, "not_found", "No such endpoint.")


account_view = api_view({"GET": ("account:read", get_account)})
galleries_view = api_view(
    {"GET": ("galleries:read", list_galleries), "POST": ("galleries:write", create_gallery)}
)
gallery_view = api_view({"GET": ("galleries:read", get_gallery)})
orders_view = api_view({"GET": ("orders:read", list_orders)})
webhooks_view = api_view(
    {"GET": ("webhooks:write", list_webhooks), "POST": ("webhooks:write", create_webhook)}
)
webhook_view = api_view({"DELETE": ("webhooks:write", delete_webhook)})
