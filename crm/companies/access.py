"""Who may see what: every page of the CRM runs as a member of one company.

`member_required` puts `request.company` and `request.membership` on the request; views then reach
objects only through the company (`Model.objects.for_company(request.company)`), so another
company's ids answer 404 as if they did not exist.
"""

from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from .models import Membership


def load_membership(request):
    if not hasattr(request, "membership"):
        membership = None
        if request.user.is_authenticated:
            membership = Membership.objects.select_related("company").filter(user=request.user).first()
        request.membership = membership
        request.company = membership.company if membership else None
        if request.company is not None:
            use_company_locale(request.company)
    return request.membership


def use_company_locale(company):
    """The rest of the request writes amounts and dates the company's way (crm.money, Django's
    formats); CompanyLocaleMiddleware puts the site's language back after the response."""
    translation.activate(company.language)


class CompanyLocaleMiddleware:
    """Each request starts in the site's language and leaves none behind on the thread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with translation.override(settings.LANGUAGE_CODE):
            return self.get_response(request)


def member_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if load_membership(request) is None:
            raise PermissionDenied("You are not a member of a company.")
        return view(request, *args, **kwargs)

    return wrapper


def owner_required(view):
    """Only the company's owner changes company-wide settings; members may look."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = load_membership(request)
        if membership is None or not membership.is_owner:
            raise PermissionDenied("Only the company's owner can change this.")
        return view(request, *args, **kwargs)

    return wrapper


@contextmanager
def or_404(model, message):
    """`with or_404(Project, "No such project."):` a service's `model.DoesNotExist` (an id of
    another company, or of nothing) answers 404, as a missing object does."""
    try:
        yield
    except model.DoesNotExist:
        raise Http404(message) from None
