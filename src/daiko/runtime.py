"""What a running process holds: settings, the database, the document store, the broker
URL. Built once per process (inside its event loop) and handed to handlers as the
`runtime` dependency, to actors by `workers`, and to the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from daiko.broker import broker_url
from daiko.config import Settings
from daiko.db.engine import Database
from daiko.documents.store import DocumentStore, build_store


@dataclass
class Runtime:
    settings: Settings
    db: Database
    store: DocumentStore
    broker_url: str
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=Database(settings),
            store=build_store(settings),
            broker_url=broker_url(settings),
        )

    async def close(self) -> None:
        """Close what the process opened: extras that hold connections (a listener, a
        Redis client) offer `aclose`, and go before the engines."""
        for extra in list(self.extras.values()):
            aclose = getattr(extra, "aclose", None)
            if callable(aclose):
                await aclose()
        await self.db.dispose()
