"""Resident identity-card numbers (GB 11643-1999): validation and masking."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")
# The 15-digit first-generation card (no century, no check digit), out of use since 2013.
_FIRST_GENERATION = re.compile(r"^\d{15}$")


def normalize_id_number(value):
    return (value or "").strip().upper().replace(" ", "")


def check_digit(first17):
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def birth_date_of(value):
    """The birth date encoded in digits 7–14, or None when they are not a real date."""
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def is_male(value):
    """From digit 17 of an 18-digit number (odd for men); None when the number does not say."""
    if len(value or "") != 18 or not value[16].isdigit():
        return None
    return int(value[16]) % 2 == 1


def validate_id_number(value):
    value = normalize_id_number(value)
    if _FIRST_GENERATION.match(value):
        raise ValidationError(_("一代身份证号已停止使用，请填写 18 位身份证号。"), code="first_generation")
    if not _PATTERN.match(value):
        raise ValidationError(_("身份证号应为18位，前17位为数字，末位为数字或X。"), code="format")
    born = birth_date_of(value)
    if born is None or born.year < 1850 or born > timezone.localdate():
        raise ValidationError(_("身份证号中的出生日期无效。"), code="birth_date")
    if check_digit(value[:17]) != value[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对后重新输入。"), code="check_digit")


def mask_id_number(value):
    """370811********123X: region kept for context, birth date hidden."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value):
    if not value or len(value) < 7:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
