"""Who may call the API: a member of a company (owner or member). Changes to company-wide settings
(the Pic-Time connection) are the owner's, as in the Settings pages.

`request.company` / `request.membership` are set as in the HTML views (crm.companies.access), so
every view reaches objects only through the company: another company's ids answer 404.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from crm.companies.access import load_membership


class IsCompanyMember(BasePermission):
    message = "You are not a member of a company."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        # DRF's request wraps Django's; membership is loaded on (and cached by) the Django request.
        membership = load_membership(request._request)
        request.company = request._request.company
        request.membership = membership
        return membership is not None


class IsCompanyOwnerOrReadOnly(IsCompanyMember):
    message = "Only the company's owner can change this."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or request.membership.is_owner
