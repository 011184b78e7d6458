"""What a careless or hostile user types: each gets one line that says what to fix.

Every case runs the real ``vartist`` command. None of these needs a render to fail, so none
renders (the cases that must succeed sing two short lines).
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.runner import NOVA, ROOT, error_lines, one_error_line, vartist

SHORT_LYRICS = "[verse]\nthe rain is on the window\n[chorus]\nhold on to me tonight\n"


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- user text is never read as Rich markup -------------------------------------------------


def test_an_unknown_lyric_tag_is_named_with_the_tags_to_use(tmp_path: Path) -> None:
    lyrics = write(tmp_path / "l.txt", "[hook]\nla la la\n")
    line = one_error_line(vartist("sing", "x", "--lyrics", str(lyrics), cwd=tmp_path))
    assert "[hook]" in line
    assert "[intro], [verse], [pre-chorus], [chorus], [bridge] or [outro]" in line


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("lyric line", "[/bold]"),
        ("persona field", "[/x]"),
    ],
)
def test_closing_tags_in_user_text_are_printed_as_text(
    case: str, expected: str, tmp_path: Path
) -> None:
    if case == "lyric line":
        lyrics = write(tmp_path / "l.txt", "[verse]\n[/bold] sing it slow\n")
        args = ["--lyrics", str(lyrics)]
    else:
        args = ["--persona", str(write(tmp_path / "p.toml", '"[/x]" = 1\nname = "a"\n'))]
    line = one_error_line(vartist("sing", "x", "--out", "o", *args, cwd=tmp_path))
    assert expected in line
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_markup_in_a_name_and_brackets_in_a_path_are_sung_and_printed_as_they_are(
    tmp_path: Path,
) -> None:
    persona = write(tmp_path / "[live] persona.toml", 'name = "[/red]Kai[bold]"\n')
    lyrics = write(tmp_path / "[draft].txt", SHORT_LYRICS)
    result = vartist(
        "sing", "[b]rain", "--persona", str(persona), "--lyrics", str(lyrics), "--seed", "1",
        "--out", "[out]", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "by [/red]Kai[bold]:" in result.stdout
    assert "[out]" in result.stdout
    assert (tmp_path / "[out]/song.wav").is_file()
    check = vartist("persona", "check", str(persona), cwd=tmp_path)
    assert check.returncode == 0 and "[live] persona.toml is a valid persona" in check.stdout


# --- reads are bounded ------------------------------------------------------------------------


@pytest.mark.slow  # a subprocess per case: the full suite runs it
def test_devices_and_huge_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(1 << 30)  # sparse: 1 GB to stat, nothing on disk
    cases = [
        (["--persona", "/dev/zero"], "character device"),
        (["--lyrics", "/dev/zero"], "character device"),
        (["--lyrics", str(huge)], "1073741824 bytes"),
        (["--persona", str(tmp_path)], "is a folder"),
    ]
    for args, expected in cases:
        started = time.monotonic()
        result = vartist("sing", "x", *args, cwd=tmp_path, timeout=60)
        assert expected in one_error_line(result)
        assert time.monotonic() - started < 5.0


@pytest.mark.slow  # a subprocess per case: the full suite runs it
def test_a_fifo_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "lyrics.fifo"
    os.mkfifo(fifo)
    for option in ("--lyrics", "--persona"):
        result = vartist("sing", "x", option, str(fifo), cwd=tmp_path, timeout=30)
        assert "FIFO" in one_error_line(result)


# --- problems of the machine are named, not called bugs ---------------------------------------


@pytest.mark.slow  # a subprocess per case: the full suite runs it
def test_closed_or_full_stdout_is_one_line_and_exit_74(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "vartist", "persona", "fields"]
    piped = subprocess.run(
        f"{' '.join(command)} | true", shell=True, capture_output=True, text=True, cwd=tmp_path
    )
    # the pipe may take the whole listing before `true` exits; then there is nothing to report
    if piped.returncode != 0:
        assert "standard output" in one_error_line(piped, status=74)
    with open("/dev/full", "w") as full:
        result = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 74
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "disk full" in lines[0], result.stderr


def test_a_reader_that_leaves_early_is_reported(tmp_path: Path) -> None:
    """A pipe whose reader has exited before vartist writes: always a broken pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    result = subprocess.run(
        [sys.executable, "-m", "vartist", "persona", "fields"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    os.close(write_end)
    assert result.returncode == 74
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "closed the pipe" in lines[0], result.stderr


def test_invalid_utf8_in_the_prompt_is_named(tmp_path: Path) -> None:
    result = vartist("sing", b"a \xff\xfe song", "--out", "o", cwd=tmp_path)
    assert "not valid UTF-8" in one_error_line(result)


@pytest.mark.slow  # a subprocess per case: the full suite runs it
def test_deeply_nested_toml_and_symlink_loops_are_named(tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in one_error_line(
        vartist("sing", "x", "--persona", str(deep), cwd=tmp_path)
    )
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    line = one_error_line(
        vartist("sing", "x", "--persona", str(tmp_path / "a/p.toml"), cwd=tmp_path), status=74
    )
    assert "symbolic links" in line and "bug" not in line


# --- messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sing", "x", "--seed", "abc"], "--seed"),
        (["sing", "x", "--no-such-flag"], "--no-such-flag"),
        (["sing"], "prompt"),
        (["persona", "check"], "file"),
    ],
)
def test_parser_errors_are_one_line(args: list[str], expected: str, tmp_path: Path) -> None:
    line = one_error_line(vartist(*args, cwd=tmp_path))
    assert expected in line and "--help" in line


def test_every_invalid_field_is_reported_at_once(tmp_path: Path) -> None:
    persona = write(
        tmp_path / "p.toml",
        'name = "a"\ncolour = "red"\n[voice]\nbreathiness = 3.0\n[mix]\nreverb = -1\n',
    )
    line = one_error_line(vartist("sing", "x", "--persona", str(persona), cwd=tmp_path))
    for field in ("colour", "voice.breathiness", "mix.reverb"):
        assert field in line


def test_set_mistakes_name_the_set_not_the_file(tmp_path: Path) -> None:
    result = vartist(
        "sing", "x", "--persona", str(NOVA), "--set", "voice.breathiness=2", cwd=tmp_path
    )
    line = one_error_line(result)
    assert "--set voice.breathiness=2" in line and "nova.toml" not in line


@pytest.mark.slow  # a subprocess per case: the full suite runs it
def test_a_huge_value_is_not_echoed_back_whole(tmp_path: Path) -> None:
    persona = write(tmp_path / "p.toml", f'name = "{"n" * 200_000}"\n')
    line = one_error_line(vartist("sing", "x", "--persona", str(persona), cwd=tmp_path))
    assert "name" in line and "characters)" in line and len(line) < 500
    # a command line takes at most 128 kB per argument
    line = one_error_line(vartist("sing", "x", "--set", f"name={'n' * 100_000}", cwd=tmp_path))
    assert "--set name=nnn" in line and len(line) < 500


@pytest.mark.slow  # a subprocess per case: the full suite runs it
def test_a_persona_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    persona = write(tmp_path / "bom.toml", b'\xef\xbb\xbfname = "Bom"\n')
    result = vartist("persona", "check", str(persona), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Bom" in result.stdout


def _run_on_a_terminal(args: list[str], cwd: Path, stop_at: bytes) -> tuple[int, str]:
    """Run vartist with stdout and stderr on a pseudo-terminal, send SIGTERM once ``stop_at``
    has appeared on the screen; return (status, everything the terminal received)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "vartist", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(follower)
    captured = b""
    signalled = False
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        captured += chunk
        if not signalled and stop_at in captured:
            process.send_signal(signal.SIGTERM)
            signalled = True
    os.close(leader)
    return process.wait(timeout=60), captured.decode("utf-8", "replace")


@pytest.mark.slow
def test_no_progress_rows_stay_above_an_error_on_a_terminal(tmp_path: Path) -> None:
    status, screen = _run_on_a_terminal(
        ["sing", "x", "--persona", str(NOVA), "--seed", "1", "--out", "o"], tmp_path, b"verse"
    )
    assert status == 143
    assert "\u2501" in screen, "no progress bar was drawn on the terminal"
    # what stays on screen: the text after the last "erase line" the progress display sent
    visible = re.split(r"\x1b\[2K", screen)[-1]
    visible = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", visible)
    lines = [line for line in visible.replace("\r", "\n").splitlines() if line.strip()]
    assert len(lines) == 1 and "terminated" in lines[0], repr(screen[-2000:])


# --- lax values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "persona_text", "expected"),
    [
        ([], 'name = "a"\n[voice]\nbreathiness = true\n', "voice.breathiness"),
        (["--set", "voice.vibrato.rate_hz=true"], None, "voice.vibrato.rate_hz"),
        (["--set", 'name="\\u0000"'], None, "U+0000"),
        (["--set", 'name="Nova\\u0007Lane"'], None, "U+0007"),
        (["--set", 'name="\\u200b\\u200b"'], None, "invisible"),
    ],
)
def test_lax_values_are_refused(
    args: list[str], persona_text: str | None, expected: str, tmp_path: Path
) -> None:
    if persona_text is not None:
        args = [*args, "--persona", str(write(tmp_path / "p.toml", persona_text))]
    line = one_error_line(vartist("sing", "x", *args, cwd=tmp_path))
    assert expected in line


def test_a_prompt_of_zero_width_characters_is_empty(tmp_path: Path) -> None:
    line = one_error_line(vartist("sing", "\u200b\u200c\u2060", cwd=tmp_path))
    assert "empty" in line


# --- plug-ins ---------------------------------------------------------------------------------


@pytest.mark.slow  # a subprocess per case: the full suite runs it
def test_a_plugin_that_fails_to_import_is_one_line_naming_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist = site / "vartist_broken_singer-1.0.dist-info"
    dist.mkdir(parents=True)
    write(dist / "METADATA", "Metadata-Version: 2.1\nName: vartist-broken-singer\nVersion: 1.0\n")
    write(dist / "entry_points.txt", "[vartist.singers]\nbroken = broken_singer:Singer\n")
    write(site / "broken_singer.py", "import a_module_nobody_installed\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    result = vartist("sing", "x", "--set", "voice.engine=broken", cwd=tmp_path, env=env)
    line = one_error_line(result)
    assert "'broken'" in line and "vartist-broken-singer" in line
    assert "a_module_nobody_installed" in line and "internal error" not in line
    assert error_lines(result)
