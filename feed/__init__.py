"""ecomdash-feed: a merchant's catalog published to ecomdash."""

__version__ = "0.1.0"
