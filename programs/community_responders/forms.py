from django import forms

from .models import Partner, ReferralStatus
from .services import NOTE_MAX


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX)
    due_at = forms.DateTimeField(
        label="Next step due (e.g. the appointment)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ReferralStatus.choices)
        self.fields["status"].choices = [(s, labels[s]) for s in referral.next_statuses()]


class ReferralForm(forms.Form):
    call = forms.IntegerField(label="Call number", min_value=1, max_value=2**63 - 1)
    partner = forms.ModelChoiceField(label="Partner", queryset=Partner.objects.filter(active=True))
    service = forms.CharField(label="Service", max_length=120)
