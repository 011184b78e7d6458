"""The ``vartist`` command.

Every command turns a :class:`~vartist.errors.VartistError` into one line on stderr and exit
status 2; nothing a user can type produces a traceback.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vartist.errors import VartistError
from vartist.persona import Persona, load_persona, persona_from_dict
from vartist.persona.loading import apply_overrides

if TYPE_CHECKING:
    # the pipeline imports every stage; the CLI loads it only when a command needs it
    from vartist.request import SongRequest
    from vartist.runtime import Song

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="vartist: an open runtime for virtual singers.",
)
persona_app = typer.Typer(no_args_is_help=True, help="Check and explain persona files.")
app.add_typer(persona_app, name="persona")

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

T = TypeVar("T")
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70


def _guarded(action: Callable[[], T]) -> T:
    """Run a command body; user errors become one line and a non-zero exit."""
    try:
        return action()
    except VartistError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except KeyboardInterrupt:
        err.print("interrupted; nothing was written")
        raise typer.Exit(130) from None
    except Exception as exc:
        if os.environ.get("VARTIST_DEBUG"):
            raise
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
            "(this is a bug in vartist; rerun with VARTIST_DEBUG=1 for the traceback)",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERNAL_ERROR) from None


def _persona(path: Path | None, overrides: list[str]) -> Persona:
    if path is None:
        return persona_from_dict(apply_overrides({"name": "Vartist"}, overrides), "default persona")
    return load_persona(path, overrides)


def _read_lyrics(path: Path) -> str:
    from vartist.lyrics.parse import MAX_BYTES

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise VartistError(f"{path}: no such lyrics file") from None
    except OSError as exc:
        raise VartistError(f"{path}: cannot read the lyrics file ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise VartistError(
            f"{path}: the lyrics file is {len(data)} bytes; a song takes at most "
            f"{MAX_BYTES} bytes of lyrics"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise VartistError(f"{path}: the lyrics file is not UTF-8 text; save it as UTF-8") from None


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

        chosen_seed = seed if seed is not None else secrets.randbelow(2**31)
        the_persona = _persona(persona, set_ or [])
        lyrics_text = _read_lyrics(lyrics) if lyrics is not None else None
        request = SongRequest(prompt, seed=chosen_seed, lyrics_text=lyrics_text, genre=genre)
        song = _render_with_progress(the_persona, request, keep_stems=stems)
        from vartist.runtime import SONG_FILES, write_song

        write_song(song, out_dir, stems=stems)
        out.print(
            f"[bold]{song.title}[/bold] by {the_persona.name}: {song.duration:.0f} s, "
            f"{song.score.genre}, {song.score.key.name}, {song.score.tempo:.0f} bpm, seed {chosen_seed}",
            soft_wrap=True,
        )
        written = [*SONG_FILES, "stems/"] if stems else list(SONG_FILES)
        out.print(f"wrote {out_dir}: {', '.join(written)}", soft_wrap=True)

    _guarded(run)


def _render_with_progress(persona: Persona, request: SongRequest, keep_stems: bool) -> Song:
    from vartist.runtime import STAGES, Pipeline

    columns = (TextColumn("{task.description:<8}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as progress:
        tasks: dict[str, TaskID] = {name: progress.add_task(name, total=1) for name in STAGES}

        def on_stage(stage: str, event: str) -> None:
            if event == "start":
                progress.start_task(tasks[stage])
            else:
                progress.update(tasks[stage], completed=1)

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
            out.print(line)
        out.print(f"[green]ok[/green]: {file} is a valid persona")

    _guarded(run)


@persona_app.command("fields")
def persona_fields() -> None:
    """List every persona field with its meaning (the names --set takes)."""
    from vartist.persona.describe import describe_fields

    for name, meaning in describe_fields():
        out.print(f"[bold]{name}[/bold]  {meaning}", soft_wrap=True)


@app.command()
def genres() -> None:
    """List the genres the composer writes in."""
    from vartist.composer import GENRES

    for name in GENRES:
        out.print(name)


def main() -> None:
    app(prog_name="vartist")


if __name__ == "__main__":
    main()
