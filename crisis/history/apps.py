from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """Consent-scoped lookup of a person's history: response plans, consents, clinical and Part 2 records."""

    name = "crisis.history"
    label = "history"
    verbose_name = "Person history (consent-scoped)"
