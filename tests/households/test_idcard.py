import pytest
from django.core.exceptions import ValidationError

from households.idcard import check_digit, mask_id_number, mask_phone, validate_id_number


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "110101199003074477"])
def test_real_vectors_pass(number):
    validate_id_number(number)


def test_lowercase_x_is_accepted():
    validate_id_number("11010519491231002x")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "check_digit"),
        ("11010519491231002", "format"),
        ("1101051949123100AX", "format"),
        ("110105194902300028", "birth_date"),
        ("110105290001010021", "birth_date"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(number, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(number)
    assert excinfo.value.code == code


def test_check_digit_of_known_number():
    assert check_digit("11010519491231002") == "X"


def test_masks_keep_region_and_last_four():
    assert mask_id_number("37081119880506123X") == "370811********123X"
    assert mask_phone("13853712345") == "138****2345"
