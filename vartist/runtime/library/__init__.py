"""The song library: requests, requesters, songs, deliveries and releases (see library.py)."""

from vartist.runtime.library.library import (
    DEFAULT_REQUESTER_LIMIT,
    MAX_ATTEMPTS,
    Job,
    Library,
    LibraryError,
    NewRequest,
    NotFoundError,
    NotReadyError,
    RequesterLimitError,
    RequestStatus,
    SongInfo,
    default_data_dir,
    default_database_url,
)
from vartist.runtime.library.models import FINISHED_STATES, OPEN_STATES, REQUEST_STATES

__all__ = [
    "DEFAULT_REQUESTER_LIMIT",
    "FINISHED_STATES",
    "MAX_ATTEMPTS",
    "OPEN_STATES",
    "REQUEST_STATES",
    "Job",
    "Library",
    "LibraryError",
    "NewRequest",
    "NotFoundError",
    "NotReadyError",
    "RequestStatus",
    "RequesterLimitError",
    "SongInfo",
    "default_data_dir",
    "default_database_url",
]
