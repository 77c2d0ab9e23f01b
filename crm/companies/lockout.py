"""django-axes' key for an account: the email as typed, case and spaces aside (sign-in ignores them
too), so that "ADA@lumen.test " counts against the same account as "ada@lumen.test"."""


def username(request, credentials) -> str:
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if hasattr(request, "POST") else ""
    return str(value).strip().lower()
