"""Use cases of companies and their team."""

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Company, Membership

User = get_user_model()


def sign_up(*, company_name: str, name: str, email: str, password: str) -> User:
    """Creates a company and its owner. The email is the login."""
    first, _, last = name.strip().partition(" ")
    with transaction.atomic():
        company = Company.objects.create(name=company_name.strip(), email=email)
        user = User.objects.create_user(
            username=email.lower(), email=email.lower(), password=password, first_name=first, last_name=last
        )
        Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return user


def add_team_member(*, company: Company, name: str, email: str, password: str) -> User:
    first, _, last = name.strip().partition(" ")
    with transaction.atomic():
        user = User.objects.create_user(
            username=email.lower(), email=email.lower(), password=password, first_name=first, last_name=last
        )
        Membership.objects.create(user=user, company=company, role=Membership.Role.MEMBER)
    return user
