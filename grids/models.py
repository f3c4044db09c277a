"""The first four levels of the party-led grid: street → community → grid → building.

Level five, the party-member lead household, lives with the households it looks after (households app).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _


class GridQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Grids under any node the user is assigned to; everything for admins and street leaders.

        The grids are named by their ids, looked up once per user object (`scope_grid_ids`): with the assignments
        as subqueries joined by OR, PostgreSQL guessed that most grids matched and hashed whole tables (a grid
        worker's search for "wang" over 100,000 households: 29 ms against 2 ms with the ids)."""
        return in_scope(self, user, "pk")


def in_scope(queryset, user, grid_lookup):
    """`queryset` narrowed to the rows whose grid (`grid_lookup`, e.g. "household__building__grid") is one of the
    user's: none for a signed-out or inactive user, all for admins and street leaders, else by the grids' ids."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.sees_everything:
        return queryset
    return queryset.filter(**{f"{grid_lookup}__in": scope_grid_ids(user)})


def scope_grid_ids(user):
    """The ids of the grids under the user's assignments, in one query the first time; kept on the user object,
    which lives for one request (`forget_scope(user)` after changing its assignments in the same process)."""
    ids = user.__dict__.get("_scope_grid_ids")
    if ids is None:
        mine = StaffAssignment.objects.filter(user=user)
        ids = user.__dict__["_scope_grid_ids"] = list(
            Grid.objects.filter(
                Q(pk__in=mine.values("grid"))
                | Q(community__in=mine.values("community"))
                | Q(community__street__in=mine.values("street"))
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return ids


def forget_scope(user):
    user.__dict__.pop("_scope_grid_ids", None)


class Street(models.Model):
    name = models.CharField(_("街道名称"), max_length=50, unique=True)
    party_org_name = models.CharField(_("街道党工委"), max_length=80, blank=True)
    party_secretary = models.CharField(_("党工委书记"), max_length=30, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道（一级）")
        ordering = ["name"]
        permissions = [("export_street", _("可导出街道覆盖情况"))]

    def __str__(self):
        return self.name


class Community(models.Model):
    street = models.ForeignKey(Street, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(_("社区名称"), max_length=50)
    party_org_name = models.CharField(_("社区党委"), max_length=80, blank=True)
    party_secretary = models.CharField(_("党委书记"), max_length=30, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区（二级）")
        ordering = ["street__name", "name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="community_unique_name")]
        permissions = [("export_community", _("可导出社区覆盖情况"))]

    def __str__(self):
        return self.name


class Grid(models.Model):
    community = models.ForeignKey(Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="grids")
    name = models.CharField(_("网格名称"), max_length=50)
    area = models.CharField(_("片区"), max_length=20, blank=True, help_text=_("如“东区”“西区”"))
    party_branch_name = models.CharField(_("网格党支部"), max_length=80, blank=True)
    party_secretary = models.CharField(_("支部书记"), max_length=30, blank=True)
    daily_visits = models.PositiveSmallIntegerField(
        _("每人每日走访户数"),
        default=10,
        help_text=_("网格员一天能走访的户数，决定“今日走访”列出多少户"),
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格长"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格（三级）")
        ordering = ["community__name", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="grid_unique_name")]
        permissions = [("export_grid", _("可导出网格覆盖情况"))]

    def __str__(self):
        return self.name

    @property
    def path(self):
        return f"{self.community.street.name} / {self.community.name} / {self.name}"


class BuildingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return in_scope(self, user, "grid")


class Building(models.Model):
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="buildings")
    number = models.CharField(_("楼号"), max_length=10, help_text=_("如 3，门牌写作“3号楼”"))
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)
    floors = models.PositiveSmallIntegerField(_("层数"), default=6)
    party_group_name = models.CharField(_("楼宇党小组"), max_length=80, blank=True)
    party_group_leader = models.CharField(_("党小组长"), max_length=30, blank=True)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("楼宇")
        verbose_name_plural = _("楼宇（四级）")
        # Natural order: 2号楼 before 10号楼 (shorter numbers first, then as text).
        ordering = ["grid_id", Length("number"), "number"]
        constraints = [models.UniqueConstraint(fields=["grid", "number"], name="building_unique_number")]
        permissions = [("export_building", _("可导出楼宇覆盖情况"))]

    def __str__(self):
        return _("%(number)s号楼") % {"number": self.number}

    @property
    def has_party_group(self):
        return bool(self.party_group_name and self.party_group_leader)


class StaffAssignment(models.Model):
    """A staff member responsible for one node: a street, a community or a grid, and all beneath it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.CASCADE, related_name="assignments"
    )
    street = models.ForeignKey(
        Street, verbose_name=_("街道"), on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )

    class Meta:
        verbose_name = _("人员分工")
        verbose_name_plural = _("人员分工")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(street__isnull=False, community__isnull=True, grid__isnull=True)
                    | Q(street__isnull=True, community__isnull=False, grid__isnull=True)
                    | Q(street__isnull=True, community__isnull=True, grid__isnull=False)
                ),
                name="assignment_exactly_one_node",
            ),
            models.UniqueConstraint(fields=["user", "street"], name="assignment_unique_street"),
            models.UniqueConstraint(fields=["user", "community"], name="assignment_unique_community"),
            models.UniqueConstraint(fields=["user", "grid"], name="assignment_unique_grid"),
        ]

    def __str__(self):
        return f"{self.user} → {self.node}"

    @property
    def node(self):
        return self.street or self.community or self.grid

    def clean(self):
        if sum(x is not None for x in (self.street_id, self.community_id, self.grid_id)) != 1:
            raise ValidationError(_("请在街道、社区、网格中选择且只选择一个。"))


class CoverageSnapshot(models.Model):
    """One grid's coverage counts as the nightly job found them (`grids.snapshots`): the pages above a grid add up
    these rows instead of counting the households again on every view."""

    grid = models.OneToOneField(
        Grid, verbose_name=_("网格"), on_delete=models.CASCADE, primary_key=True, related_name="coverage_snapshot"
    )
    #: {count name: value}, e.g. {"household_count": 480, "visited_count": 401, …}
    counts = models.JSONField(_("统计"), default=dict)
    taken_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("网格覆盖统计")
        verbose_name_plural = _("网格覆盖统计")

    def __str__(self):
        return f"{self.grid} @ {self.taken_at:%Y-%m-%d %H:%M}"
