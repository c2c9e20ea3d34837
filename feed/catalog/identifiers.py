"""GTIN family check digits (UPC-A, EAN-8/13, GTIN-14, ISBN) and normalisation."""

import re

_DIGITS = re.compile(r"^\d+$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    return (
        bool(_DIGITS.match(code))
        and len(code) in (8, 12, 13, 14)
        and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def normalize_gtin(code: str | None) -> str | None:
    """GTIN-14 form, so UPC-A, EAN-13 and GTIN-14 of one item compare equal; None if invalid."""
    if not code:
        return None
    code = code.strip()
    return code.zfill(14) if is_valid_gtin(code) else None


def _clean(value: str) -> str:
    value = value.strip().replace(" ", "").replace("-", "")
    if _SCIENTIFIC.match(value):
        raise ValueError(
            f"{value!r} looks like a number a spreadsheet reformatted; store the column as text"
        )
    if not _DIGITS.match(value):
        raise ValueError(f"{value!r} must contain only digits")
    return value


def _checked(value: str, lengths: tuple[int, ...], label: str) -> str:
    code = _clean(value)
    if len(code) not in lengths:
        hint = ""
        if len(code) + 1 in lengths:
            hint = " (a leading zero may have been dropped by a spreadsheet)"
        expected = " or ".join(str(n) for n in lengths)
        raise ValueError(f"{label} must have {expected} digits, got {len(code)}{hint}")
    if gtin_check_digit(code[:-1]) != int(code[-1]):
        raise ValueError(
            f"{label} {code} has an invalid check digit (expected {gtin_check_digit(code[:-1])})"
        )
    return code


def parse_upc(value: str) -> str:
    return _checked(value, (12,), "UPC")


def parse_ean(value: str) -> str:
    return _checked(value, (8, 13), "EAN")


def parse_gtin(value: str) -> str:
    return _checked(value, (8, 12, 13, 14), "GTIN")


def parse_isbn(value: str) -> str:
    code = value.strip().replace("-", "").replace(" ", "").upper()
    if len(code) == 10 and re.match(r"^\d{9}[\dX]$", code):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(code))
        if total % 11:
            raise ValueError(f"ISBN-10 {code} has an invalid check digit")
        return code
    if len(code) == 13 and code.startswith(("978", "979")):
        return _checked(code, (13,), "ISBN-13")
    raise ValueError("ISBN must be 10 characters or 13 digits starting 978/979")
