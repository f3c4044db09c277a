"""Visits, visit tasks, policies and resident requests in the admin; for anyone but a superuser only those of the
households under their grid nodes (`core.admin.ScopedAdminMixin`)."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ScopedAdminMixin
from households.models import Household

from . import kinds
from .models import RequestEvent, ResidentRequest, Visit, VisitPolicy, VisitTask


@admin.register(VisitPolicy)
class VisitPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "priority_group", "interval_days", "revisit_days"]
    list_editable = ["interval_days", "revisit_days"]
    list_select_related = ["priority_group"]


@admin.register(Visit)
class VisitAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["household", "visited_at", "outcome", "handling", "logged_by", "created_at"]
    list_filter = ["outcome", "handling", "visited_at"]
    list_select_related = ["household__building", "logged_by"]
    search_fields = ["household__search_keys__key", "problem", "measures", "feedback"]
    fields = [
        "household",
        "visited_at",
        "logged_by",
        "visitors",
        "purposes",
        "outcome",
        "problem",
        "handling",
        "measures",
        "feedback",
        "photo",
        "idempotency_key",
        "created_at",
    ]
    raw_id_fields = ["household", "logged_by"]
    filter_horizontal = ["visitors"]
    date_hierarchy = "visited_at"
    readonly_fields = ["idempotency_key", "created_at"]

    def scope(self, queryset, user):
        return queryset.filter(household__in=Household.objects.visible_to(user))


class OverdueFilter(admin.SimpleListFilter):
    title = _("是否超期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已超期")), ("no", _("未超期"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.overdue(today)
        if self.value() == "no":
            return queryset.exclude(pk__in=VisitTask.objects.overdue(today).values("pk"))
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = _("任务类型")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return kinds.kind_choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class VisitTaskAdminForm(forms.ModelForm):
    """The kind as a choice among the registered kinds (`visits.kinds`), not a database choice."""

    kind = forms.ChoiceField(label=_("任务类型"), choices=kinds.kind_choices)

    class Meta:
        model = VisitTask
        fields = ["household", "assignee", "kind", "note", "earliest_on", "due_on", "state", "visit", "escalated_at"]


@admin.register(VisitTask)
class VisitTaskAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = VisitTaskAdminForm
    list_display = ["household", "kind_label", "assignee", "assigned_at", "earliest_on", "due_on", "state"]
    list_filter = ["state", KindFilter, OverdueFilter]
    list_select_related = ["household__building", "assignee"]
    raw_id_fields = ["household", "assignee", "visit"]
    readonly_fields = ["assigned_at"]
    date_hierarchy = "due_on"

    def save_model(self, request, obj, form, change):
        """A task handed to someone else here is theirs from now (`VisitTask.assign_to`'s rule)."""
        if change and "assignee" in form.changed_data:
            obj.assigned_at, obj.escalated_at = timezone.now(), None
        super().save_model(request, obj, form, change)

    @admin.display(description=_("任务类型"), ordering="kind")
    def kind_label(self, task):
        return task.kind_label


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    fields = ["at", "from_state", "to_state", "by", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ResidentRequest)
class ResidentRequestAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "urgency", "state", "assignee", "due_at", "created_at", "closed_at"]
    list_filter = ["state", "category", "urgency", "channel"]
    list_select_related = ["household__building", "assignee"]
    search_fields = ["description", "household__search_keys__key"]
    raw_id_fields = ["household", "assignee", "raised_in", "created_by"]
    readonly_fields = ["state", "closed_at", "satisfaction"]
    inlines = [RequestEventInline]
    date_hierarchy = "created_at"
