"""The visit form's 矛盾苗头 section (through `visits.form_sections`, registered from `mediation.apps`): a grid
worker notes friction between the visited household and another one, saved inside `log_visit`'s transaction
(`services.flag_early_sign`, which raises a watch item on the pair's second flag within 90 days).

The other household is typed as its room code, 楼号-单元-房号 (“12-1-301”): on a phone that is a dozen taps on
the keypad, works for a neighbour in any building of the community (a leak from the flat above, a quarrel
across the courtyard), and needs no list of hundreds of rooms to scroll. Any separator is accepted
(“12号楼1单元301”, “12 1 301”). The code is resolved inside the visited household's community, in its grid
first when two grids have a building with the same number.
"""

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from households.models import Household

from .models import DisputeType
from .services import flag_early_sign

ADD_PERMISSION = "mediation.add_earlysign"
ROOM_PARTS = re.compile(r"[0-9A-Za-z]+")


def parse_room_code(text):
    """(building number, unit, room) from a typed room code, or None when it is not three parts."""
    parts = ROOM_PARTS.findall(text or "")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()):
        return None
    return parts[0], int(parts[1]), parts[2]


class EarlySignForm(forms.Form):
    """Empty: nothing is flagged. Partly filled: each missing part is an error, so a flag is never half-saved."""

    other_room = forms.CharField(
        label=_("对方户房号"),
        required=False,
        max_length=30,
        help_text=_("楼号-单元-房号，如 12-1-301（本社区内）"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "12-1-301"}),
    )
    dispute_type = forms.ChoiceField(
        label=_("矛盾类型"), required=False, choices=[("", _("请选择")), *DisputeType.choices]
    )
    description = forms.CharField(
        label=_("情况简述"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：楼上漏水多次协商未果，双方争吵"),
    )

    def __init__(self, *args, household, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.enabled = user.has_perm(ADD_PERMISSION)
        if not self.enabled:
            self.fields.clear()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    @property
    def is_filled(self):
        return self.is_bound and any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields)

    def clean(self):
        cleaned = super().clean()
        if not self.enabled or not self.is_filled:
            return {}
        if "other_room" not in self.errors:
            if cleaned.get("other_room", "").strip():
                cleaned["other_household"] = self._other_household(cleaned["other_room"])
            else:
                self.add_error("other_room", _("请填写对方户的房号（楼号-单元-房号）。"))
        if not cleaned.get("dispute_type") and "dispute_type" not in self.errors:
            self.add_error("dispute_type", _("请选择矛盾类型。"))
        if not cleaned.get("description", "").strip() and "description" not in self.errors:
            self.add_error("description", _("请简要说明矛盾情况。"))
        return cleaned

    def _other_household(self, text):
        parsed = parse_room_code(text)
        if parsed is None:
            self.add_error("other_room", _("房号格式不对，请按“楼号-单元-房号”填写，如 12-1-301。"))
            return None
        number, unit, room = parsed
        code = f"{number}-{unit}-{room}"
        grid = self.household.building.grid
        matches = list(
            Household.objects.filter(
                building__grid__community=grid.community_id,
                building__number__iexact=number,
                unit=unit,
                room__iexact=room,
            ).select_related("building")
        )
        same_grid = [household for household in matches if household.building.grid_id == grid.pk]
        if same_grid or len(matches) == 1:
            other = (same_grid or matches)[0]
        elif matches:
            self.add_error(
                "other_room",
                _("本社区有多户房号为 %(code)s（不同网格），请在该户所在网格走访时登记。") % {"code": code},
            )
            return None
        else:
            self.add_error("other_room", _("本社区没有房号为 %(code)s 的居民户，请核对。") % {"code": code})
            return None
        if other.pk == self.household.pk:
            self.add_error("other_room", _("对方户不能是正在走访的这一户。"))
            return None
        return other


def save_early_sign(visit, cleaned_data):
    """The section's save: flag the early sign when the section was filled in (inside `log_visit`'s
    transaction)."""
    other = cleaned_data.get("other_household")
    if other is None:
        return None
    return flag_early_sign(
        visit,
        other_household=other,
        dispute_type=cleaned_data["dispute_type"],
        description=cleaned_data["description"].strip(),
        by=visit.logged_by,
    )
