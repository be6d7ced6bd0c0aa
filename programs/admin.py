from django.contrib import admin

from .models import Program


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area_type", "open_24_7", "active"]
    list_filter = ["kind", "active", "area_type"]
    search_fields = ["name"]
