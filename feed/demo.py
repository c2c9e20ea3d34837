"""`feed serve --demo`: a self-contained trial with the sample catalog and the sandbox."""

import secrets
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from feed.channels import create_channel, update_channel
from feed.crypto import SecretBox, generate_key
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY
from feed.export.snapshot import build_snapshot
from feed.models import Channel, Listing
from feed.schemas import ChannelCreate, ChannelUpdate
from feed.settings import Settings

DEMO_CHANNEL = "demo"
DEMO_IMPORT_INTERVAL = 60.0
DEMO_KEY_FILE = "demo-secret.key"
SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"
# (engine, channel id, file, max errors)
ImportFile = Callable[[Engine, int, Path, int], None]


def demo_settings(settings: Settings) -> Settings:
    updates: dict[str, object] = {}
    if not settings.ADMIN_TOKEN:
        updates["ADMIN_TOKEN"] = secrets.token_urlsafe(24)
    if not settings.SECRET_KEY:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file = settings.DATA_DIR / DEMO_KEY_FILE
        if not key_file.exists():
            key_file.write_text(generate_key())
            key_file.chmod(0o600)
        updates["SECRET_KEY"] = key_file.read_text().strip()
    return settings.model_copy(update=updates)


DEMO_MAPPINGS = [  # the sandbox's orders also use "Free Economy", left unmapped to show holds
    ("Standard Shipping", "USPS", "Ground Advantage", 42226),
    ("UPS Ground", "UPS", "Ground", 42222),
    ("Next Day Air", "UPS", "Next Day Air", 42222),
    ("Expedited", "FedEx", "2Day", 42230),
]


def _demo_mappings(engine: Engine, channel_id: int) -> None:
    from sqlalchemy import insert
    from sqlalchemy import select as sa_select

    from feed.orders_models import ShippingMapping

    table = ShippingMapping.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        if conn.execute(sa_select(table.c.id).where(table.c.channel_id == channel_id)).first():
            return
        conn.execute(
            insert(table),
            [
                {
                    "channel_id": channel_id,
                    "method": m,
                    "method_key": m.casefold(),
                    "carrier": c,
                    "service": s,
                    "ecomdash_carrier_id": i,
                }
                for m, c, s, i in DEMO_MAPPINGS
            ],
        )


def load_demo_channel(settings: Settings, engine: Engine, import_file: ImportFile) -> Channel:
    """The demo channel, connected to the sandbox mounted at /sandbox, with the sample catalog
    (imported by ``import_file``, which shows progress) and shipping mappings."""
    box = SecretBox(settings.SECRET_KEY or "")
    sandbox_url = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/sandbox/api"
    connection = {
        "ecd_subscription_key": DEMO_ECD_KEY,
        "apim_subscription_key": DEMO_PORTAL_KEY,
        "base_url": sandbox_url,
    }
    with Session(engine) as session:
        channel = session.exec(select(Channel).where(Channel.name == DEMO_CHANNEL)).first()
        if channel is None:
            channel = create_channel(session, box, ChannelCreate(name=DEMO_CHANNEL, **connection))
        else:  # the port may have changed since the last demo
            update_channel(session, box, channel, ChannelUpdate(**connection))
        assert channel.id is not None
        _demo_mappings(engine, channel.id)
        has_listings = session.exec(
            select(Listing.id).where(Listing.channel_id == channel.id).limit(1)
        ).first()
        if has_listings is None:
            import_file(engine, channel.id, SAMPLE_DATA / "catalog.csv", settings.MAX_IMPORT_ERRORS)
        build_snapshot(engine, channel.id, settings.DATA_DIR, settings.FEED_GZIP_LEVEL)
        session.refresh(channel)
        return channel
