import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone

from .models import Payment
from .processors import Card

MAX_INSTALLMENTS = 6


class InvoiceForm(forms.Form):
    """An invoice and its payment schedule: up to six (amount, due date) rows, at least one."""

    title = forms.CharField(label="Invoice title", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, MAX_INSTALLMENTS + 1):
            self.fields[f"amount_{i}"] = forms.DecimalField(
                label=f"Payment {i} amount", max_digits=10, decimal_places=2, required=False
            )
            self.fields[f"due_{i}"] = forms.DateField(
                label=f"Payment {i} due date", required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def schedule_rows(self):
        return [(self[f"amount_{i}"], self[f"due_{i}"]) for i in range(1, MAX_INSTALLMENTS + 1)]

    def clean(self):
        data = super().clean()
        schedule = []
        for i in range(1, MAX_INSTALLMENTS + 1):
            amount, due = data.get(f"amount_{i}"), data.get(f"due_{i}")
            if f"amount_{i}" in self.errors or f"due_{i}" in self.errors:
                continue
            if amount is None and due is None:
                continue
            if amount is None:
                self.add_error(f"amount_{i}", "Enter the amount of this payment.")
            elif amount <= 0:
                self.add_error(f"amount_{i}", "Enter an amount greater than zero.")
            if due is None:
                self.add_error(f"due_{i}", "Enter the date this payment is due.")
            elif schedule and due < schedule[-1][1]:
                self.add_error(f"due_{i}", "Payments are due in order: this date is before the previous one.")
            if amount and amount > 0 and due:
                schedule.append((amount, due))
        if not schedule and not self.errors:
            self.add_error("amount_1", "Add at least one payment.")
        data["schedule"] = schedule
        return data


class RecordPaymentForm(forms.Form):
    """A payment the photographer received outside the portal."""

    amount = forms.DecimalField(label="Amount", max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(
        label="Method", choices=[c for c in Payment.Method.choices if c[0] != Payment.Method.CARD]
    )
    reference = forms.CharField(label="Reference (check number, transfer id)", max_length=100, required=False)
    paid_on = forms.DateField(label="Paid on", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError("A payment can't be recorded in the future.")
        return paid_on


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class SecretTextInput(forms.TextInput):
    """A text box that never sends its value back in the page (a card's number and CVC)."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    name = forms.CharField(
        label="Name on card", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "cc-name"})
    )
    number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=SecretTextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry = forms.CharField(
        label="Expiry (MM/YY)", max_length=5, widget=forms.TextInput(attrs={"autocomplete": "cc-exp"})
    )
    cvc = forms.CharField(
        label="CVC",
        max_length=4,
        widget=SecretTextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_number(self):
        number = self.cleaned_data["number"].replace(" ", "").replace("-", "")
        if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_ok(number):
            raise forms.ValidationError("Enter a valid card number.")
        return number

    def clean_expiry(self):
        value = self.cleaned_data["expiry"].strip()
        try:
            month, year = (int(part) for part in value.split("/"))
        except ValueError:
            raise forms.ValidationError("Enter the expiry as MM/YY.") from None
        if not 1 <= month <= 12:
            raise forms.ValidationError("Enter the expiry as MM/YY.")
        year += 2000
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired.")
        return (month, year)

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"]
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("Enter the 3 or 4 digits on the back of the card.")
        return cvc

    def card(self) -> Card:
        month, year = self.cleaned_data["expiry"]
        return Card(
            number=self.cleaned_data["number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["cvc"],
            name=self.cleaned_data["name"],
        )


def paid_at_from_date(day: datetime.date):
    """When a payment recorded with only its date was made: now, for today's (never a time still to
    come, and after Auto-create was turned on if it was, as the payment arrives now); else the day at
    noon in the company's time zone (the time isn't known)."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
