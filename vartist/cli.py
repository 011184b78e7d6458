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
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from vartist.errors import EXIT_IO_ERROR, EXIT_USER_ERROR, VartistError, describe_os_error
from vartist.persona import Persona, default_persona, load_persona
from vartist.userfiles import read_user_text, shown

if TYPE_CHECKING:
    # the pipeline imports every stage; the CLI loads it only when a command needs it
    from vartist.request import SongRequest
    from vartist.runtime import Song

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="vartist: an open runtime for virtual singers.",
)
persona_app = typer.Typer(no_args_is_help=True, help="Check and explain persona files.")
app.add_typer(persona_app, name="persona")


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
) -> None:
    """Write, compose, sing, mix and master an original song."""

    def run() -> None:
        from vartist.request import SongRequest
        from vartist.runtime import SongFolder

        chosen_seed = seed if seed is not None else secrets.randbelow(2**31)
        the_persona = _persona(persona, set_ or [])
        lyrics_text = _read_lyrics(lyrics) if lyrics is not None else None
        request = SongRequest(prompt, seed=chosen_seed, lyrics_text=lyrics_text, genre=genre)
        # the folder is checked and reserved before the render, so a bad --out fails at once
        with SongFolder.prepare(out_dir, stems) as folder:
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


@contextmanager
def _stage_progress() -> Iterator[Callable[[str, str], None]]:
    """A progress row per stage on a terminal, added as each stage starts. On an error the rows
    are cleared, so the error line is not left under a stack of half-filled bars."""
    columns = (TextColumn("{task.description:<8}"), BarColumn(), TimeElapsedColumn())
    progress = Progress(*columns, console=err, transient=False, disable=not err.is_terminal)
    tasks: dict[str, TaskID] = {}

    def on_stage(stage: str, event: str) -> None:
        if event == "start":
            tasks[stage] = progress.add_task(stage, total=1)
        else:
            progress.update(tasks[stage], completed=1)

    progress.start()
    try:
        yield on_stage
    except BaseException:
        progress.live.transient = True
        raise
    finally:
        progress.stop()


def _render_with_progress(persona: Persona, request: SongRequest, keep_stems: bool) -> Song:
    from vartist.runtime import Pipeline

    with _stage_progress() as on_stage:
        return Pipeline(persona, on_stage, keep_stems).render(request)


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
