"""The mediation admin: the committees' roster, the disputes with their filters and full change history, and
(for superusers) early signs and watch items.

A dispute's content — title, facts, parties, statements, sessions, the agreement, follow-up notes — is
confidential (人民调解法 art. 15). In the admin only a superuser reads it. Any other staff user sees the
disputes of `Dispute.objects.counted_for` with their number, committee, type, risk, state and dates: the
change page, its inlines, the search and the history page are cut down to those fields (`COUNT_FIELDS`), and
rows outside `counted_for` are out of reach on every page (`core.admin.ScopedAdminMixin`).
Disputes are registered and moved through their flow on the portal (`mediation.services`), never added here.
"""

import dataclasses

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from accounts.models import User
from core.admin import ScopedAdminMixin
from core.parsing import parse_id
from grids.models import Grid

from .models import (
    Dispute,
    DisputeEvent,
    DisputeMediator,
    EarlySign,
    FollowUp,
    MediationSession,
    Mediator,
    Party,
    WatchItem,
    committees_of,
)

# What anyone with the view permission may see of a dispute: the figures the statistics count, never content.
COUNT_FIELDS = [
    "number",
    "community",
    "grid",
    "dispute_type",
    "source",
    "risk",
    "state",
    "registered_at",
    "registered_by",
    "accepted_on",
    "deadline",
    "extended_on",
    "concluded_on",
    "agreement_kind",
    "escalated_to",
    "closed_on",
]


class ReadOnlyInline(admin.TabularInline):
    """Rows written by `mediation.services` (steps, assignments, sessions, follow-ups): shown, never edited here."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("mediation.view_dispute")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SuperuserOnly:
    """An admin (or inline) whose rows carry dispute content: superusers only, whatever the role's permissions."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- roster ------------------------------------------------------------------------------------------------


class MediatorForm(forms.ModelForm):
    skills = forms.MultipleChoiceField(
        label=_("擅长"),
        choices=Mediator.Skill.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("擅长调解的纠纷类别，可多选"),
    )

    class Meta:
        model = Mediator
        fields = ["community", "name", "category", "skills", "phone", "resident", "user", "is_active", "note"]

    def clean_skills(self):
        """Stored in the order of `Mediator.Skill`, whatever order the boxes came in."""
        chosen = set(self.cleaned_data["skills"])
        return [skill for skill in Mediator.Skill.values if skill in chosen]


def roster_for(user, mediators):
    """The roster entries a staff user may list: all for those who see everything, else their communities'."""
    if user.sees_everything:
        return mediators
    return mediators.filter(
        Q(community__in=Grid.objects.visible_to(user).values("community")) | Q(community__in=committees_of(user))
    )


class SkillFilter(admin.SimpleListFilter):
    title = _("擅长")
    parameter_name = "skill"

    def lookups(self, request, model_admin):
        return Mediator.Skill.choices

    def queryset(self, request, queryset):
        if self.value() in Mediator.Skill.values:
            # The JSON list compared as text: no skill key is part of another (PostgreSQL and SQLite alike).
            return queryset.filter(skills__icontains=self.value())
        return queryset


@admin.register(Mediator)
class MediatorAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    form = MediatorForm
    list_display = ["name", "category", "community", "skills_display", "phone", "is_active", "user"]
    list_filter = ["is_active", "category", SkillFilter, "community"]
    list_select_related = ["community", "user"]
    search_fields = ["name"]
    autocomplete_fields = ["community", "resident"]

    def scope(self, queryset, user):
        return roster_for(user, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(role=User.Role.MEDIATOR).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("擅长"))
    def skills_display(self, mediator):
        return "、".join(str(label) for label in mediator.skill_labels()) or "—"


# --- disputes ----------------------------------------------------------------------------------------------


class PartyInline(SuperuserOnly, ReadOnlyInline):
    model = Party
    fields = ["side", "kind", "name", "gender", "age", "occupation", "address", "representative", "claims"]
    readonly_fields = fields
    show_change_link = True


class AssignmentInline(ReadOnlyInline):
    """Who mediates: shown to every viewer; the recusal reason (it may name a relation to a party) to superusers."""

    model = DisputeMediator
    fields = ["mediator", "is_lead", "assigned_at", "assigned_by", "recused_at", "recusal_reason"]
    readonly_fields = fields

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.fields
        return [name for name in self.fields if name != "recusal_reason"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("mediator", "assigned_by")


class EventInline(ReadOnlyInline):
    """The recorded steps; their notes (reasons, agreed extensions) to superusers only."""

    model = DisputeEvent
    fields = ["at", "from_state", "to_state", "by", "note"]
    readonly_fields = fields

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.fields
        return [name for name in self.fields if name != "note"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class SessionInline(SuperuserOnly, ReadOnlyInline):
    model = MediationSession
    fields = ["held_on", "place", "mediator_names", "attendees", "record", "next_step", "recorded_by"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by").prefetch_related("mediators")

    @admin.display(description=_("调解员"))
    def mediator_names(self, session):
        return "、".join(mediator.name for mediator in session.mediators.all())


class FollowUpInline(SuperuserOnly, ReadOnlyInline):
    model = FollowUp
    fields = ["round", "agreement_on", "due_on", "assignee", "done_at", "done_by", "performed", "note"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee", "done_by")


class DisputeStateFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("未结（全部）")), ("overdue", _("已超调解期限")), *Dispute.State.choices]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "overdue":
            return queryset.filter(queryset.overdue_q(timezone.localdate()))
        if self.value() in Dispute.State.values:
            return queryset.filter(state=self.value())
        return queryset


class MediatorFilter(admin.SimpleListFilter):
    """Disputes a roster entry mediates now (assigned and not recused)."""

    title = _("调解员")
    parameter_name = "mediator"

    def lookups(self, request, model_admin):
        mediators = roster_for(request.user, Mediator.objects.select_related("community"))
        return [(mediator.pk, f"{mediator.name}（{mediator.community.name}）") for mediator in mediators]

    def queryset(self, request, queryset):
        if mediator_id := parse_id(self.value()):
            active = DisputeMediator.objects.filter(
                dispute=OuterRef("pk"), mediator_id=mediator_id, recused_at__isnull=True
            )
            return queryset.filter(Exists(active))
        return queryset


class CountsOnlyHistory(HistoricalRecordContextHelper):
    """A history entry's changes, leaving out every field outside COUNT_FIELDS."""

    def context_for_delta_changes(self, delta):
        changes = [change for change in delta.changes if change.field in COUNT_FIELDS]
        delta = dataclasses.replace(delta, changes=changes, changed_fields=[change.field for change in changes])
        return super().context_for_delta_changes(delta)


@admin.register(Dispute)
class DisputeAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "number",
        "title",
        "party_names",
        "community",
        "dispute_type",
        "risk",
        "state",
        "registered_at",
        "deadline",
        "mediator_names",
    ]
    list_display_links = ["number"]
    list_filter = [DisputeStateFilter, "dispute_type", "risk", "community", MediatorFilter, "source", "agreement_kind"]
    list_select_related = ["community"]
    date_hierarchy = "registered_at"
    search_fields = ["number", "title", "parties__name"]
    inlines = [PartyInline, AssignmentInline, SessionInline, EventInline, FollowUpInline]
    fieldsets = [
        (
            _("案件"),
            {
                "fields": [
                    "number",
                    "community",
                    "grid",
                    "dispute_type",
                    "source",
                    "risk",
                    "state",
                    "registered_at",
                    "registered_by",
                    "resident_request",
                ]
            },
        ),
        (_("纠纷内容"), {"fields": ["title", "facts", "matters", "rejection_reason"]}),
        (_("调解期限"), {"fields": ["accepted_on", "deadline", "extended_on", "extension_reason"]}),
        (
            _("调解结果"),
            {
                "fields": [
                    "concluded_on",
                    "agreement_kind",
                    "responsibility",
                    "agreement",
                    "performance_manner",
                    "performance_deadline",
                    "court_confirmation",
                    "escalated_to",
                    "failure_reason",
                    "closed_on",
                ]
            },
        ),
    ]
    # The number and every step's fields move only through the dispute's flow (`Dispute.advance` and the
    # services), never by hand; a superuser may correct the content's wording and the dispute's classification.
    readonly_fields = [
        *(name for name in COUNT_FIELDS if name not in ("grid", "dispute_type", "source")),
        "resident_request",
        "rejection_reason",
        "extension_reason",
        "performance_deadline",
        "failure_reason",
    ]

    def has_add_permission(self, request):
        return False  # registered at /mediation/new/, where it is numbered

    def scope(self, queryset, user):
        return queryset.filter(pk__in=Dispute.objects.counted_for(user).values("pk"))

    def get_queryset(self, request):
        active = DisputeMediator.objects.filter(recused_at__isnull=True).select_related("mediator")
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("assignments", queryset=active, to_attr="active_assignments"))
        )
        return queryset.prefetch_related("parties") if request.user.is_superuser else queryset

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return [name for name in self.list_display if name not in ("title", "party_names")]

    def get_search_fields(self, request):
        return self.search_fields if request.user.is_superuser else ["number"]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return self.fieldsets
        return [(None, {"fields": COUNT_FIELDS})]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        return COUNT_FIELDS

    def get_inlines(self, request, obj):
        if request.user.is_superuser:
            return self.inlines
        return [AssignmentInline, EventInline]

    def get_historical_record_context_helper(self, request, historical_record):
        if request.user.is_superuser:
            return super().get_historical_record_context_helper(request, historical_record)
        return CountsOnlyHistory(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        if not request.user.is_superuser:
            for record in historical_records:
                record.history_change_reason = ""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A past version of the whole record: content, so superusers only."""
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.display(description=_("当事人"))
    def party_names(self, dispute):
        return "、".join(party.name for party in dispute.parties.all())

    @admin.display(description=_("调解员"))
    def mediator_names(self, dispute):
        return "、".join(assignment.mediator.name for assignment in dispute.active_assignments) or "—"


# --- content rows with their own change history (superusers only) ------------------------------------------


@admin.register(Party)
class PartyAdmin(SuperuserOnly, SimpleHistoryAdmin):
    """A party's particulars; a superuser may correct them (the agreement prints what is stored here)."""

    list_display = ["name", "side", "kind", "dispute", "gender", "age", "occupation"]
    list_filter = ["side", "kind"]
    list_select_related = ["dispute"]
    search_fields = ["name", "=dispute__number"]
    fields = [
        "dispute",
        "side",
        "kind",
        "resident",
        "household",
        "name",
        "gender",
        "age",
        "occupation",
        "address",
        "phone",
        "representative",
        "claims",
    ]
    readonly_fields = ["dispute", "side", "kind", "resident", "household"]

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(MediationSession)
class MediationSessionAdmin(SuperuserOnly, SimpleHistoryAdmin):
    list_display = ["dispute", "held_on", "place", "recorded_by"]
    list_select_related = ["dispute", "recorded_by"]
    search_fields = ["=dispute__number"]
    date_hierarchy = "held_on"


@admin.register(FollowUp)
class FollowUpAdmin(SuperuserOnly, SimpleHistoryAdmin):
    list_display = ["dispute", "round", "due_on", "assignee", "done_at", "performed"]
    list_filter = [("done_at", admin.EmptyFieldListFilter), "performed"]
    list_select_related = ["dispute", "assignee"]
    search_fields = ["=dispute__number"]
    date_hierarchy = "due_on"


@admin.register(DisputeMediator)
class DisputeMediatorAdmin(SuperuserOnly, SimpleHistoryAdmin):
    list_display = ["dispute", "mediator", "is_lead", "assigned_at", "recused_at"]
    list_filter = [("recused_at", admin.EmptyFieldListFilter), "is_lead"]
    list_select_related = ["dispute", "mediator"]
    search_fields = ["=dispute__number", "mediator__name"]


# --- early signs and watch items ---------------------------------------------------------------------------


@admin.register(EarlySign)
class EarlySignAdmin(SuperuserOnly, admin.ModelAdmin):
    """矛盾苗头 flagged on home visits (`mediation.services.flag_early_sign`)."""

    list_display = ["flagged_on", "household", "other_household", "dispute_type", "flagged_by"]
    list_filter = ["dispute_type"]
    list_select_related = ["household__building", "other_household__building", "flagged_by"]
    date_hierarchy = "flagged_on"


class WatchStateFilter(admin.SimpleListFilter):
    title = _("关注状态")
    parameter_name = "watch"

    def lookups(self, request, model_admin):
        return [("open", _("关注中")), ("dispute", _("已转为调解案件")), ("dismissed", _("已解除关注"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "dispute":
            return queryset.filter(dispute__isnull=False)
        if self.value() == "dismissed":
            return queryset.filter(dismissed_at__isnull=False)
        return queryset


@admin.register(WatchItem)
class WatchItemAdmin(SuperuserOnly, admin.ModelAdmin):
    """Pairs of households flagged twice within 90 days; opened as disputes on the portal."""

    list_display = ["household_a", "household_b", "community", "raised_on", "last_flagged_on", "flags", "dispute"]
    list_filter = [WatchStateFilter, "community"]
    list_select_related = ["household_a__building", "household_b__building", "community", "dispute"]
    date_hierarchy = "last_flagged_on"
