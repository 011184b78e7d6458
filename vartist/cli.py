"""The ``vartist`` command.

Every failure is one line on stderr and a non-zero exit: a :class:`~vartist.errors.VartistError`
exits with its own code (2 for bad input, 74 for a machine that cannot read or write), the
command-line parser's own complaints with 2, Ctrl-C with 130 and SIGTERM with 143. Nothing a
user can type produces a traceback, and no user text is ever read as Rich markup: every message
is built from :class:`rich.text.Text`, which prints brackets as they are.
"""

from __future__ import annotations

import errno
import os
import secrets
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from vartist.errors import (
    EXIT_IO_ERROR,
    EXIT_USER_ERROR,
    StorageError,
    VartistError,
    describe_os_error,
)
from vartist.persona import Persona, default_persona, load_persona
from vartist.userfiles import read_user_text, shown

if TYPE_CHECKING:
    # the pipeline imports every stage; the CLI loads it only when a command needs it
    from vartist.integrations.web.client import ApiClient
    from vartist.request import SongRequest
    from vartist.runtime import Song
    from vartist.runtime.library import Library
    from vartist.runtime.workers import ServiceSettings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="vartist: an open runtime for virtual singers.",
)
persona_app = typer.Typer(no_args_is_help=True, help="Check and explain persona files.")
app.add_typer(persona_app, name="persona")
library_app = typer.Typer(no_args_is_help=True, help="List, show, export and delete songs.")
app.add_typer(library_app, name="library")


class _StdoutConsole(Console):
    """Rich exits with status 1 and no word when stdout's reader goes away (`vartist … | true`);
    vartist reports it like any other I/O problem instead."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


err = Console(stderr=True, highlight=False, markup=False, emoji=False)
out = _StdoutConsole(highlight=False, markup=False, emoji=False)

EXIT_INTERNAL_ERROR = 70
"""sysexits.h EX_SOFTWARE: a bug in vartist."""
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived; unwinds like Ctrl-C so every ``finally`` cleans up."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _error_line(message: str, label: str = "error") -> Text:
    return Text.assemble((f"{label}:", "bold red"), " ", message)


def _fail(message: str, code: int, label: str = "error") -> NoReturn:
    err.print(_error_line(message, label), soft_wrap=True)
    raise SystemExit(code)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _guarded(action: Callable[[], None]) -> None:
    """Run a command body; every failure becomes one line and its exit status."""
    try:
        action()
        sys.stdout.flush()  # a closed or full stdout must fail here, where it can be reported
    except VartistError as exc:
        _fail(str(exc), exc.exit_code)
    except Terminated:
        _fail("terminated (SIGTERM); nothing was written", EXIT_TERMINATED, "stopped")
    except KeyboardInterrupt:
        _fail("interrupted; nothing was written", EXIT_INTERRUPTED, "stopped")
    except OSError as exc:
        if exc.filename is None or exc.filename in ("<stdout>", "<stderr>"):
            # the only files vartist opens without naming them in a VartistError are its own
            # standard streams: `vartist … | true`, `> /dev/full`
            _silence_stdout()
            _fail(f"cannot write to standard output: {describe_os_error(exc)}", EXIT_IO_ERROR)
        _fail(f"{shown(exc.filename)}: {describe_os_error(exc)}", EXIT_IO_ERROR)
    except MemoryError:
        _fail("out of memory; close other programs or render a shorter song", EXIT_IO_ERROR)
    except Exception as exc:
        if os.environ.get("VARTIST_DEBUG"):
            raise
        _fail(
            f"{type(exc).__name__}: {shown(exc, 300)} (this is a bug in vartist; rerun with "
            "VARTIST_DEBUG=1 for the traceback)",
            EXIT_INTERNAL_ERROR,
            "internal error",
        )


def _persona(path: Path | None, overrides: list[str]) -> Persona:
    if path is None:
        return default_persona(overrides)
    return load_persona(path, overrides)


def _read_lyrics(path: Path) -> str:
    from vartist.lyrics.errors import LyricsError
    from vartist.lyrics.parse import MAX_BYTES

    return read_user_text(path, MAX_BYTES, "lyrics file", LyricsError)


@app.command()
def sing(
    prompt: Annotated[str, typer.Argument(help="What the song is about, in a line.")],
    persona: Annotated[Path | None, typer.Option(help="Persona TOML file.")] = None,
    lyrics: Annotated[
        Path | None, typer.Option(help="Sing these lyrics ([verse], [chorus] … tags).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Same seed, same song; random when omitted.")
    ] = None,
    genre: Annotated[str | None, typer.Option(help="Override the persona's genre.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a persona field: --set style.tempo=[100,110]."),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder that receives the song.")] = Path(
        "out"
    ),
    stems: Annotated[bool, typer.Option(help="Also write stems/ with one WAV per part.")] = False,
    length: Annotated[
        str | None,
        typer.Option(help="Aim at this length: 2:30, 150 or 150s; under 0:40 is a stinger."),
    ] = None,
) -> None:
    """Write, compose, sing, mix and master an original song."""

    def run() -> None:
        from vartist.request import SongRequest, parse_length
        from vartist.runtime import SongFolder

        chosen_seed = seed if seed is not None else secrets.randbelow(2**31)
        the_persona = _persona(persona, set_ or [])
        lyrics_text = _read_lyrics(lyrics) if lyrics is not None else None
        request = SongRequest(
            prompt,
            seed=chosen_seed,
            lyrics_text=lyrics_text,
            genre=genre,
            length_seconds=parse_length(length) if length is not None else None,
        )
        # the folder is reserved, and everything the user can get wrong is checked, before the
        # pipeline (and its second of imports) loads: a bad --out or input fails at once
        with SongFolder.prepare(out_dir, stems) as folder:
            from vartist.runtime.checks import check_persona, check_request

            check_persona(the_persona)
            check_request(request, the_persona)
            song = _render_with_progress(the_persona, request, keep_stems=stems)
            written = folder.commit(song, stems)
        summary = (
            f"{song.title} by {the_persona.name}: {song.duration:.0f} s, {song.score.genre}, "
            f"{song.score.key.name}, {song.score.tempo:.0f} bpm, seed {chosen_seed}"
        )
        out.print(Text(summary, style="bold"), soft_wrap=True)
        for warning in song.warnings:
            err.print(_error_line(warning, "warning"), soft_wrap=True)
        listed = [name for name in written if "/" not in name] + (["stems/"] if stems else [])
        out.print(f"wrote {shown(folder.path, 200)}: {', '.join(listed)}", soft_wrap=True)

    _guarded(run)


@app.command()
def publish(
    song_dir: Annotated[Path, typer.Argument(help="A song folder written by `vartist sing`.")],
    format_: Annotated[
        str, typer.Option("--format", help="opus, mp3 or flac (24-bit, lossless).")
    ] = "opus",
    bitrate: Annotated[
        int | None, typer.Option(help="Bit rate of opus or mp3 in kb/s.", min=16, max=512)
    ] = None,
    max_size: Annotated[
        float | None,
        typer.Option(help="Largest file in MiB: the best bit rate that fits is chosen."),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder that receives the release and its cover.")
    ] = Path("release"),
) -> None:
    """Encode a song for release: tagged OGG Opus, MP3 or FLAC with its cover art."""

    def run() -> None:
        from vartist.runtime.publishing import publish_song_folder

        if max_size is not None and bitrate is not None:
            _fail("give --bitrate or --max-size, not both", EXIT_USER_ERROR)
        limit = None if max_size is None else int(max_size * 2**20)
        written = publish_song_folder(
            song_dir, out_dir, format_, bitrate_kbps=bitrate, max_bytes=limit
        )
        sizes = ", ".join(f"{p.name} ({p.stat().st_size / 2**20:.1f} MiB)" for p in written)
        out.print(f"wrote {shown(out_dir, 200)}: {sizes}", soft_wrap=True)

    _guarded(run)


@contextmanager
def _stage_progress() -> Iterator[Callable[[str, float], None]]:
    """One progress bar for the render, named after the step it is on. On an error the bar is
    cleared, so the error line is not left under a half-filled bar."""
    columns = (TextColumn("{task.description:<12}"), BarColumn(), TimeElapsedColumn())
    progress = Progress(*columns, console=err, transient=False, disable=not err.is_terminal)
    task = progress.add_task("lyrics", total=1.0)

    def on_step(step: str, done: float) -> None:
        progress.update(task, description=step, completed=done)

    progress.start()
    try:
        yield on_step
    except BaseException:
        progress.live.transient = True
        raise
    finally:
        progress.stop()


def _render_with_progress(persona: Persona, request: SongRequest, keep_stems: bool) -> Song:
    from vartist.runtime import Pipeline

    with _stage_progress() as on_step:
        return Pipeline(persona, on_step, keep_stems).render(request)


@persona_app.command("check")
def persona_check(
    file: Annotated[Path, typer.Argument(help="Persona TOML file.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a field first.")] = None,
) -> None:
    """Validate a persona file: schema, engines, genres and language."""

    def run() -> None:
        from vartist.runtime.checks import check_persona

        loaded = load_persona(file, set_ or [])
        for line in check_persona(loaded):
            out.print(line, soft_wrap=True)
        out.print(
            Text.assemble(("ok", "green"), f": {shown(file, 200)} is a valid persona"),
            soft_wrap=True,
        )

    _guarded(run)


@persona_app.command("fields")
def persona_fields() -> None:
    """List every persona field with its meaning (the names --set takes)."""

    def run() -> None:
        from vartist.persona.describe import describe_fields

        for name, meaning in describe_fields():
            out.print(Text.assemble((name, "bold"), "  ", meaning), soft_wrap=True)

    _guarded(run)


@app.command()
def genres() -> None:
    """List the genres the composer writes in."""

    def run() -> None:
        from vartist.composer import GENRES

        for name in GENRES:
            out.print(name)

    _guarded(run)


# --- the stage --------------------------------------------------------------------------------


@app.command()
def perform(
    song_dir: Annotated[
        Path | None, typer.Argument(help="A folder written by `vartist sing`.")
    ] = None,
    queue: Annotated[
        bool, typer.Option(help="Perform the service's finished songs, in order, until stopped.")
    ] = False,
    server: Annotated[
        str, typer.Option(envvar="VARTIST_SERVER", help="The `vartist serve` to follow.")
    ] = "http://127.0.0.1:8765",
    panel_port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="With --queue: the stage panel's port.")
    ] = None,
    panel_host: Annotated[
        str, typer.Option(help="The panel's address; beyond 127.0.0.1 it needs the API token.")
    ] = "127.0.0.1",
    approval: Annotated[
        bool, typer.Option(help="With --queue: a song plays only once approved in the panel.")
    ] = False,
    audio_out: Annotated[
        str, typer.Option(help="'null', a .wav file, or a sound device's name or number.")
    ] = "null",
    persona: Annotated[
        Path | None, typer.Option(help="Persona for the avatar (default: the song's own).")
    ] = None,
    avatar: Annotated[
        str | None, typer.Option(help="Override avatar.kind: none, vtube_studio or vmc.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a persona field.")
    ] = None,
    overlay_port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Serve the lyrics overlay on this local port."),
    ] = None,
) -> None:
    """Play a song and drive the avatar's mouth and expressions in time with it."""

    def run() -> None:
        if queue:
            _perform_queue(
                server, audio_out, persona, avatar, set_ or [], overlay_port,
                (panel_host, panel_port) if panel_port is not None else None, approval,
            )  # fmt: skip
            return
        if song_dir is None:
            raise VartistError(
                "name a song folder to perform, or pass --queue to follow the service"
            )
        from vartist.runtime.stage_files import read_song_for_stage

        staged = read_song_for_stage(song_dir)  # a wrong folder fails before the stage loads
        from vartist.runtime.performer import Performer, links_for, open_sink

        overrides = list(set_ or []) + ([f"avatar.kind={avatar}"] if avatar else [])
        if persona is not None:
            the_persona = load_persona(persona, overrides)
        else:
            from vartist.persona.loading import apply_overrides, persona_from_dict

            data, origins = apply_overrides(dict(staged.persona), overrides)
            the_persona = persona_from_dict(data, f"{shown(song_dir)}/song.json", origins)
        links: list[Any] = links_for(the_persona, [the_persona.avatar.kind])
        if overlay_port is not None:
            from vartist.integrations.web.overlay import LyricsOverlay

            links.append(LyricsOverlay(the_persona, overlay_port))
        performer = Performer(open_sink(audio_out), links)
        out.print(
            f"performing {shown(staged.title)} ({staged.audio.duration:.0f} s) on "
            f"{shown(audio_out)}" + (f" with {the_persona.avatar.kind}" if links else ""),
            soft_wrap=True,
        )
        if overlay_port is not None:
            out.print(f"lyrics overlay: http://127.0.0.1:{overlay_port}/ (an OBS browser source)")
        performance = performer.perform(staged.audio, staged.timeline, staged.title)
        for problem in performance.errors[:5]:
            err.print(_error_line(problem, "warning"), soft_wrap=True)
        rate = len(performance.poses) / max(performance.duration, 1e-9)
        out.print(
            f"performed {shown(staged.title)}: {len(performance.sections)} sections, "
            f"{rate:.0f} avatar updates per second",
            soft_wrap=True,
        )

    _guarded(run)


def _perform_queue(
    server: str,
    audio_out: str,
    persona_file: Path | None,
    avatar: str | None,
    overrides: list[str],
    overlay_port: int | None,
    panel: tuple[str, int] | None,
    approval: bool,
) -> None:
    import threading

    from vartist.integrations.web.client import ApiClient
    from vartist.integrations.web.stage import StageShow, panel_app
    from vartist.runtime.performer import links_for, open_sink

    overrides = overrides + ([f"avatar.kind={avatar}"] if avatar else [])
    the_persona = _persona(persona_file, overrides)

    def links() -> list[Any]:
        chosen: list[Any] = links_for(the_persona, [the_persona.avatar.kind])
        if overlay_port is not None:
            from vartist.integrations.web.overlay import LyricsOverlay

            chosen.append(LyricsOverlay(the_persona, overlay_port))
        return chosen

    token = _api_token()
    show = StageShow(ApiClient(server, token), lambda: open_sink(audio_out), links, approval)
    show.client.get("/api/health")  # an unreachable service fails here, in one line
    if panel is not None:
        import uvicorn

        host, port = panel
        guard = None if host in _LOOPBACK else token
        if host not in _LOOPBACK and not token:
            raise VartistError(
                f"a panel on {shown(host)} lets other machines run the show: set "
                "VARTIST_API_TOKEN, then open the panel once as /?token=TOKEN"
            )
        server_ = uvicorn.Server(
            uvicorn.Config(panel_app(show, guard), host=host, port=port, log_level="warning")
        )
        threading.Thread(target=server_.run, name="stage-panel", daemon=True).start()
        out.print(f"stage panel: http://{host}:{port}/", soft_wrap=True)
    out.print(f"performing the finished songs of {shown(server)} (Ctrl-C stops)", soft_wrap=True)
    try:
        show.run()
    finally:
        show.stop()


# --- the service ------------------------------------------------------------------------------

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="VARTIST_DATABASE_URL",
        help="SQLAlchemy URL of the library (default: a SQLite file in the data folder).",
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="VARTIST_DATA_DIR",
        help="Folder of the library's files (default: $XDG_DATA_HOME/vartist).",
    ),
]
RedisOption = Annotated[
    str | None,
    typer.Option(
        "--redis",
        envvar="VARTIST_REDIS_URL",
        help="Redis URL of a shared render queue (default: a SQLite queue in the data folder).",
    ),
]
LeaseOption = Annotated[
    float,
    typer.Option(min=2.0, max=3600.0, help="Seconds before a silent worker's render is retried."),
]


def _settings(
    database: str | None, data_dir: Path | None, redis: str | None, lease: float
) -> ServiceSettings:
    from vartist.runtime.library import default_data_dir, default_database_url
    from vartist.runtime.workers import ServiceSettings

    folder = Path(os.path.abspath(data_dir or default_data_dir()))
    return ServiceSettings(
        data_dir=folder,
        database_url=database or default_database_url(folder),
        redis_url=redis,
        lease_seconds=lease,
    )


def _library(database: str | None, data_dir: Path | None) -> Library:
    return _settings(database, data_dir, None, 30.0).open_library()


def _api_token() -> str | None:
    """The API token: $VARTIST_API_TOKEN, or the file api-token in vartist's config folder,
    which must be private (mode 0600) so the token is not readable by other users."""
    from_env = os.environ.get("VARTIST_API_TOKEN", "").strip()
    if from_env:
        return from_env
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    path = Path(base) / "vartist" / "api-token"
    if not path.exists():
        return None
    if path.stat().st_mode & 0o077:
        raise VartistError(f"{shown(path)} is readable by others; run `chmod 600 {shown(path)}`")
    return read_user_text(path, 4096, "token file").strip() or None


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _check_port_free(host: str, port: int) -> None:
    """Fail in one line, before anything starts, when the address cannot be listened on."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise StorageError(
            f"cannot listen on {shown(host)}:{port} ({describe_os_error(exc)}); "
            "is another vartist serve running? choose another --port"
        ) from None


@app.command()
def serve(
    persona: Annotated[Path | None, typer.Option(help="The artist's persona TOML file.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8765,
    workers: Annotated[
        int | None, typer.Option(min=0, max=64, help="Render workers (default: one per two cores).")
    ] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    redis: RedisOption = None,
    lease: LeaseOption = 30.0,
    requester_limit: Annotated[
        int, typer.Option(min=1, max=10_000, help="Open requests one requester may have.")
    ] = 5,
) -> None:
    """Run the request API and render workers on this machine."""

    def run() -> None:
        token = _api_token()
        if host not in _LOOPBACK and not token:
            raise VartistError(
                f"listening on {shown(host)} lets other machines in: set VARTIST_API_TOKEN or "
                "write a token to ~/.config/vartist/api-token (chmod 600)"
            )
        import threading

        import uvicorn

        from vartist.integrations.web.api import create_app
        from vartist.runtime.service import Service
        from vartist.runtime.workers import WorkerPool

        _check_port_free(host, port)
        settings = _settings(database, data_dir, redis, lease)
        service = Service.open(settings, _persona(persona, []), requester_limit)
        count = workers if workers is not None else max(1, (os.cpu_count() or 2) // 2)
        pool = WorkerPool(settings, count, on_event=lambda m: err.print(m, soft_wrap=True))
        pool.start()
        threading.Thread(target=pool.supervise, args=(service.library,), daemon=True).start()
        err.print(
            f"vartist serving {shown(service.persona.name)} on http://{host}:{port} "
            f"with {count} render worker(s); library at {shown(settings.data_dir)}",
            soft_wrap=True,
        )
        try:
            uvicorn.run(create_app(service, token), host=host, port=port, log_level="warning")
        finally:
            pool.stop()
            service.close()

    _guarded(run)


@app.command()
def worker(
    workers: Annotated[int, typer.Option(min=1, max=64, help="Render processes.")] = 1,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    redis: RedisOption = None,
    lease: LeaseOption = 30.0,
) -> None:
    """Render queued requests: run on any machine that reaches the queue and the library."""

    def run() -> None:
        from vartist.runtime.workers import WorkerPool

        settings = _settings(database, data_dir, redis, lease)
        library = settings.open_library()
        pool = WorkerPool(settings, workers, on_event=lambda m: err.print(m, soft_wrap=True))
        pool.start()
        err.print(f"vartist worker: {workers} render process(es)", soft_wrap=True)
        try:
            pool.supervise(library)
        finally:
            pool.stop()
            library.close()

    _guarded(run)


@app.command()
def discord(
    persona: Annotated[Path | None, typer.Option(help="The artist's persona TOML file.")] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    redis: RedisOption = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help="A file only you can read (chmod 600) holding the bot token."),
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Log discord.py's debug messages.")] = False,
) -> None:
    """Take song requests on Discord; the token comes from DISCORD_TOKEN or --token-file."""

    def run() -> None:
        from vartist.integrations.discord.run import run_discord_bot

        settings = _settings(database, data_dir, redis, 30.0)
        run_discord_bot(settings, _persona(persona, []), token_file, verbose)

    _guarded(run)


@app.command()
def twitch(
    persona: Annotated[Path | None, typer.Option(help="The artist's persona TOML file.")] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    redis: RedisOption = None,
) -> None:
    """Take `!sing` requests from a Twitch chat; needs TWITCH_CLIENT_ID and TWITCH_TOKEN."""

    def run() -> None:
        from vartist.integrations.twitch.bot import run_twitch_chat

        settings = _settings(database, data_dir, redis, 30.0)
        run_twitch_chat(settings, _persona(persona, []), lambda m: err.print(m, soft_wrap=True))

    _guarded(run)


releases_app = typer.Typer(no_args_is_help=True, help="The persona's scheduled releases.")
app.add_typer(releases_app, name="releases")


def _release_desk(
    persona: Path | None, database: str | None, data_dir: Path | None, redis: str | None
) -> Any:
    from vartist.runtime.releases import ReleaseDesk
    from vartist.runtime.service import Service

    service = Service.open(_settings(database, data_dir, redis, 30.0), _persona(persona, []))
    return ReleaseDesk(service)


@releases_app.command("list")
def releases_list(
    persona: Annotated[Path | None, typer.Option(help="The artist's persona TOML file.")] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """The persona's releases: when each runs next and when it was last made."""

    def run() -> None:
        from vartist.runtime.releases import describe_releases

        lines = describe_releases(_release_desk(persona, database, data_dir, None))
        for line in lines or ["the persona has no [[releases]]"]:
            out.print(line, soft_wrap=True)

    _guarded(run)


@releases_app.command("run-now")
def releases_run_now(
    name: Annotated[str, typer.Argument(help="A release name from `vartist releases list`.")],
    persona: Annotated[Path | None, typer.Option(help="The artist's persona TOML file.")] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    redis: RedisOption = None,
) -> None:
    """Make a release now, through the render queue (`vartist serve` must be running)."""

    def run() -> None:
        from vartist.runtime.releases import make_now

        outcome = make_now(_release_desk(persona, database, data_dir, redis), name)
        if not outcome.made:
            out.print(f"{shown(name)} was already released this minute", soft_wrap=True)
        for path in outcome.files:
            out.print(f"wrote {shown(path, 200)}", soft_wrap=True)
        for channel in outcome.channels:
            out.print(f"queued for {shown(channel)}", soft_wrap=True)

    _guarded(run)


@releases_app.command("schedule")
def releases_schedule(
    persona: Annotated[Path | None, typer.Option(help="The artist's persona TOML file.")] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    redis: RedisOption = None,
) -> None:
    """Make the persona's releases on time, until Ctrl-C (runs missed while down: once)."""

    def run() -> None:
        from vartist.runtime.releases import run_schedule

        desk = _release_desk(persona, database, data_dir, redis)
        run_schedule(desk, lambda m: err.print(m, soft_wrap=True))

    _guarded(run)


@app.command()
def request(
    prompt: Annotated[str, typer.Argument(help="What the song is about.")],
    server: Annotated[
        str, typer.Option(envvar="VARTIST_SERVER", help="The running `vartist serve`.")
    ] = "http://127.0.0.1:8765",
    requester: Annotated[str | None, typer.Option(help="Who asks (default: your user).")] = None,
    seed: Annotated[int | None, typer.Option(help="Same seed, same song.")] = None,
    genre: Annotated[str | None, typer.Option(help="Override the persona's genre.")] = None,
    lyrics: Annotated[Path | None, typer.Option(help="Sing these lyrics.")] = None,
    key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Submitting twice gives one song.")
    ] = None,
    live: Annotated[bool, typer.Option(help="Use the live show's priority lane.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait for the song and show progress.")] = False,
) -> None:
    """Ask a running `vartist serve` for a song."""

    def run() -> None:
        import getpass

        from vartist.integrations.web.client import ApiClient

        client = ApiClient(server, _api_token())
        body: dict[str, object] = {
            "prompt": prompt,
            "requester": requester or getpass.getuser(),
            "priority": "live" if live else "normal",
        }
        for name, value in (("seed", seed), ("genre", genre), ("idempotency_key", key)):
            if value is not None:
                body[name] = value
        if lyrics is not None:
            body["lyrics"] = _read_lyrics(lyrics)
        created = client.post("/api/requests", body)
        request_id = str(created["id"])
        out.print(f"request {request_id}: {created['state']}", soft_wrap=True)
        if wait:
            status = _follow(client, request_id)
            if status["state"] in ("failed", "cancelled"):
                raise VartistError(f"request {request_id} {status['state']}: {status.get('error')}")
            out.print(
                f"song {status['song_id']}: {server.rstrip('/')}/api/songs/{status['song_id']}/audio"
            )

    _guarded(run)


def _follow(client: ApiClient, request_id: str) -> dict[str, Any]:
    import time

    columns = (TextColumn("{task.description:<24}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("queued", total=1.0)
        while True:
            status = client.get(f"/api/requests/{request_id}")
            where = status["stage"] or status["state"]
            if status["state"] == "queued" and status.get("position") is not None:
                where = f"queued, {status['position']} ahead"
            bar.update(task, completed=float(status["progress"]), description=where)
            if status["state"] in ("done", "failed", "cancelled", "delivered"):
                return status
            time.sleep(0.5)


@library_app.command("list")
def library_list(database: DatabaseOption = None, data_dir: DataDirOption = None) -> None:
    """The songs in the library, newest first."""

    def run() -> None:
        library = _library(database, data_dir)
        for info in library.songs(limit=1000):
            out.print(
                f"{info.id}  {info.duration:5.0f} s  {info.genre:<9} {info.title} ({info.artist})",
                soft_wrap=True,
            )

    _guarded(run)


@library_app.command("show")
def library_show(
    song_id: Annotated[str, typer.Argument(help="A song id from `vartist library list`.")],
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """One song's details and files."""

    def run() -> None:
        from dataclasses import asdict

        info = _library(database, data_dir).song(song_id)
        for name, value in asdict(info).items():
            out.print(f"{name}: {value}", soft_wrap=True)

    _guarded(run)


@library_app.command("export")
def library_export(
    song_id: Annotated[str, typer.Argument(help="A song id from `vartist library list`.")],
    out_dir: Annotated[Path, typer.Argument(help="Folder that receives the song's files.")],
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Copy a song's files into a folder (the same rules as `vartist sing --out`)."""

    def run() -> None:
        path = _library(database, data_dir).export(song_id, out_dir)
        out.print(f"wrote {shown(path, 200)}", soft_wrap=True)

    _guarded(run)


@library_app.command("delete")
def library_delete(
    song_id: Annotated[str, typer.Argument(help="A song id from `vartist library list`.")],
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Delete a song and the files no other song shares."""

    def run() -> None:
        _library(database, data_dir).delete_song(song_id)
        out.print(f"deleted {shown(song_id)}", soft_wrap=True)

    _guarded(run)


@app.command()
def transcribe(
    vocal: Annotated[Path, typer.Argument(help="A sung recording, e.g. stems/vocals.wav.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="MIDI file to write.")],
) -> None:
    """Turn a sung recording into notes (F0 tracking and note segmentation) in a MIDI file."""

    def run() -> None:
        from vartist.composer.transcription import transcribe_file, write_notes_midi

        notes = transcribe_file(vocal)
        write_notes_midi(notes, out_file)
        out.print(f"wrote {shown(out_file, 200)}: {len(notes)} notes", soft_wrap=True)

    _guarded(run)


@app.command()
def duet(
    call: Annotated[
        Path | None, typer.Argument(help="A MIDI file of the phrase to answer.")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="MIDI file that receives the answer.")
    ] = None,
    answer: Annotated[
        str, typer.Option(help="How to answer: auto, sequence or inversion.")
    ] = "auto",
    midi_in: Annotated[
        str | None, typer.Option(help="Answer live: the MIDI input port to listen to.")
    ] = None,
    midi_out: Annotated[
        str | None, typer.Option(help="Live: the MIDI output port (default: a virtual port).")
    ] = None,
) -> None:
    """Answer a phrase with a related phrase in its key and metre (from a file, or live)."""

    def run() -> None:
        import threading

        from vartist.composer.duet import ANSWER_KINDS, LiveDuet, answer_file, open_ports

        if answer not in ANSWER_KINDS:
            raise _UsageError(f"--answer {answer!r} is not one of {', '.join(ANSWER_KINDS)}")
        kind: Any = answer
        if midi_in is None:
            if call is None or out_file is None:
                raise _UsageError("pass a MIDI file and --out ANSWER.mid, or --midi-in PORT")
            key, used = answer_file(call, out_file, kind)
            out.print(f"wrote {shown(out_file, 200)}: {used} in {key.name}", soft_wrap=True)
            return
        if call is not None:
            raise _UsageError("pass either a MIDI file or --midi-in, not both")
        inport, outport = open_ports(midi_in, midi_out)

        def report(key: Any, used: str, count: int) -> None:
            out.print(f"answered: {count} notes, {used} in {key.name}", soft_wrap=True)

        out.print(f"listening on {midi_in}; Ctrl-C stops", soft_wrap=True)
        stop = threading.Event()
        try:
            LiveDuet(inport, outport, kind=kind, on_answer=report).run(stop)
        except KeyboardInterrupt:
            stop.set()
        finally:
            inport.close()
            outport.close()

    _guarded(run)


class _UsageError(VartistError):
    """A command's options do not fit together."""


style_app = typer.Typer(no_args_is_help=True, help="Learn, list, show and delete styles.")
app.add_typer(style_app, name="style")


@style_app.command("learn")
def style_learn(
    corpus: Annotated[Path, typer.Argument(help="Folder of MIDI/MusicXML songs to learn from.")],
    name: Annotated[str, typer.Option("--name", help="Name to store the style under.")],
) -> None:
    """Learn a style (melody, rhythm, harmony) from a folder of songs; use it with
    --set style.model=NAME."""

    def run() -> None:
        from vartist.composer.learned import learn_style, save_style

        model = learn_style(corpus, name)
        path = save_style(model)
        out.print(f"learned {name!r} from {len(model['files'])} files: {shown(path, 200)}")

    _guarded(run)


@style_app.command("list")
def style_list() -> None:
    """The learned styles."""

    def run() -> None:
        from vartist.composer.learned import stored_styles

        for name in stored_styles():
            out.print(name, soft_wrap=True)

    _guarded(run)


@style_app.command("show")
def style_show(
    name: Annotated[str, typer.Argument(help="A style from `vartist style list`.")],
) -> None:
    """What a learned style holds: its files, keys, favourite degrees, lengths and chords."""

    def run() -> None:
        from vartist.composer.learned.summary import describe_style

        for line in describe_style(name):
            out.print(line, soft_wrap=True)

    _guarded(run)


@style_app.command("delete")
def style_delete(
    name: Annotated[str, typer.Argument(help="A style from `vartist style list`.")],
) -> None:
    """Delete a learned style."""

    def run() -> None:
        from vartist.composer.learned import delete_style

        delete_style(name)
        out.print(f"deleted style {shown(name)}", soft_wrap=True)

    _guarded(run)


@app.command()
def analyze(
    song_dir: Annotated[Path, typer.Argument(help="A song folder written by `vartist sing`.")],
    style: Annotated[
        str | None, typer.Option("--style", help="Also measure the distance to a learned style.")
    ] = None,
) -> None:
    """Print a song's musical measures: key, range, in-key share, stress alignment, repeats."""

    def run() -> None:
        from vartist.composer.analysis import analyse_song_folder, describe
        from vartist.composer.learned import StyleBlend

        blend = StyleBlend.load(style) if style else None
        for line in describe(analyse_song_folder(song_dir), blend):
            out.print(line, soft_wrap=True)

    _guarded(run)


@app.command()
def morph(
    first: Annotated[Path, typer.Argument(help="MIDI loop to start from.")],
    second: Annotated[Path, typer.Argument(help="MIDI loop to arrive at.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the loops.")],
    steps: Annotated[int, typer.Option("--steps", help="Loops to write, both ends included.")] = 8,
) -> None:
    """Write loops that move step by step from one melody to another."""

    def run() -> None:
        from vartist.composer.morph import morph_files

        written = morph_files(first, second, steps, out_dir)
        out.print(f"wrote {len(written)} loops into {shown(out_dir, 200)}", soft_wrap=True)

    _guarded(run)


def _parser_error(exc: typer.TyperException) -> NoReturn:
    """The parser's complaint as one line, with where to read more (typer draws a box)."""
    message = " ".join(str(exc.format_message()).split())
    context = getattr(exc, "ctx", None)
    if context is not None and type(exc).__name__ == "NoArgsIsHelpError":
        out.print(context.get_help(), soft_wrap=True)
        raise SystemExit(EXIT_USER_ERROR)
    where = f" (see `{context.command_path} --help`)" if context is not None else ""
    _fail(f"{message}{where}", getattr(exc, "exit_code", EXIT_USER_ERROR))


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _raise_terminated)
    command = typer.main.get_command(app)
    try:
        # standalone_mode=False hands the parser's errors to us instead of a boxed panel
        code = command.main(args=argv, prog_name="vartist", standalone_mode=False)
    except typer.TyperException as exc:
        _parser_error(exc)
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted", EXIT_INTERRUPTED, "stopped")
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
