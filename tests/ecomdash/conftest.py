from collections.abc import AsyncIterator

import pytest

from feed.ecomdash.client import EcomdashClient
from tests.sandbox import sandbox_client


@pytest.fixture
async def ecomdash(sandbox_app) -> AsyncIterator[EcomdashClient]:
    async with sandbox_client(sandbox_app) as client:
        yield client
