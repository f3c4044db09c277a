"""Input for the inspection in the home: the readings as rows (a formset) and the rest of the check (valve, pipes
and radiators, advice, satisfaction, photo). The form checks what it can; whether the household's community has
a season running and its building a company is settled by `heating.services.record_inspection`."""

import datetime
import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visits.forms import LocalDateTimeInput, validate_photo
from visits.models import validate_visit_time

from .models import HeatingInspection, TemperatureReading
from .services import Reading

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
LOWEST, HIGHEST = Decimal("-10.0"), Decimal("40.0")
OUT_OF_RANGE = _("室温应在 -10 ℃ 到 40 ℃ 之间，请核对读数。")
# The rows a worker usually fills: two bedrooms, the living room, one more room.
ROWS = [
    {"room_type": TemperatureReading.Room.BEDROOM, "label": _("主卧")},
    {"room_type": TemperatureReading.Room.BEDROOM, "label": _("次卧")},
    {"room_type": TemperatureReading.Room.LIVING, "label": _("客厅")},
    {"room_type": TemperatureReading.Room.OTHER, "label": ""},
]


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


class ReadingForm(forms.Form):
    room_type = forms.ChoiceField(label=_("房间"), choices=TemperatureReading.Room.choices)
    label = forms.CharField(label=_("房间名称"), max_length=20, required=False)
    celsius = forms.DecimalField(
        label=_("室温（℃）"),
        required=False,  # a row without a temperature is left out (`has_changed`)
        max_digits=3,
        decimal_places=1,
        min_value=LOWEST,
        max_value=HIGHEST,
        error_messages={
            "invalid": _("请填写数字，如 17.5。"),
            "min_value": OUT_OF_RANGE,
            "max_value": OUT_OF_RANGE,
            "max_digits": OUT_OF_RANGE,
            "max_whole_digits": OUT_OF_RANGE,
            "max_decimal_places": _("室温保留一位小数，如 17.5。"),
        },
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "-10", "max": "40", "inputmode": "decimal"}),
    )
    measured_at = forms.TimeField(
        label=_("测量时间"),
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        input_formats=["%H:%M", "%H:%M:%S"],
    )

    def has_changed(self):
        # A row counts as filled in when it has a temperature; the room and label come pre-filled.
        return bool(self.data.get(self.add_prefix("celsius"), "").strip())

    def measured_on(self, day):
        """The time of measurement on the inspection's day; None when left empty (the inspection's time)."""
        measured = self.cleaned_data.get("measured_at")
        return timezone.make_aware(datetime.datetime.combine(day, measured)) if measured else None

    def to_reading(self, day):
        return Reading(
            room_type=self.cleaned_data["room_type"],
            celsius=self.cleaned_data["celsius"],
            label=self.cleaned_data["label"],
            measured_at=self.measured_on(day),
        )


class BaseReadingFormSet(forms.BaseFormSet):
    """The readings of one inspection; each row's time of measurement falls on the inspection's day."""

    def __init__(self, *args, household, inspection_form, **kwargs):
        self.household = household
        self.inspection_form = inspection_form
        if not args or args[0] is None:
            now = _now().time()
            kwargs.setdefault("initial", [{**row, "measured_at": now} for row in ROWS])
        kwargs["form_kwargs"] = {"empty_permitted": True}
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        day = self.day()
        for form in self.filled():
            measured_at = form.measured_on(day) if day else None
            if measured_at:
                try:
                    validate_visit_time(self.household, measured_at)
                except ValidationError:
                    form.add_error("measured_at", _("测量时间不能晚于现在，也不能早于该户登记时间。"))
        if not any(form.cleaned_data["room_type"] in TemperatureReading.STANDARD_ROOMS for form in self.filled()):
            raise ValidationError(_("请至少填写一个卧室或客厅的室温。"), code="no_standard_room")

    def filled(self):
        return [form for form in self.forms if form.has_changed() and form.cleaned_data]

    def day(self):
        """The inspection's day, once its form is valid."""
        if not self.inspection_form.is_valid():
            return None
        return timezone.localdate(self.inspection_form.cleaned_data["inspected_at"])

    def readings(self):
        return [form.to_reading(self.day()) for form in self.filled()]


ReadingFormSet = forms.formset_factory(
    ReadingForm, formset=BaseReadingFormSet, extra=0, min_num=0, max_num=12, absolute_max=12
)


class InspectionForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    inspected_at = forms.DateTimeField(label=_("测温时间"), widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS)
    valve = forms.ChoiceField(label=_("阀门状态"), choices=HeatingInspection.Valve.choices, widget=forms.RadioSelect)
    faults = forms.MultipleChoiceField(
        label=_("管道与暖气片"),
        choices=HeatingInspection.Fault.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("没有问题时都不勾选"),
    )
    advice = forms.CharField(
        label=_("现场建议"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如“阀门往左是开，往右是关，一定要开到底”“暖气片放气”"),
    )
    resident_can_fix = forms.BooleanField(label=_("居民可自行处理"), required=False)
    satisfaction = forms.ChoiceField(
        label=_("居民满意度"),
        choices=[("", _("未询问")), *HeatingInspection.Satisfaction.choices],
        required=False,
        initial="",
        widget=forms.RadioSelect,
    )
    photo = forms.FileField(
        label=_("现场照片（可选，5 MB 以内）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, household, **kwargs):
        self.household = household
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        kwargs["initial"].setdefault("inspected_at", _now())
        super().__init__(*args, **kwargs)

    def clean_inspected_at(self):
        inspected_at = self.cleaned_data["inspected_at"]
        try:
            validate_visit_time(self.household, inspected_at)
        except ValidationError as error:
            raise ValidationError(_("测温时间不能晚于现在，也不能早于该户登记时间。")) from error
        return inspected_at

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        return validate_photo(photo) if photo else None
