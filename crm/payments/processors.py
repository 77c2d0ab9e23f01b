"""The interface to whoever charges cards, and the test processor used until a real one is set.

A processor raises CardDeclined with words the client can read; it never raises for anything else
a client typed (the form checks the card's shape first).
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string


class CardDeclined(Exception):
    """The card was refused; nothing was charged."""


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    name: str = ""

    @property
    def last4(self):
        return self.number[-4:]


@dataclass(frozen=True)
class Charge:
    id: str
    amount: Decimal
    last4: str


class PaymentProcessor:
    def charge(self, *, amount: Decimal, currency: str, card: Card, description: str) -> Charge:
        raise NotImplementedError

    def refund(self, charge_id: str) -> None:
        """Gives a charge back (used when the CRM could not record a payment it charged)."""
        raise NotImplementedError


class TestCardProcessor(PaymentProcessor):
    """Charges nothing. 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined."""

    DECLINED = {"4000000000000002": "Your card was declined.", "4000000000009995": "Insufficient funds."}

    def charge(self, *, amount, currency, card, description):
        if card.number in self.DECLINED:
            raise CardDeclined(self.DECLINED[card.number])
        return Charge(id=f"test_ch_{secrets.token_hex(8)}", amount=amount, last4=card.last4)

    def refund(self, charge_id):
        return None


def get_processor() -> PaymentProcessor:
    return import_string(settings.PAYMENT_PROCESSOR)()
