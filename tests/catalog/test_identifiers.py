import pytest

from feed.catalog.identifiers import (
    is_valid_gtin,
    normalize_gtin,
    parse_ean,
    parse_isbn,
    parse_upc,
)


@pytest.mark.parametrize(
    "code", ["036000291452", "4006381333931", "96385074", "10036000291459", "00036000291452"]
)
def test_valid_gtins(code):
    assert is_valid_gtin(code)


@pytest.mark.parametrize("code", ["036000291453", "4006381333932", "12345", "abcdefghijkl", ""])
def test_invalid_gtins(code):
    assert not is_valid_gtin(code)


def test_upc_ean_and_gtin14_of_one_item_normalise_equal():
    assert normalize_gtin("036000291452") == normalize_gtin("0036000291452")
    assert normalize_gtin("036000291452") == normalize_gtin("00036000291452")
    assert normalize_gtin("036000291452") == "00036000291452"


def test_invalid_check_digit_never_normalises():
    assert normalize_gtin("036000291453") is None
    assert normalize_gtin(None) is None


def test_upc_messages_explain_the_problem():
    with pytest.raises(ValueError, match="expected 2"):
        parse_upc("036000291453")
    with pytest.raises(ValueError, match="leading zero"):
        parse_upc("36000291452")
    with pytest.raises(ValueError, match="spreadsheet"):
        parse_upc("3.60003E+11")
    assert parse_upc(" 0360-0029-1452 ") == "036000291452"


def test_ean8_and_ean13():
    assert parse_ean("96385074") == "96385074"
    assert parse_ean("4006381333931") == "4006381333931"
    with pytest.raises(ValueError, match="8 or 13 digits"):
        parse_ean("036000291452")


def test_isbn_10_and_13():
    assert parse_isbn("0-306-40615-2") == "0306406152"
    assert parse_isbn("080442957X") == "080442957X"
    assert parse_isbn("978-0-306-40615-7") == "9780306406157"
    with pytest.raises(ValueError, match="check digit"):
        parse_isbn("0306406153")
