"""GB 11643 resident ID and GB 32100 credit code validators."""
import datetime as dt

import pytest

from app.identity import (
    IdentityError,
    mask_id_number,
    parse_credit_code,
    parse_resident_id,
    resident_id_check_char,
)

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize("number, birth, sex", [
    ("11010519491231002X", dt.date(1949, 12, 31), "female"),  # the standard's own example
    ("110105198001010016", dt.date(1980, 1, 1), "male"),
    ("440106198501011237", dt.date(1985, 1, 1), "male"),
    ("440106200002290024", dt.date(2000, 2, 29), "female"),  # leap day
])
def test_valid_resident_ids_give_birth_date_and_sex(number, birth, sex):
    parsed = parse_resident_id(number, today=TODAY)
    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, birth, sex)


def test_lower_case_x_and_spaces_are_normalised():
    assert parse_resident_id(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize("number, message", [
    ("110105194912310021", "校验位"),          # wrong check character
    ("11010519491231002Y", "最后一位"),        # not a digit or X
    ("1101051949123100", "18位"),             # too short
    ("11010519491231002X1", "18位"),          # too long
    ("", "18位"),
    ("11010519490230002X", "出生日期"),        # 30 February
    ("11010519491331002X", "出生日期"),        # month 13
    ("11010520990101002X", "出生日期不合理"),   # born in the future
    ("11010518800101002X", "出生日期不合理"),   # before 1900
    ("1101051949X231002X", "前17位"),         # letter inside
])
def test_invalid_resident_ids_are_refused_with_a_chinese_reason(number, message):
    with pytest.raises(IdentityError) as caught:
        parse_resident_id(number, today=TODAY)
    assert message in str(caught.value)


def test_the_check_character_of_a_future_date_is_not_enough():
    first17 = "11010520990101002"
    with pytest.raises(IdentityError):
        parse_resident_id(first17 + resident_id_check_char(first17), today=TODAY)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "914403001922038216", "91110000600037341L"])
def test_valid_credit_codes(code):
    assert parse_credit_code(code.lower()) == code


@pytest.mark.parametrize("code, message", [
    ("91350100M000100Y44", "校验位"),
    ("91350100M000100Y4", "18位"),
    ("91350100M000100Y433", "18位"),
    ("91350100O000100Y43", "O"),   # O is not in the alphabet
    ("91350100I000100Y43", "I"),
    ("91350100S000100Y43", "S"),
    ("91350100V000100Y43", "V"),
    ("91350100Z000100Y43", "Z"),
    ("9135010-M000100Y43", "-"),
    # Letters where GB 32100 has the administrative-division code (positions 3-8), each with
    # a correct check character, so only the digits rule can refuse them.
    ("91440A06MA0000004Q", "第3至8位"),
    ("914401X6MA0000004B", "第3至8位"),
    ("91M40106192203821L", "第3至8位"),
])
def test_invalid_credit_codes_are_refused(code, message):
    with pytest.raises(IdentityError) as caught:
        parse_credit_code(code)
    assert message in str(caught.value)


@pytest.mark.parametrize("code", [
    "N2440106MA0000001G",  # 农业 (rural collective economic organisation)
    "A1440106MA00000023",  # 宗教 (registered by the religious-affairs authority)
    "Y1440106MA0000003H",  # 其他 (other authorities)
])
def test_registration_authority_codes_python_stdnum_refuses_are_accepted(code):
    assert parse_credit_code(code) == code


def test_the_check_character_is_still_verified_for_those_codes():
    with pytest.raises(IdentityError) as caught:
        parse_credit_code("N2440106MA0000001H")
    assert "校验位" in str(caught.value)


def test_the_demo_makes_credit_codes_the_check_accepts():
    import random

    from app.demo import CITIES, make_credit_code

    rng = random.Random(7)
    for _city, area in CITIES * 20:
        assert parse_credit_code(make_credit_code(rng, area))


def test_masking_keeps_area_and_last_four():
    assert mask_id_number("440106198501011237") == "440106********1237"
