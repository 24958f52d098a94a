"""Tests for jingwu.engine.idnumber: GB 11643 validation, masking and generation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingwu.engine.idnumber import (
    IdNumber,
    InvalidIdNumber,
    check_digit,
    is_valid_id_number,
    make_id_number,
    mask_id_number,
    mask_phone,
    parse_id_number,
)

TODAY = date(2024, 6, 1)

# Real-format region codes: Beijing Chaoyang, Fuzhou Jin'an, Shanghai Pudong, Xinjiang, Macau.
REGIONS = ["110105", "350111", "310115", "650102", "820000"]


def test_the_gb_11643_example_is_valid():
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed == IdNumber(
        number="11010519491231002X",
        region_code="110105",
        birth_date=date(1949, 12, 31),
        sex="female",
    )
    assert parsed.age_on(TODAY) == 74


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),  # GB 11643 example
        ("35011119900101001", "2"),  # weighted sum 164, 164 mod 11 = 10 -> "2"
        ("00000000000000000", "1"),  # sum 0 -> "1"
        ("10000000000000000", "5"),  # weighted sum 7 -> "5"
    ],
)
def test_check_digit_table(first17, expected):
    assert check_digit(first17) == expected


def test_check_digit_rejects_anything_but_17_digits():
    for bad in ["", "1234", "1101051949123100X", "１１０１０５１９４９１２３１００２"]:
        with pytest.raises(ValueError):
            check_digit(bad)


VALID = [
    "11010519491231002X",
    " 11010519491231002x ",  # whitespace and lower-case x
    make_id_number("350111", date(1990, 1, 1), 0, "male"),
    make_id_number("350111", date(2000, 2, 29), 499, "female"),
    make_id_number("650102", date(1900, 1, 1), 12, "male"),  # earliest allowed
    make_id_number("820000", TODAY, 3, "female"),  # born today
]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers(number):
    assert is_valid_id_number(number, today=TODAY)
    assert parse_id_number(number, today=TODAY).number == number.strip().upper()


def _with_check(first17: str) -> str:
    return first17 + check_digit(first17)


INVALID = [
    ("", "length"),
    ("11010519491231002", "length"),
    ("11010519491231002X1", "length"),
    ("110105 19491231002X", "length"),
    ("1101051949123100XX", "format"),
    ("X10105194912310021", "format"),
    ("11010519491231002Y", "format"),
    ("１１０１０５１９４９１２３１００２X", "format"),  # full-width digits
    ("11010519491231002-", "format"),
    (_with_check("00000019491231002"), "region"),
    (_with_check("99010519491231002"), "region"),
    (_with_check("16010519491231002"), "region"),
    (_with_check("72010519491231002"), "region"),
    (_with_check("11010519490230002"), "birth_date"),  # 30 February
    (_with_check("11010519491301002"), "birth_date"),  # month 13
    (_with_check("11010519000229002"), "birth_date"),  # 1900 was not a leap year
    (_with_check("11010518991231002"), "birth_date"),  # before 1900
    (_with_check("11010520240602002"), "birth_date"),  # after TODAY
    ("110105194912310021", "check_digit"),
    ("110105194912310020", "check_digit"),
]


@pytest.mark.parametrize(("number", "reason"), INVALID)
def test_invalid_numbers_say_why(number, reason):
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(number, today=TODAY)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)
    assert not is_valid_id_number(number, today=TODAY)


def test_sex_follows_the_parity_of_the_17th_digit():
    male = make_id_number("350111", date(1985, 5, 20), 7, "male")
    female = make_id_number("350111", date(1985, 5, 20), 7, "female")
    assert int(male[16]) % 2 == 1 and int(female[16]) % 2 == 0
    assert parse_id_number(male).sex == "male"
    assert parse_id_number(female).sex == "female"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("000000", date(1990, 1, 1), 1, "male"), InvalidIdNumber),
        (("35011", date(1990, 1, 1), 1, "male"), InvalidIdNumber),
        (("350111", date(1899, 12, 31), 1, "male"), InvalidIdNumber),
        (("350111", date(1990, 1, 1), 500, "male"), ValueError),
        (("350111", date(1990, 1, 1), -1, "male"), ValueError),
        (("350111", date(1990, 1, 1), 1, "M"), ValueError),
    ],
)
def test_make_id_number_rejects_impossible_input(args, error):
    with pytest.raises(error):
        make_id_number(*args)


regions = st.sampled_from(REGIONS)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
seqs = st.integers(0, 499)
sexes = st.sampled_from(["male", "female"])


@settings(max_examples=200, deadline=None)
@given(regions, births, seqs, sexes)
def test_every_generated_number_validates_and_round_trips(region, birth, seq, sex):
    number = make_id_number(region, birth, seq, sex)
    parsed = parse_id_number(number, today=TODAY)
    assert (parsed.region_code, parsed.birth_date, parsed.sex) == (region, birth, sex)


@settings(max_examples=150, deadline=None)
@given(regions, births, seqs, sexes, st.integers(0, 17), st.integers(1, 10))
def test_every_single_character_change_is_caught(region, birth, seq, sex, position, shift):
    number = make_id_number(region, birth, seq, sex)
    alphabet = "0123456789X"
    replacement = alphabet[(alphabet.index(number[position]) + shift) % 11]
    changed = number[:position] + replacement + number[position + 1 :]
    assert changed != number
    assert not is_valid_id_number(changed, today=TODAY)


def test_every_single_digit_change_of_the_example_is_caught_exhaustively():
    number = "11010519491231002X"
    for position in range(18):
        for digit in "0123456789X":
            if digit != number[position]:
                changed = number[:position] + digit + number[position + 1 :]
                assert not is_valid_id_number(changed, today=TODAY), changed


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("35011119900101123X", "350111********123X"),
        (" 35011119900101123x ", "350111********123X"),
        ("350111900101123", "*************23"),  # 15-digit legacy number
        ("12345", "***45"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_masking_never_reveals_more_than_the_first_6_and_last_4(value):
    masked = mask_id_number(value)
    original = value.strip().upper()
    assert len(masked) == len(original)
    for i, char in enumerate(masked):
        if 6 <= i < len(original) - 4:
            assert char == "*"
        elif char != "*":
            assert char == original[i]


@settings(max_examples=100, deadline=None)
@given(regions, births, seqs, sexes)
def test_masked_valid_numbers_hide_the_birth_date(region, birth, seq, sex):
    number = make_id_number(region, birth, seq, sex)
    masked = mask_id_number(number)
    assert masked[:6] == region and masked[6:14] == "********" and masked[14:] == number[14:]


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 13812345678 ", "138****5678"),
        ("0591-87654321", "*********4321"),
        ("+8613812345678", "**********5678"),
        ("110", "***"),
        ("", ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_mask_phone_shows_at_most_seven_characters(value):
    masked = mask_phone(value)
    assert len(masked) == len(value.strip())
    assert len(masked) - masked.count("*") <= 7
