"""The grid in the admin, with coverage columns, a below-target filter, drill-down links and an Excel export.

Coverage columns come from `grids.coverage` annotations, made by `CoverageAdmin.get_queryset` for the changelist
and its export only (autocomplete and change pages do not pay for them), so a page of nodes is one query,
sorting and filtering happen in SQL, and the export carries the same figures. One `ShareColumn` per measure is
listed per request, so measures other apps register later (visits: 按期走访) appear too.
"""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.admin import ExportMixin

from accounts.admin import UserAdmin
from accounts.models import User
from core.admin import AutocompleteIdsMixin, ScopedAdminMixin
from core.numbers import percent_value, share
from core.parsing import parse_id
from core.spreadsheet import ExportFilenameMixin, SafeXLSX, number_widget

from . import monthly
from .coverage import annotate_coverage, below_target_q, is_below, level_of, measures_for, on_target_q, shortfalls
from .models import Building, Community, Grid, StaffAssignment, Street
from .snapshots import snapshot_taken_at
from .staffing import grid_worker_assignments
from .templatetags.coverage_tags import percent


class BelowTargetFilter(admin.SimpleListFilter):
    title = _("覆盖率")
    parameter_name = "coverage"

    def lookups(self, request, model_admin):
        return [("below", _("低于目标")), ("met", _("达标"))]

    def queryset(self, request, queryset):
        level = level_of(queryset.model)
        if self.value() == "below":
            return queryset.filter(below_target_q(level))
        if self.value() == "met":
            return queryset.filter(on_target_q(level))
        return queryset


class StaffedFilter(admin.SimpleListFilter):
    """Grids without a grid worker (their visit tasks go to the 网格长 or the community's cadres)."""

    title = _("网格员配备")
    parameter_name = "staffed"

    def lookups(self, request, model_admin):
        return [("no", _("无网格员")), ("yes", _("有网格员"))]

    def queryset(self, request, queryset):
        staffed = Exists(grid_worker_assignments().filter(grid=OuterRef("pk")))
        if self.value() == "no":
            return queryset.filter(~staffed)
        if self.value() == "yes":
            return queryset.filter(staffed)
        return queryset


class PercentWidget(widgets.FloatWidget):
    """A share (0.333) written as a percentage number (33.3)."""

    def __init__(self, **kwargs):
        super().__init__(coerce_to_string=False, **kwargs)

    def render(self, value, obj=None, **kwargs):
        return percent_value(value)


class CoverageResource(resources.Resource):
    """The node's path and every coverage figure; the admin hands over a queryset already annotated.

    The columns depend on the level and on the measures registered when the export runs, so they are added
    here rather than declared.
    """

    def __init__(self, *, level=None, path_fields=(), **kwargs):
        super().__init__(**kwargs)
        for attribute, label in path_fields:
            self.fields[attribute] = fields.Field(attribute=attribute, column_name=str(label))
        for measure in measures_for(level) if level else []:
            for name, label in (
                (measure.denominator, measure.denominator_label),
                (measure.numerator, measure.numerator_label),
                *measure.extra,
            ):
                self.fields.setdefault(
                    name, fields.Field(attribute=name, column_name=str(label), widget=number_widget())
                )
            self.fields[measure.share] = fields.Field(
                attribute=measure.share,
                column_name=str(_("%(label)s（%%）") % {"label": measure.label}),
                widget=PercentWidget(),
            )
        if level:
            self.fields["status"] = fields.Field(column_name=str(_("是否达标")))

    def dehydrate_status(self, node):
        return str(_("低于目标") if shortfalls(node) else _("达标"))


def _changelist_url(model_admin_name, **filters):
    """The admin changelist filtered by `filters`; None when that admin is not registered."""
    try:
        url = reverse(f"admin:{model_admin_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(filters)}"


def _red(text):
    return format_html('<span class="coverage-low">{}</span>', text)


class ShareColumn:
    """The list_display column of one measure: "33.3%（2/6）", red below target, sorted by the share."""

    def __init__(self, measure):
        self.measure = measure
        self.__name__ = f"{measure.share}_column"
        self.short_description = measure.label
        self.admin_order_field = measure.share

    def __call__(self, node):
        measure = self.measure
        share = getattr(node, measure.share)
        text = f"{percent(share)}（{getattr(node, measure.numerator)}/{getattr(node, measure.denominator)}）"
        return _red(text) if is_below(share) else text


class MonthColumn:
    """The coverage matrix in the admin: a building's share at one month's end ("50.0%（2/4）", red below
    target), linking to the households not visited when it fell short. `counts` are the page's, counted once."""

    def __init__(self, month_end, index, first, counts):
        self.month_end, self.index, self.first, self.counts = month_end, index, first, counts
        self.__name__ = f"month_{index}_column"
        self.short_description = _("%(year)s年%(month)s月") % {"year": first.year, "month": first.month}

    def __call__(self, building):
        numerator, denominator = self.counts.get(building.pk, [(0, 0)] * (self.index + 1))[self.index]
        portion = share(numerator, denominator)
        text = f"{percent(portion)}（{numerator}/{denominator}）"
        url = None
        if numerator < denominator:
            url = monthly.drill_url(self.month_end, f"building:{building.pk}", self.first)
        shown = _red(text) if is_below(portion) else text
        return format_html('<a href="{}">{}</a>', url, shown) if url else shown


class CoverageAdmin(ScopedAdminMixin, ExportFilenameMixin, ExportMixin, admin.ModelAdmin):
    """A grid level's changelist with one sortable share column per coverage measure and an Excel export."""

    list_per_page = 50
    # The unfiltered total would be counted over the annotated queryset, joining every household again.
    show_full_result_count = False
    skip_export_form = True
    export_formats = [SafeXLSX]
    resource_classes = [CoverageResource]
    #: (attribute path, column title) naming the node in the export
    export_path_fields = ()
    #: list_display columns before and after the coverage ones
    leading_columns = ()
    trailing_columns = ()

    class Media:
        css = {"all": ["css/admin.css"]}

    def scope(self, queryset, user):
        """The nodes over the grids the user may see (for admins and street leaders: all, without a subquery)."""
        if user.sees_everything:
            return queryset
        grids = Grid.objects.visible_to(user)
        level = level_of(self.model)
        if level.grid_path:
            return queryset.filter(pk__in=grids.values(level.grid_path))
        return queryset.filter(grid__in=grids)

    def get_queryset(self, request):
        """The nodes the user may see (`scope`); on the changelist and its export with the coverage figures over
        what the user may see (a cadre's street total counts only their community)."""
        queryset = super().get_queryset(request)
        if self._lists_coverage(request):
            grids = None if request.user.sees_everything else Grid.objects.visible_to(request.user)
            # The changelist reads streets, communities and grids from last night's count when it covers the
            # user's grids (grids.snapshots); exports count live.
            nightly = request.resolver_match.url_name.endswith("_changelist") and snapshot_taken_at(grids) is not None
            queryset = annotate_coverage(queryset, grids=grids, snapshot=nightly)
        return queryset

    def _lists_coverage(self, request):
        match = request.resolver_match
        views = {f"{self.opts.app_label}_{self.opts.model_name}_{view}" for view in ("changelist", "export")}
        return match is not None and match.url_name in views

    @admin.display(description=_("居民户"), ordering="household_count")
    def household_count(self, node):
        return node.household_count

    def get_list_display(self, request):
        share_columns = [ShareColumn(measure) for measure in measures_for(level_of(self.model))]
        return [*self.leading_columns, *share_columns, *self.trailing_columns]

    def get_list_display_links(self, request, list_display):
        return list_display[:1]

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"level": level_of(self.model), "path_fields": self.export_path_fields}

    def get_export_name(self, request):
        return str(_("%(level)s覆盖") % {"level": self.opts.verbose_name})


class AssignmentInline(AutocompleteIdsMixin, admin.TabularInline):
    model = StaffAssignment
    fields = ["user"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = _("负责人员")
    verbose_name_plural = _("负责人员")


class StreetAssignmentInline(AssignmentInline):
    fk_name = "street"


class CommunityAssignmentInline(AssignmentInline):
    fk_name = "community"


class GridAssignmentInline(AssignmentInline):
    fk_name = "grid"


class BuildingInline(admin.TabularInline):
    model = Building
    fields = ["number", "units", "floors", "party_group_name", "party_group_leader"]
    extra = 0
    show_change_link = True


@admin.register(Street)
class StreetAdmin(CoverageAdmin):
    search_fields = ["name", "party_org_name", "party_secretary"]
    list_filter = [BelowTargetFilter]
    autocomplete_fields = ["responsible"]
    list_select_related = ["responsible"]
    inlines = [StreetAssignmentInline]
    export_path_fields = [("name", _("街道"))]
    leading_columns = ["name", "party_secretary", "household_count"]
    trailing_columns = ["communities_link"]

    @admin.display(description=_("下级"))
    def communities_link(self, street):
        url = _changelist_url("grids_community", street__id__exact=street.pk)
        return format_html('<a href="{}">{}</a>', url, _("查看社区"))


@admin.register(Community)
class CommunityAdmin(CoverageAdmin):
    search_fields = ["name", "street__name", "party_org_name", "party_secretary"]
    list_filter = [BelowTargetFilter, "street"]
    autocomplete_fields = ["street", "responsible"]
    list_select_related = ["street"]
    inlines = [CommunityAssignmentInline]
    export_path_fields = [("street__name", _("街道")), ("name", _("社区"))]
    leading_columns = ["name", "street", "party_secretary", "household_count"]
    trailing_columns = ["grids_link"]

    @admin.display(description=_("网格"), ordering="grid_count")
    def grids_link(self, community):
        url = _changelist_url("grids_grid", community__id__exact=community.pk)
        return format_html('<a href="{}">{}</a>', url, _("%(n)s 个网格 →") % {"n": community.grid_count})


@admin.register(Grid)
class GridAdmin(CoverageAdmin):
    search_fields = ["name", "area", "community__name", "party_branch_name", "party_secretary"]
    list_filter = [BelowTargetFilter, StaffedFilter, "community__street", "community", "area"]
    autocomplete_fields = ["community", "leader"]
    list_select_related = ["community__street", "leader"]
    inlines = [GridAssignmentInline, BuildingInline]
    export_path_fields = [
        ("community__street__name", _("街道")),
        ("community__name", _("社区")),
        ("name", _("网格")),
        ("area", _("片区")),
    ]
    leading_columns = ["name", "community", "area", "leader", "household_count", "grid_worker_count"]
    trailing_columns = ["buildings_link"]

    @admin.display(description=_("网格员"), ordering="grid_worker_count")
    def grid_worker_count(self, grid):
        if grid.grid_worker_count == 0:
            return _red(_("0（无网格员）"))
        return grid.grid_worker_count

    @admin.display(description=_("楼宇"), ordering="building_count")
    def buildings_link(self, grid):
        url = _changelist_url("grids_building", grid__id__exact=grid.pk)
        return format_html('<a href="{}">{}</a>', url, _("%(n)s 栋楼 →") % {"n": grid.building_count})


@admin.register(Building)
class BuildingAdmin(CoverageAdmin):
    search_fields = ["=number", "grid__name", "party_group_name", "party_group_leader"]
    list_filter = [BelowTargetFilter, "grid__community", "grid"]
    autocomplete_fields = ["grid"]
    list_select_related = ["grid__community"]
    # Natural order, as on the portal: 2号楼 before 10号楼 (the changelist, its export and the autocomplete).
    ordering = ["grid__community__name", "grid__name", Length("number"), "number"]
    export_path_fields = [
        ("grid__community__name", _("社区")),
        ("grid__name", _("网格")),
        ("number", _("楼号")),
        ("party_group_name", _("楼宇党小组")),
        ("party_group_leader", _("党小组长")),
    ]
    leading_columns = ["__str__", "grid", "community", "party_group_name", "party_group_leader", "households_link"]

    def get_list_display(self, request):
        """The coverage matrix's last six months as columns, when the list is narrowed to one grid (a bounded
        number of households, counted once for the page)."""
        columns = super().get_list_display(request)
        month_end = monthly.month_end_measure()
        grid = parse_id(request.GET.get("grid__id__exact"))
        if month_end is None or grid is None:
            return columns
        days = monthly.month_days()
        grids = Grid.objects.visible_to(request.user).filter(pk=grid)
        counts = monthly.month_end_counts(Building, month_end, [day for _first, day in days], grids)
        return [*columns, *(MonthColumn(month_end, i, first, counts) for i, (first, _day) in enumerate(days))]

    @admin.display(description=_("社区"), ordering="grid__community__name")
    def community(self, building):
        return building.grid.community

    @admin.display(description=_("居民户"), ordering="household_count")
    def households_link(self, building):
        url = _changelist_url("households_household", building__id__exact=building.pk)
        if url is None:
            return building.household_count
        return format_html('<a href="{}">{}</a>', url, _("%(n)s 户 →") % {"n": building.household_count})


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "user_role", "street", "community", "grid"]
    list_filter = ["user__role", "street", "community"]
    search_fields = ["user__username", "user__full_name", "grid__name", "community__name", "street__name"]
    autocomplete_fields = ["user", "street", "community", "grid"]
    list_select_related = ["user", "street", "community", "grid"]

    def scope(self, queryset, user):
        """Who works the grids and communities the user may see (not the street's other communities)."""
        if user.sees_everything:
            return queryset
        grids = Grid.objects.visible_to(user)
        return queryset.filter(Q(grid__in=grids) | Q(community__in=grids.values("community")) | Q(user=user))

    @admin.display(description=_("角色"), ordering="user__role")
    def user_role(self, assignment):
        return assignment.user.get_role_display()


class UserAssignmentInline(AssignmentInline):
    fk_name = "user"
    fields = ["street", "community", "grid"]
    autocomplete_fields = ["street", "community", "grid"]
    verbose_name = _("负责的网格节点")
    verbose_name_plural = _("负责的网格节点")


# accounts must not import grids, so the user admin gets its assignments inline here.
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserAssignmentInline]
