"""Households and the people in them: origin villages, priority groups, households, residents, party members,
lead households (level five of the grid), search keys and identity-number reveals.

One resident's rules live here (`Resident.clean`, `fill_from_id_number`, the one-head constraint), so the admin
forms and the import say the same thing; writes across rows are in `services`.
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.models import Building, Street, in_scope

from . import listing
from .encryption import EncryptedIdNumberField, IdNumberHashField, id_number_hash
from .idcard import birth_date_of, is_male, mask_id_number, normalize_id_number, validate_id_number
from .search import query_words, room_code


class OriginVillage(models.Model):
    """A village the household lived in before the merger (原村)."""

    street = models.ForeignKey(Street, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="villages")
    name = models.CharField(_("原村名称"), max_length=50)

    class Meta:
        verbose_name = _("原村")
        verbose_name_plural = _("原村")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="village_unique_name")]

    def __str__(self):
        return self.name


class PriorityGroup(models.Model):
    """A priority-group tag (重点人群) such as 独居老人; the list is data so communities can extend it."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("重点人群")
        verbose_name_plural = _("重点人群")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The households under the grid nodes the user is assigned to."""
        return in_scope(self, user, "building__grid")

    def search(self, query):
        """Households with a search key starting with every word of the query (rules: `households.search`)."""
        qs = self
        for word in query_words(query):
            qs = qs.filter(pk__in=SearchKey.objects.filter(key__startswith=word).values("household_id"))
        return qs

    def listing(self):
        """What a list of households shows (grid, origin village, head's name and the figures later apps
        register in `households.listing`, such as the last visit), in natural building and room order."""
        return (
            self.select_related("building__grid", "origin_village")
            .with_head_name()
            .annotate(**listing.expressions())
            .order_by(*NATURAL_ORDER)
        )

    def with_head_name(self):
        return self.annotate(head_name=head_name_of("pk"))


# Households as one walks the street: by grid, building (2号楼 before 10号楼), unit, then room (501 before 1001).
NATURAL_ORDER = [
    "building__grid_id",
    Length("building__number"),
    "building__number",
    "building_id",
    "unit",
    Length("room"),
    "room",
]


def head_name_of(household_field):
    """A subquery for the name of the head of the household whose id is in `household_field` of the outer row:
    "pk" on households, "household_id" on any model with a household foreign key."""
    head = Resident.objects.filter(household=OuterRef(household_field), relation=Resident.Relation.HEAD)
    return Subquery(head.values("name")[:1])


def in_priority_group(household_field="pk"):
    """Whether the household whose id is in `household_field` of the outer row has a resident in a priority
    group (an `Exists`, for `annotate` or `filter`)."""
    return Exists(Resident.objects.filter(household=OuterRef(household_field), priority_groups__isnull=False))


class Household(models.Model):
    class Status(models.TextChoices):
        RESIDENT = "resident", _("常住")
        VACANT = "vacant", _("空置")
        RENTED = "rented", _("出租")
        AWAY = "away", _("外出")

    building = models.ForeignKey(Building, verbose_name=_("楼宇"), on_delete=models.PROTECT, related_name="households")
    unit = models.PositiveSmallIntegerField(_("单元"))
    floor = models.PositiveSmallIntegerField(_("楼层"))
    room = models.CharField(_("房号"), max_length=10)
    origin_village = models.ForeignKey(
        OriginVillage,
        verbose_name=_("原村"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    status = models.CharField(_("居住状态"), max_length=10, choices=Status.choices, default=Status.RESIDENT)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    lead_household = models.ForeignKey(
        "LeadHousehold",
        verbose_name=_("党员中心户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="linked_households",
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    objects = HouseholdQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("居民户")
        verbose_name_plural = _("居民户")
        ordering = ["building_id", "unit", "room"]
        permissions = [("export_household", _("可导出居民户"))]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="household_unique_dwelling"),
        ]

    def __str__(self):
        return self.room_code

    @property
    def room_code(self):
        return room_code(self.building.number, self.unit, self.room)

    def clean(self):
        if self.lead_household_id and self.building_id:
            if self.lead_household.household.building_id != self.building_id:
                raise ValidationError({"lead_household": _("党员中心户必须与本户在同一楼宇。")})


# How household members are listed: head first, then by closeness of relation (`Resident.Relation` values).
RELATION_ORDER = ["head", "spouse", "parent", "child", "grandchild", "other"]


class ResidentQuerySet(models.QuerySet):
    def with_id_number(self, number):
        """The resident with this identity number, found by its keyed hash (`households.encryption`)."""
        return self.filter(id_number_hash=id_number_hash(number))


class Resident(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙辈")
        OTHER = "other", _("其他")

    household = models.ForeignKey(
        Household, verbose_name=_("居民户"), on_delete=models.CASCADE, related_name="residents"
    )
    name = models.CharField(_("姓名"), max_length=30)
    # Blank in a form or an import row when an 18-digit identity number says it (see `fill_from_id_number`).
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    # Stored encrypted; unique and looked up through `id_number_hash` (`households.encryption`).
    id_number = EncryptedIdNumberField(
        _("身份证号"), max_length=18, null=True, blank=True, validators=[validate_id_number]
    )
    id_number_hash = IdNumberHashField(
        _("身份证号摘要"),
        unique=True,
        null=True,
        blank=True,
        error_messages={"unique": _("该身份证号已登记为另一位居民。")},
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.HEAD)
    priority_groups = models.ManyToManyField(
        PriorityGroup, verbose_name=_("重点人群"), blank=True, related_name="residents"
    )

    objects = ResidentQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[priority_groups], excluded_fields=["id_number_hash"])

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        # Head first, then by closeness of relation (not alphabetically by the stored value).
        ordering = [
            "household_id",
            models.Case(
                *(models.When(relation=value, then=rank) for rank, value in enumerate(RELATION_ORDER)),
                default=len(RELATION_ORDER),
            ),
            "id",
        ]
        permissions = [
            ("reveal_id_number", _("可查看完整身份证号")),
            ("view_full_phone", _("可查看完整手机号")),
            ("export_resident", _("可导出居民")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relation="head"),
                name="resident_one_head",
                violation_error_code="one_head",
                violation_error_message=_("该户已有户主，一户只能有一位户主。"),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The keyed hash follows the number it is computed from.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "id_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "id_number_hash"}
        super().save(*args, **kwargs)

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    @property
    def age(self):
        if not self.birth_date:
            return None
        today = timezone.localdate()
        return (
            today.year
            - self.birth_date.year
            - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))
        )

    def fill_from_id_number(self):
        """Normalise the identity number and, when blank, take the birth date and gender from it.

        Called by `clean` and by the import before it compares a row with the stored resident.
        """
        self.id_number = normalize_id_number(self.id_number) or None
        if not self.id_number:
            return
        if not self.birth_date:
            self.birth_date = birth_date_of(self.id_number)
        male = is_male(self.id_number)
        if not self.gender and male is not None:
            self.gender = self.Gender.MALE if male else self.Gender.FEMALE

    def clean(self):
        self.fill_from_id_number()
        errors = {}
        born = birth_date_of(self.id_number) if self.id_number else None
        if self.birth_date and born and born != self.birth_date:
            errors["birth_date"] = _("出生日期与身份证号不一致。")
        if not self.gender:
            errors["gender"] = _("请填写性别（男或女）。")
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None):
        """Django's checks, with the identity number's uniqueness (kept by its keyed hash) reported on `id_number`."""
        exclude = set(exclude or ())
        if "id_number" in exclude:
            exclude.add("id_number_hash")
        else:
            exclude.discard("id_number_hash")
            self.id_number_hash = id_number_hash(self.id_number)
        try:
            super().validate_unique(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            if "id_number_hash" in errors:
                errors.setdefault("id_number", []).extend(errors.pop("id_number_hash"))
            raise ValidationError(errors) from None

    def validate_constraints(self, exclude=None):
        """Django's checks, with a second head reported on `relation`, naming the head the household has."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            for one_head in [e for e in errors.get(NON_FIELD_ERRORS, []) if e.code == "one_head"]:
                errors[NON_FIELD_ERRORS].remove(one_head)
                errors.setdefault("relation", []).append(self._name_the_head(one_head))
            raise ValidationError({field: messages for field, messages in errors.items() if messages}) from None

    def _name_the_head(self, error):
        head = (
            Resident.objects.filter(household_id=self.household_id, relation=self.Relation.HEAD)
            .exclude(pk=self.pk)
            .values_list("name", flat=True)
            .first()
        )
        if head is None:
            return error
        return ValidationError(
            _("该户已有户主“%(name)s”，一户只能有一位户主。"), code="one_head", params={"name": head}
        )


class PartyMember(models.Model):
    class PartyRole(models.TextChoices):
        MEMBER = "member", _("普通党员")
        LEAD_HOUSEHOLD = "lead_household", _("党员中心户户主")
        GROUP_LEADER = "group_leader", _("楼宇党小组长")
        BRANCH_COMMITTEE = "branch_committee", _("网格党支部委员")
        COMMUNITY_COMMITTEE = "community_committee", _("社区党委委员")

    resident = models.OneToOneField(
        Resident, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="party_member"
    )
    joined_on = models.DateField(_("入党日期"))
    party_role = models.CharField(_("党内职务"), max_length=24, choices=PartyRole.choices, default=PartyRole.MEMBER)
    is_probationary = models.BooleanField(_("预备党员"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["resident__name"]

    def __str__(self):
        return self.resident.name


class LeadHouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        return in_scope(self, user, "household__building__grid")


class LeadHousehold(models.Model):
    """Level five: a party member's household that looks after ~10 neighbouring 联系户 in its building."""

    household = models.OneToOneField(
        Household, verbose_name=_("中心户"), on_delete=models.CASCADE, related_name="lead_role"
    )
    party_member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="lead_households"
    )
    since_on = models.DateField(_("设立日期"), default=timezone.localdate)

    objects = LeadHouseholdQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("党员中心户")
        verbose_name_plural = _("党员中心户（五级）")

    def __str__(self):
        return _("%(room)s %(name)s（中心户）") % {"room": self.household, "name": self.party_member}

    def clean(self):
        if self.party_member_id and self.household_id:
            if self.party_member.resident.household_id != self.household_id:
                raise ValidationError({"party_member": _("中心户党员必须是本户居民。")})


class SearchKey(models.Model):
    """A prefix-searchable key of a household; rebuilt by `services.reindex_households`."""

    # Derived rows, rebuilt from the household: Django's CASCADE removes them, and no database foreign-key
    # check is paid on the ~20 keys per household when a district is loaded.
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="search_keys", db_constraint=False)
    # The resident whose name or phone gave the key (empty for the room code and the household phone), so a
    # result can show who matched. Rebuilt with the household's keys after every resident write, so it pays for
    # no cascade, constraint or index of its own; a result looks it up among the page's households only.
    resident = models.ForeignKey(
        Resident,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    key = models.CharField(max_length=64)

    class Meta:
        # One index answers both `key = …` and `key LIKE '…%'` (PostgreSQL needs the pattern operator class for
        # the prefix match). Keys are a set per household by construction, so no unique index is kept: two
        # indexes fewer to write when a whole district is loaded.
        indexes = [models.Index(fields=["key"], name="searchkey_key_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.key


class IdentityReveal(models.Model):
    """A record that a staff member saw a resident's full identity-card number."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT)
    resident = models.ForeignKey(Resident, verbose_name=_("居民"), on_delete=models.CASCADE)
    revealed_at = models.DateTimeField(_("查看时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("身份证号查看记录")
        verbose_name_plural = _("身份证号查看记录")
        ordering = ["-revealed_at"]

    def __str__(self):
        return f"{self.user} · {self.resident} · {self.revealed_at:%Y-%m-%d %H:%M}"
