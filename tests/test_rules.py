from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from feed.rules import ChannelRules, Filters, PriceRules, QuantityRules, compute_offer


def listing(**over):
    base = {
        "sku": "SKU-1",
        "price": D("10.00"),
        "cost": D("4.00"),
        "msrp": D("15.00"),
        "map_price": None,
        "quantity": 10,
        "is_discontinued": False,
        "brand": "Acme",
    }
    return base | over


def offer(rules=None, **over):
    return compute_offer(listing(**over), rules or ChannelRules())


class TestPrice:
    def test_defaults_offer_the_price_as_is(self):
        o = offer()
        assert (o.price, o.quantity, o.offered) == (D("10.00"), 10, True)

    def test_source_times_multiplier_plus_amount(self):
        rules = ChannelRules(price=PriceRules(source="cost", multiplier=D("1.8"), add=D("2.5")))
        assert offer(rules).price == D("9.70")

    def test_floor_at_map(self):
        o = offer(map_price=D("11.00"))
        assert (o.price, o.price_rule) == (D("11.00"), "floored at MAP")

    def test_floor_at_minimum(self):
        rules = ChannelRules(price=PriceRules(minimum=D("20")))
        assert offer(rules).price == D("20.00")

    @pytest.mark.parametrize(
        ("price", "expected"),
        [
            ("10.00", "10.99"),
            ("10.99", "10.99"),
            ("11.00", "11.99"),
            ("0.01", "0.99"),
        ],
    )
    def test_charm_rounds_up_to_the_ending(self, price, expected):
        rules = ChannelRules(price=PriceRules(charm=D("0.99")))
        assert offer(rules, price=D(price)).price == D(expected)

    def test_never_negative(self):
        rules = ChannelRules(price=PriceRules(add=D("-50")))
        assert offer(rules).price == D("0.00")

    def test_no_source_value_means_no_price(self):
        assert offer(price=None).price is None

    @pytest.mark.parametrize(
        "bad", [{"multiplier": -1}, {"charm": 1}, {"minimum": -0.01}, {"source": "weight"}]
    )
    def test_nonsense_is_rejected(self, bad):
        with pytest.raises(ValidationError):
            PriceRules(**bad)


class TestQuantity:
    def test_buffer_cap_threshold(self):
        rules = ChannelRules(quantity=QuantityRules(buffer=2, maximum=5, zero_below=3))
        assert offer(rules).quantity == 5  # 10 - 2 = 8, capped at 5
        assert offer(rules, quantity=4).quantity == 0  # 4 - 2 = 2 < 3
        assert offer(rules, quantity=5).quantity == 3
        assert offer(rules, quantity=1).quantity == 0  # never negative

    def test_discontinued_is_zero(self):
        o = offer(is_discontinued=True)
        assert (o.quantity, o.quantity_rule) == (0, "discontinued")


class TestFilters:
    def test_excluded_listings_are_not_offered_and_have_zero_quantity(self):
        rules = ChannelRules(filters=Filters(exclude_skus=["sku-*"]))
        o = offer(rules)
        assert (o.offered, o.quantity, o.excluded_by) == (False, 0, "filters.exclude_skus (sku-*)")

    def test_brands_and_quantity_filters(self):
        assert not offer(ChannelRules(filters=Filters(exclude_brands=["ACME"]))).offered
        assert not offer(ChannelRules(filters=Filters(include_brands=["Other"]))).offered
        assert not offer(ChannelRules(filters=Filters(min_quantity=11))).offered
        assert not offer(
            ChannelRules(filters=Filters(exclude_discontinued=True)), is_discontinued=True
        ).offered
