"""The runtime's public face for channels: submit, follow, cancel and fetch songs.

The HTTP API, the chat bots and the stage all go through a :class:`Service`; none of them
holds a queue or a library of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from vartist.persona import Persona
from vartist.runtime.library import DEFAULT_REQUESTER_LIMIT, Library, NewRequest, RequestStatus
from vartist.runtime.workers import RenderQueue, ServiceSettings


@dataclass
class Service:
    settings: ServiceSettings
    library: Library
    queue: RenderQueue
    persona: Persona
    requester_limit: int = DEFAULT_REQUESTER_LIMIT

    @classmethod
    def open(
        cls, settings: ServiceSettings, persona: Persona, requester_limit: int | None = None
    ) -> Service:
        library = settings.open_library()
        return cls(
            settings,
            library,
            RenderQueue(settings, library),
            persona,
            requester_limit or DEFAULT_REQUESTER_LIMIT,
        )

    def submit(self, new: NewRequest) -> tuple[RequestStatus, bool]:
        """Screen, store and queue a request; the same idempotency key gives the same one."""
        status, created = self.library.submit(new, self.persona, self.requester_limit)
        if created:
            self.queue.wake()
        return status, created

    def cancel(self, request_id: str) -> RequestStatus:
        return self.library.cancel(request_id)

    def close(self) -> None:
        self.library.close()
