"""django-axes' key for an account: the email as typed, case and spaces aside (sign-in ignores them
too), so that "ADA@lumen.test " counts against the same account as "ada@lumen.test"."""


def username(request, credentials) -> str:
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if hasattr(request, "POST") else ""
    return str(value).strip().lower()


def response(request, original_response=None, credentials=None):
    """What a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): the API's error format for the API,
    the "Sign-in paused" page for people, both 429."""
    from django.conf import settings
    from django.http import JsonResponse
    from django.shortcuts import render

    message = settings.AXES_COOLOFF_MESSAGE
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": message, "details": {}}}, status=429)
    return render(
        request, "companies/locked_out.html", {"cooloff_timedelta": settings.AXES_COOLOFF_TIME}, status=429
    )
