"""Writing a finished song into a folder the user names, without ever touching their files.

The folder may hold anything of the user's (a cover, notes, another tool's files): vartist
only ever replaces or removes the files it wrote itself, which it lists with their SHA-256 in a
hidden manifest (:data:`MANIFEST`). A file of one of vartist's names that the manifest does not
vouch for (the user's own ``song.json``, or a ``song.wav`` edited since) stops the write with a
message, before any rendering.

A song is written whole into a hidden staging folder inside the target, then swapped in:

1. :meth:`SongFolder.prepare` checks the target and creates the staging folder before the
   render, so an unwritable, full or mistyped ``--out`` fails in a second, not after a render;
2. :meth:`SongFolder.commit` writes every file into staging, syncs it to disk, and writes a
   journal (:data:`JOURNAL`) naming each file to move in and each old one to remove. From the
   moment the journal exists the new song is decided; the moves then take microseconds;
3. a run that finds a staging folder whose owner died (SIGKILL, power loss) completes its
   journal if it has one, and removes it if it has none. Ownership is an ``flock`` the writing
   process holds on :data:`OWNER_LOCK`, which the kernel releases when that process dies.

So after a crash at any moment the folder holds the old song or the new one, never a mix that
outlives the next run, and never loses a file that vartist did not write.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from vartist.errors import StorageError, VartistError, describe_os_error
from vartist.userfiles import shown

if TYPE_CHECKING:
    from vartist.runtime.song import Song

SONG_FILES = ("song.wav", "song.mid", "song.lrc", "song.json", "song.musicxml")
STEMS_DIR = "stems"
MANIFEST = ".vartist-manifest.json"
"""Lists each file vartist wrote in the folder with its size and SHA-256."""
MANIFEST_FORMAT = "vartist-song-folder/1"
STAGING_PREFIX = ".vartist-staging-"
OWNER_LOCK = "owner.lock"
JOURNAL = "journal.json"
MAX_MANIFEST_BYTES = 1 << 20
DISK_FULL_BYTES = 1 << 20
"""Less free space than this after a failed write means the disk filled up."""

LEGACY_STAGING_AGE_SECONDS = 600.0
"""vartist 0.1 staged beside the target as ``.NAME.XXXXXXXX.partial``; one older than this
cannot belong to a render still running (a song renders in seconds)."""
_LEGACY_STAGING = r"^\.{name}\.[A-Za-z0-9_]{{8}}\.partial$"


class OutputError(VartistError):
    """The output folder cannot hold the song as asked."""


def song_document(song: Song) -> dict[str, Any]:
    """Everything about the song that is not audio, as one JSON-ready document."""
    return {
        "title": song.title,
        "artist": song.persona.name,
        "duration_seconds": round(song.master.duration, 3),
        "lyrics": song.lyrics.text,
        "score": song.score.to_dict(),
        "timeline": [asdict(event) for event in song.timeline.events],
        "provenance": song.provenance,
        "warnings": list(song.warnings),
    }


def _storage_error(doing: str, path: Path, exc: OSError) -> StorageError:
    return StorageError(f"cannot {doing} {shown(path)}: {describe_os_error(exc)}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the few syscalls of a swap; they arrive right after."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The files the manifest vouches for: relative path → {"size", "sha256"}."""
    path = folder / MANIFEST
    try:
        info = path.lstat()
    except FileNotFoundError:
        return {}
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MANIFEST_BYTES:
        raise OutputError(f"{shown(path)} is not a vartist manifest; move it away")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise OutputError(
            f"{shown(path)} is damaged; move it away (vartist will then refuse to replace "
            "the song files it listed, so move those too or choose another --out folder)"
        ) from None
    files = document.get("files") if isinstance(document, dict) else None
    if document.get("format") != MANIFEST_FORMAT or not isinstance(files, dict):
        raise OutputError(f"{shown(path)} is not a vartist manifest; move it away")
    return {str(name): entry for name, entry in files.items() if isinstance(entry, dict)}


def _is_ours(folder: Path, relative: str, manifest: dict[str, dict[str, Any]]) -> bool:
    """Whether the file at ``relative`` is exactly what vartist wrote there."""
    entry = manifest.get(relative)
    if entry is None:
        return False
    path = folder / relative
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != entry.get("size"):
        return False
    return _sha256(path) == entry.get("sha256")


def _refuse_foreign(folder: Path, relative: str, manifest: dict[str, dict[str, Any]]) -> None:
    path = folder / relative
    if not os.path.lexists(path) or _is_ours(folder, relative, manifest):
        return
    changed = " or was changed since" if relative in manifest else ""
    raise OutputError(
        f"{shown(path)} was not written by vartist{changed}; vartist never replaces files it "
        "did not write: move it away or choose another --out folder"
    )


class _Staging:
    """A hidden folder inside the target that one process owns while it writes a song."""

    def __init__(self, path: Path, lock_fd: int) -> None:
        self.path = path
        self._lock_fd = lock_fd

    @classmethod
    def create(cls, folder: Path) -> _Staging:
        path = folder / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
        try:
            path.mkdir()
            lock_fd = os.open(path / OWNER_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            with contextlib.suppress(OSError):
                shutil.rmtree(path)
            raise _storage_error("write into", folder, exc) from None
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        return cls(path, lock_fd)

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._lock_fd)


def _left_by_dead_owner(staging: Path) -> bool:
    """Whether ``staging`` is vartist's and no live process owns it any more.

    vartist's own staging folders hold an owner lock from their first moment; a folder of the
    name without one is someone else's (or empty, from a process killed between two syscalls).
    """
    try:
        fd = os.open(staging / OWNER_LOCK, os.O_RDWR)
    except FileNotFoundError:
        return not any(staging.iterdir()) and time.time() - staging.lstat().st_mtime > 60.0
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _complete_journal(staging: Path, folder: Path) -> None:
    """Move a staged song into ``folder`` as its journal says; safe to repeat after a crash."""
    journal = json.loads((staging / JOURNAL).read_text(encoding="utf-8"))
    for relative in journal["remove"]:
        with contextlib.suppress(FileNotFoundError):
            (folder / relative).unlink()
    for relative in journal["make_dirs"]:
        (folder / relative).mkdir(exist_ok=True)
    for relative in journal["put"]:
        source = staging / relative
        if source.exists():
            os.replace(source, folder / relative)
    if (staging / MANIFEST).exists():
        os.replace(staging / MANIFEST, folder / MANIFEST)
    for relative in journal["drop_dirs"]:
        with contextlib.suppress(OSError):  # the user put something there: it stays
            (folder / relative).rmdir()
    _fsync_path(folder, directory=True)
    shutil.rmtree(staging, ignore_errors=True)


def _recover_stale_staging(folder: Path) -> None:
    """Finish or remove what a killed vartist left in ``folder`` (and only that)."""
    for entry in folder.iterdir():
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir():
            continue
        if entry.is_symlink() or not _left_by_dead_owner(entry):
            continue
        if (entry / JOURNAL).exists():
            _complete_journal(entry, folder)
        else:
            shutil.rmtree(entry, ignore_errors=True)
    _remove_legacy_staging(folder)


def _remove_legacy_staging(folder: Path) -> None:
    """vartist 0.1 staged a song beside its folder and left it there when killed."""
    pattern = re.compile(_LEGACY_STAGING.format(name=re.escape(folder.name)))
    allowed = {*SONG_FILES, STEMS_DIR}
    with contextlib.suppress(OSError):
        for entry in folder.parent.iterdir():
            if not pattern.match(entry.name) or entry.is_symlink() or not entry.is_dir():
                continue
            if time.time() - entry.lstat().st_mtime < LEGACY_STAGING_AGE_SECONDS:
                continue
            if {child.name for child in entry.iterdir()} <= allowed:
                shutil.rmtree(entry, ignore_errors=True)


class SongFolder:
    """A folder reserved for one song: checked before the render, filled all at once after it.

    Use it as a context manager around the render: leaving it without :meth:`commit` (an
    error, Ctrl-C, SIGTERM) removes the staging folder and any folder it created.
    """

    def __init__(self, path: Path, created: list[Path], staging: _Staging) -> None:
        self.path = path
        self._created = created
        self._staging = staging
        self._committed = False

    @classmethod
    def prepare(cls, out_dir: Path | str, stems: bool = False) -> SongFolder:
        """Check ``out_dir``, create it if needed and reserve it for a song.

        Raises :class:`OutputError` for a path that is a file or the file-system root, or that
        holds files of vartist's names that vartist did not write; :class:`StorageError` when
        the machine cannot write there (permissions, read-only, disk full, name too long).
        """
        path = Path(os.path.abspath(out_dir))
        if path.parent == path:
            raise OutputError(
                f"--out {shown(out_dir)} is the root of the file system; choose a folder "
                "such as out/rainy-night"
            )
        created = cls._make_folders(path)
        try:
            _recover_stale_staging(path)
            manifest = _read_manifest(path)
            # the manifest vouches for itself by its format; _read_manifest refused anything else
            for relative in SONG_FILES:
                _refuse_foreign(path, relative, manifest)
            stems_path = path / STEMS_DIR
            if stems and os.path.lexists(stems_path) and not stems_path.is_dir():
                raise OutputError(
                    f"{shown(stems_path)} is a file, so --stems cannot make a folder there; "
                    "move it away or drop --stems"
                )
            staging = _Staging.create(path)
        except OSError as exc:
            _remove_created(created)
            raise _storage_error("write into", path, exc) from None
        except BaseException:
            _remove_created(created)
            raise
        return cls(path, created, staging)

    @staticmethod
    def _make_folders(path: Path) -> list[Path]:
        missing: list[Path] = []
        probe = path
        while not os.path.lexists(probe):
            missing.append(probe)
            probe = probe.parent
        if not probe.is_dir():
            try:
                os.stat(probe)
            except OSError as exc:  # a symlink loop or a link to nowhere
                raise _storage_error("use", probe, exc) from None
            raise OutputError(
                f"{shown(probe)} is a file, not a folder; pass --out with a folder path"
            )
        created: list[Path] = []
        try:
            for folder in reversed(missing):
                folder.mkdir()  # mode 0o777 less the umask, like mkdir(1)
                created.append(folder)
        except OSError as exc:
            _remove_created(created)
            raise _storage_error("create", folder, exc) from None
        return created

    def commit(self, song: Song, stems: bool = False) -> list[str]:
        """Write the song and swap it in; returns the paths written, relative to the folder."""
        staging = self._staging.path
        audio = [song.master, *(song.stems.values() if stems else ())]
        # 24-bit PCM, plus a megabyte for the score, the lyrics and the headers
        self._check_space(sum(a.frames * a.channels * 3 for a in audio) + (1 << 20))
        try:
            from vartist.studio.errors import AudioFileError

            try:
                written = write_song_files(song, staging, stems)
            except AudioFileError:
                # libsndfile reports a full disk as "System error."; the free space tells
                if _free_bytes(staging) < DISK_FULL_BYTES:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) from None
                raise
        except OSError as exc:
            raise _storage_error("write the song into", self.path, exc) from None
        return self._swap_in(written)

    def commit_copies(self, sources: dict[str, Path]) -> list[str]:
        """Copy finished song files (relative name → source path) in, as :meth:`commit` does."""
        staging = self._staging.path
        self._check_space(sum(p.stat().st_size for p in sources.values()) + (1 << 20))
        try:
            for relative, source in sources.items():
                (staging / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, staging / relative)
        except OSError as exc:
            raise _storage_error("write the song into", self.path, exc) from None
        return self._swap_in(list(sources))

    def _swap_in(self, written: list[str]) -> list[str]:
        staging = self._staging.path
        try:
            manifest = self._new_manifest(staging, written)
            journal = self._plan_swap(written)
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            for relative in [*written, MANIFEST]:
                _fsync_path(staging / relative)
            journal_tmp = staging / f"{JOURNAL}.tmp"
            journal_tmp.write_text(json.dumps(journal), encoding="utf-8")
            _fsync_path(journal_tmp)
            with _signals_held():
                os.replace(journal_tmp, staging / JOURNAL)  # the new song is decided here
                self._committed = True
                _complete_journal(staging, self.path)
        except OSError as exc:
            raise _storage_error("write the song into", self.path, exc) from None
        return written

    def _check_space(self, needed: int) -> None:
        free = _free_bytes(self.path)
        if free < needed:
            raise StorageError(
                f"disk full: the song needs about {needed / 1e6:.0f} MB and "
                f"{shown(self.path)} has {free / 1e6:.0f} MB free; free some space or choose "
                "another --out folder"
            )

    @staticmethod
    def _new_manifest(staging: Path, written: list[str]) -> dict[str, Any]:
        files = {
            relative: {
                "size": (staging / relative).stat().st_size,
                "sha256": _sha256(staging / relative),
            }
            for relative in written
        }
        dirs = [STEMS_DIR] if any(r.startswith(f"{STEMS_DIR}/") for r in written) else []
        return {"format": MANIFEST_FORMAT, "files": files, "dirs": dirs}

    def _plan_swap(self, written: list[str]) -> dict[str, list[str]]:
        """Check again what the swap will replace (the user had the whole render to change
        things) and name every move."""
        manifest = _read_manifest(self.path)
        for relative in written:
            _refuse_foreign(self.path, relative, manifest)
        stale = [
            relative
            for relative in manifest
            if relative not in written and _is_ours(self.path, relative, manifest)
        ]
        stems_path = self.path / STEMS_DIR
        new_stems = any(r.startswith(f"{STEMS_DIR}/") for r in written)
        if new_stems and os.path.lexists(stems_path) and not stems_path.is_dir():
            raise OutputError(f"{shown(stems_path)} is a file; move it away or drop --stems")
        old_dirs = self._old_dirs()
        return {
            "remove": stale,
            "make_dirs": [STEMS_DIR] if new_stems else [],
            "put": written,
            "drop_dirs": [d for d in old_dirs if d == STEMS_DIR and not new_stems],
        }

    def _old_dirs(self) -> list[str]:
        try:
            document = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        dirs = document.get("dirs", [])
        return [str(d) for d in dirs] if isinstance(dirs, list) else []

    def abandon(self) -> None:
        """Remove the staging folder and every folder :meth:`prepare` created (when empty)."""
        if not self._committed:
            shutil.rmtree(self._staging.path, ignore_errors=True)
            _remove_created(self._created)
        self._staging.release()

    def __enter__(self) -> SongFolder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.abandon()


def write_song_files(song: Song, folder: Path, stems: bool = False) -> list[str]:
    """Write song.wav, song.mid, song.lrc, song.musicxml, song.json (and stems/NAME.wav) into
    ``folder``; returns their paths relative to it."""
    # the writers pull in the composer and the studio; a folder check must not wait for them
    from vartist.composer.export import write_lrc, write_midi, write_musicxml
    from vartist.studio.files import write_wav

    tags = {"title": song.title, "artist": song.persona.name, "comment": "AI-generated"}
    if song.persona.voice.licence:
        # whoever receives the file alone must still see what the voice's licence allows
        tags["voice licence"] = song.persona.voice.licence
    write_wav(song.master, folder / "song.wav", tags)
    write_midi(song.score, folder / "song.mid")
    write_lrc(song.timeline, folder / "song.lrc", song.title, song.persona.name)
    write_musicxml(song.score, folder / "song.musicxml")
    document = json.dumps(song_document(song), ensure_ascii=False, indent=1)
    (folder / "song.json").write_text(document, encoding="utf-8")
    written = list(SONG_FILES)
    if stems:
        if not song.stems:
            raise OutputError("this song kept no stems; render it with Pipeline(keep_stems=True)")
        (folder / STEMS_DIR).mkdir()
        for name, audio in song.stems.items():
            write_wav(audio, folder / STEMS_DIR / f"{name}.wav")
            written.append(f"{STEMS_DIR}/{name}.wav")
    return written


def _free_bytes(path: Path) -> int:
    usage = os.statvfs(path)
    return usage.f_bavail * usage.f_frsize


def _remove_created(created: list[Path]) -> None:
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                raise
            break


def write_song(song: Song, out_dir: Path | str, stems: bool = False) -> Path:
    """Write song.wav, song.mid, song.lrc, song.json (and stems/) into ``out_dir``.

    An earlier song that vartist wrote there is replaced; nothing else in the folder is touched.
    """
    with SongFolder.prepare(out_dir, stems) as folder:
        folder.commit(song, stems)
    return folder.path
