from django.apps import AppConfig


class MobileCrisisConfig(AppConfig):
    name = "programs.mobile_crisis"
    label = "mobile_crisis"
    verbose_name = "Mobile crisis"
