"""Amounts as people read them: "$1,500.00", in the company's locale and currency (Babel).

Pages, emails and the activity feed write money with `format_money`; the API and the CSV exports keep
plain decimals. The locale is the active Django language (the company's: crm.companies.access
activates it for its pages and the portal, `translation.override` for emails), unless one is given.
"""

import functools
from decimal import Decimal, InvalidOperation

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal
from django.utils import translation

# Offered in Company Settings > General. Babel's identifiers ("en_US"); Django's are "en-us".
LOCALES = (
    "en_US",
    "en_CA",
    "en_GB",
    "en_IE",
    "en_AU",
    "en_NZ",
    "fr_FR",
    "fr_CA",
    "de_DE",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pt_BR",
)
DEFAULT_LOCALE = "en_US"


def locale_choices():
    return [(code, Locale.parse(code).get_display_name("en")) for code in LOCALES]


def current_locale() -> str:
    """The Babel locale of the active language ("en-us" → "en_US")."""
    return translation.to_locale(translation.get_language() or DEFAULT_LOCALE)


def format_money(amount, currency: str = "", locale: str | None = None) -> str:
    """ "$1,500.00" for (1500, "USD") in en_US, "1 500,00 €" for (1500, "EUR") in fr_FR. Without a
    currency, the number alone ("1,500.00"). "" for None or ""."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    return _formatted(str(value), currency, locale or current_locale())


@functools.lru_cache(maxsize=4096)
def _formatted(value: str, currency: str, locale: str) -> str:
    """Babel's formatting of one amount (its exact digits as the key): a page of tables prints the
    same amounts again and again, and each costs Babel its locale data and pattern."""
    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        parsed = Locale.parse(DEFAULT_LOCALE)
    if not currency:
        return format_decimal(Decimal(value), format="#,##0.00", locale=parsed)
    return format_currency(Decimal(value), currency, locale=parsed)
