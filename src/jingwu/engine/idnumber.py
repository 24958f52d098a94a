"""China resident identity numbers (GB 11643-1999): validation, parsing, masking, generation.

An 18-character number is 6 digits of region (address code), 8 of birth date (YYYYMMDD),
3 of sequence (the last of them odd for men, even for women) and an ISO 7064 MOD 11-2 check
character ("X" stands for 10). The engine reports *why* a number is invalid as a machine-readable
``reason``; the Django layer turns it into a message in the user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Sex = Literal["male", "female"]
Reason = Literal["length", "format", "region", "birth_date", "check_digit"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH = date(1900, 1, 1)

# First two digits of a region code: provinces, autonomous regions and municipalities
# (GB/T 2260), Taiwan (71), Hong Kong (81), Macau (82), Taiwan residents on the mainland (83)
# and the code used for foreigners' permanent residence numbers in the same format (91).
_PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46]
    + [50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91]
)


class InvalidIdNumber(ValueError):
    """An identity number that fails one rule; ``reason`` names the rule for translation."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class IdNumber:
    """A valid identity number and what it encodes (``number`` is normalised, upper-case X)."""

    number: str
    region_code: str
    birth_date: date
    sex: Sex

    def age_on(self, day: date) -> int:
        """Completed years of age on ``day`` (a person born on 29 February ages on 1 March)."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


def check_digit(first17: str) -> str:
    """The GB 11643 check character ("0"-"9" or "X") for the first 17 digits of a number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _valid_region(region: str) -> bool:
    return (
        len(region) == 6
        and region.isascii()
        and region.isdigit()
        and int(region[:2]) in _PROVINCES
        and region != "000000"
    )


def _birth_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def parse_id_number(s: str, *, today: date | None = None) -> IdNumber:
    """Parse and validate an 18-character identity number; raise :class:`InvalidIdNumber`.

    Surrounding whitespace and a lower-case x are accepted. Rules are checked in the order
    length, format, region, birth_date, check_digit, and the first failure is reported. The birth
    date must be real and between 1900-01-01 and ``today`` (default: the system date).
    """
    number = s.strip().upper()
    if len(number) != 18:
        raise InvalidIdNumber("length", f"expected 18 characters, got {len(number)}")
    if not _FORMAT.fullmatch(number):
        raise InvalidIdNumber("format", "expected 17 digits and a digit or X")
    region = number[:6]
    if not _valid_region(region):
        raise InvalidIdNumber("region", f"unknown region code {region}")
    born = _birth_date(number[6:14])
    last_day = today if today is not None else date.today()
    if born is None or not (_EARLIEST_BIRTH <= born <= last_day):
        raise InvalidIdNumber("birth_date", f"impossible birth date {number[6:14]}")
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("check_digit", "check digit does not match")
    sex: Sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdNumber(number=number, region_code=region, birth_date=born, sex=sex)


def is_valid_id_number(s: str, *, today: date | None = None) -> bool:
    """Whether :func:`parse_id_number` accepts ``s``."""
    try:
        parse_id_number(s, today=today)
    except InvalidIdNumber:
        return False
    return True


def make_id_number(region: str, birth: date, seq: int, sex: str) -> str:
    """Generate a valid number: ``seq`` (0-499) picks the order code, ``sex`` its parity.

    The 3-digit order code is ``2 * seq + 1`` for "male" and ``2 * seq`` for "female", so each
    (region, birth, sex) has 500 distinct numbers. Raises ValueError for an unknown region,
    a birth date before 1900, a seq out of range or a sex other than "male"/"female".
    """
    if not _valid_region(region):
        raise InvalidIdNumber("region", f"unknown region code {region!r}")
    if birth < _EARLIEST_BIRTH:
        raise InvalidIdNumber("birth_date", f"birth date {birth} is before 1900")
    if not 0 <= seq < 500:
        raise ValueError(f"seq must be in 0..499, got {seq}")
    if sex not in ("male", "female"):
        raise ValueError(f"sex must be 'male' or 'female', got {sex!r}")
    order = 2 * seq + (1 if sex == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def mask_id_number(s: str) -> str:
    """Mask an identity number for display: ``350111********123X``.

    An 18-character value keeps its first 6 and last 4 characters. Anything else (a 15-digit
    legacy number, garbage) is masked to the same length showing only its last 2 characters,
    and values of 4 characters or fewer are masked entirely, so a mask never shows more than
    the first 6 and the last 4 characters of what was stored.
    """
    value = s.strip().upper()
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 2) + value[-2:]


_MOBILE = re.compile(r"1[0-9]{10}")


def mask_phone(s: str) -> str:
    """Mask a phone number: an 11-digit mobile as ``138****5678``, anything else keeps its last 4.

    Values of 4 characters or fewer are masked entirely.
    """
    value = s.strip()
    if _MOBILE.fullmatch(value):
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]
