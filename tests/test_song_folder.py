"""The song folder: vartist replaces only what it wrote, and a crash never costs a file.

Every case runs the real command or a real, killed process; files are compared by content.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runner import NOVA, error_lines, is_root, one_error_line, vartist

SHORT_LYRICS = "[verse]\nthe rain is on the window\n[chorus]\nhold on to me tonight\n"
"""A song of two lines renders in about a second, which keeps these tests quick."""


@pytest.fixture
def lyrics(tmp_path: Path) -> Path:
    path = tmp_path / "short.txt"
    path.write_text(SHORT_LYRICS, encoding="utf-8")
    return path


def sing(work: Path, lyrics: Path, seed: int, out: str, *extra: str) -> None:
    result = vartist(
        "sing", "rain", "--lyrics", str(lyrics), "--seed", str(seed), "--out", out, *extra, cwd=work
    )
    assert result.returncode == 0, result.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) → its SHA-256."""
    return {
        str(path.relative_to(folder)): digest(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.slow
def test_a_second_song_keeps_the_users_cover_and_replaces_the_first(
    tmp_path: Path, lyrics: Path
) -> None:
    sing(tmp_path, lyrics, 1, "album")
    first = digest(tmp_path / "album/song.wav")
    (tmp_path / "album/cover.jpg").write_bytes(b"keep")
    sing(tmp_path, lyrics, 2, "album")
    assert (tmp_path / "album/cover.jpg").read_bytes() == b"keep"
    assert digest(tmp_path / "album/song.wav") != first
    document = json.loads((tmp_path / "album/song.json").read_text(encoding="utf-8"))
    assert document["provenance"]["request"]["seed"] == 2


def test_the_users_own_song_json_and_notes_are_never_touched(tmp_path: Path, lyrics: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "song.json").write_text('{"my": "notes"}', encoding="utf-8")
    (folder / "notes.txt").write_text("verse ideas", encoding="utf-8")
    before = listing(folder)
    result = vartist(
        "sing", "rain", "--lyrics", str(lyrics), "--seed", "1", "--out", "mine", cwd=tmp_path
    )
    line = one_error_line(result)
    assert "song.json" in line and "not written by vartist" in line
    assert listing(folder) == before
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_a_song_file_the_user_edited_is_not_replaced(tmp_path: Path, lyrics: Path) -> None:
    sing(tmp_path, lyrics, 1, "album")
    edited = tmp_path / "album/song.lrc"
    edited.write_text("[00:00.00] my own timing\n", encoding="utf-8")
    before = listing(tmp_path / "album")
    result = vartist(
        "sing", "rain", "--lyrics", str(lyrics), "--seed", "2", "--out", "album", cwd=tmp_path
    )
    assert "changed since" in one_error_line(result)
    assert listing(tmp_path / "album") == before


@pytest.mark.slow
def test_stems_of_an_earlier_song_go_but_the_users_files_among_them_stay(
    tmp_path: Path, lyrics: Path
) -> None:
    sing(tmp_path, lyrics, 1, "album", "--stems")
    stems = tmp_path / "album/stems"
    assert (stems / "vocals.wav").is_file()
    (stems / "my-remix.wav").write_bytes(b"mine")
    sing(tmp_path, lyrics, 2, "album")
    assert sorted(p.name for p in stems.iterdir()) == ["my-remix.wav"]
    sing(tmp_path, lyrics, 3, "again", "--stems")
    sing(tmp_path, lyrics, 4, "again")
    assert not (tmp_path / "again/stems").exists(), "an emptied stems/ that vartist made stays"


@pytest.mark.slow
def test_new_folders_follow_the_umask(tmp_path: Path, lyrics: Path) -> None:
    script = (
        "import os, sys; os.umask(0o002); from vartist.cli import main; sys.argv[0] = 'vartist'; "
        "main()"
    )
    args = ["sing", "rain", "--lyrics", str(lyrics), "--seed", "1", "--out", "deep/er"]
    result = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for folder in (tmp_path / "deep", tmp_path / "deep/er"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o775
    assert stat.S_IMODE((tmp_path / "deep/er/song.wav").stat().st_mode) == 0o664


@pytest.mark.slow
@pytest.mark.parametrize("place", ["dot", "empty folder", "sticky parent"])
def test_existing_places_take_a_song(place: str, tmp_path: Path, lyrics: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    out = {"dot": ".", "empty folder": "empty", "sticky parent": "shared/mine"}[place]
    if place == "empty folder":
        (work / "empty").mkdir()
    if place == "sticky parent":
        (work / "shared").mkdir()
        os.chmod(work / "shared", 0o1777)
    (work / "short.txt").write_text(SHORT_LYRICS, encoding="utf-8")
    sing(work, work / "short.txt", 1, out)
    assert (work / out / "song.wav").is_file()
    assert (work / "short.txt").read_text(encoding="utf-8") == SHORT_LYRICS


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A fresh tmpfs mount point of 12 MB (too small for a song), as a Docker volume is."""
    if not is_root():
        pytest.skip("mounting a tmpfs needs root; CI runs as root")
    mount = tmp_path / "volume"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


@pytest.mark.slow
def test_a_mount_point_takes_a_song(tmpfs: Path, lyrics: Path) -> None:
    sing(tmpfs, lyrics, 1, ".")
    assert (tmpfs / "song.wav").stat().st_size > 1_000_000


@pytest.mark.slow
def test_a_full_disk_says_disk_full_and_leaves_nothing(tmpfs: Path, lyrics: Path) -> None:
    (tmpfs / "ballast").write_bytes(b"\0" * 9_000_000)
    result = vartist(
        "sing", "rain", "--lyrics", str(lyrics), "--seed", "1", "--out", "song", cwd=tmpfs
    )
    line = one_error_line(result, status=74)
    assert "disk full" in line
    assert sorted(p.name for p in tmpfs.iterdir()) == ["ballast"]


def test_bad_out_places_fail_before_any_rendering(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    os.symlink("loop-b", tmp_path / "loop-a")
    os.symlink("loop-a", tmp_path / "loop-b")
    cases = {
        "afile": "is a file",
        "afile/inside": "is a file",
        "/": "root of the file system",
        "x" * 300: "name too long",
        "loop-a/song": "symbolic links",
    }
    for out, expected in cases.items():
        started = time.monotonic()
        result = vartist("sing", "rain", "--seed", "1", "--out", out, cwd=tmp_path)
        elapsed = time.monotonic() - started
        assert result.returncode in (2, 74), result.stderr
        assert expected in one_error_line(result, result.returncode)
        # a render takes seconds; failing before it takes the interpreter's start-up
        assert elapsed < 4.0, f"--out {out[:20]} took {elapsed:.1f} s to fail"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "loop-a", "loop-b"]


def test_a_read_only_place_fails_before_rendering(tmp_path: Path) -> None:
    if not is_root():
        pytest.skip("mounting a read-only tmpfs needs root; CI runs as root")
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(mount)], check=True)
    try:
        result = vartist("sing", "rain", "--seed", "1", "--out", "ro/song", cwd=tmp_path)
        assert "read-only" in one_error_line(result, status=74)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _wait_for_staging(folder: Path, process: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list(folder.glob(".vartist-staging-*")) if folder.is_dir() else []
        if found:
            return found[0]
        assert process.poll() is None, "vartist finished before it could be killed"
        time.sleep(0.02)
    raise AssertionError("vartist never reserved the folder")


def _start_song(work: Path, out: str) -> subprocess.Popen[bytes]:
    args = ["sing", "night", "--persona", str(NOVA), "--seed", "3", "--out", out]
    return subprocess.Popen(
        [sys.executable, "-m", "vartist", *args],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_sigterm_stops_with_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    process = _start_song(tmp_path, "song")
    _wait_for_staging(tmp_path / "song", process)
    time.sleep(0.3)  # into the render
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and "terminated" in lines[0], stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_killed_render_leaves_debris_that_the_next_run_clears(
    tmp_path: Path, lyrics: Path
) -> None:
    sing(tmp_path, lyrics, 1, "album")
    (tmp_path / "album/cover.jpg").write_bytes(b"keep")
    process = _start_song(tmp_path, "album")
    staging = _wait_for_staging(tmp_path / "album", process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert staging.is_dir()
    # a staging folder whose owner is alive, and a user's folder of a similar name, stay
    alive = tmp_path / "album/.vartist-staging-alive"
    alive.mkdir()
    lock = os.open(alive / "owner.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)
    users = tmp_path / "album/.vartist-staging-my-notes"
    users.mkdir()
    (users / "idea.txt").write_text("keep", encoding="utf-8")
    # vartist 0.1 left its staging beside the folder
    legacy = tmp_path / ".album.ab12cd34.partial"
    legacy.mkdir()
    (legacy / "song.wav").write_bytes(b"half")
    os.utime(legacy, (time.time() - 3600, time.time() - 3600))
    try:
        sing(tmp_path, lyrics, 2, "album")
        assert not staging.exists() and not legacy.exists()
        assert alive.is_dir() and (users / "idea.txt").read_text(encoding="utf-8") == "keep"
    finally:
        os.close(lock)
    assert (tmp_path / "album/cover.jpg").read_bytes() == b"keep"


_CRASHING_COMMITS = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from pathlib import Path
    from vartist.persona import default_persona
    from vartist.request import SongRequest
    from vartist.runtime import Pipeline, SongFolder, write_song

    work, attempts = Path(sys.argv[1]), int(sys.argv[2])
    lyrics = "[verse]\\nthe rain is on the window\\n[chorus]\\nhold on to me tonight\\n"
    pipeline = Pipeline(default_persona(), keep_stems=True)
    old, new = (
        pipeline.render(SongRequest("rain", seed=seed, lyrics_text=lyrics)) for seed in (1, 2)
    )
    write_song(old, work / "old", stems=True)
    (work / "old/cover.jpg").write_bytes(b"keep")
    for crash_after in range(attempts):
        folder = work / f"crash{crash_after}"
        shutil.copytree(work / "old", folder)
        child = os.fork()
        if child == 0:  # the writer, killed before its rename number crash_after
            real_replace, moves = os.replace, [0]

            def replace_then_die(source, target):
                if moves[0] == crash_after:
                    os.kill(os.getpid(), signal.SIGKILL)
                moves[0] += 1
                real_replace(source, target)

            os.replace = replace_then_die
            with SongFolder.prepare(folder, stems=True) as slot:
                slot.commit(new, stems=True)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        print(crash_after, "killed" if os.WIFSIGNALED(status) else "finished")
    """
)


def _manifest_files(folder: Path) -> dict[str, str]:
    document = json.loads((folder / ".vartist-manifest.json").read_text(encoding="utf-8"))
    return {name: entry["sha256"] for name, entry in document["files"].items()}


@pytest.mark.slow
def test_a_crash_at_any_step_of_the_swap_leaves_one_whole_song(tmp_path: Path) -> None:
    """Kill the writer (SIGKILL) before each rename of the swap; the next run into the folder
    must find one whole song (every file matching its manifest), the old or the new one, and
    the user's file untouched."""
    from vartist.runtime import SongFolder

    run = subprocess.run(
        [sys.executable, "-c", _CRASHING_COMMITS, str(tmp_path), "16"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    fates = dict(line.split() for line in run.stdout.splitlines())
    old_files = _manifest_files(tmp_path / "old")
    outcomes: dict[int, str] = {}
    for crash_after, fate in fates.items():
        folder = tmp_path / f"crash{crash_after}"
        SongFolder.prepare(folder).abandon()  # the next run: recovers, then gives up its slot
        now = _manifest_files(folder)
        on_disk = listing(folder)
        assert (folder / "cover.jpg").read_bytes() == b"keep"
        assert {k: v for k, v in on_disk.items() if k in now} == now, "a torn song"
        assert set(on_disk) == {*now, "cover.jpg", ".vartist-manifest.json"}
        if fate == "killed":
            outcomes[int(crash_after)] = "new" if now != old_files else "old"
    # killed before the journal landed: the old song; after it: the swap completes
    assert outcomes[0] == "old"
    assert set(outcomes.values()) - {outcomes[0]} == {"new"}
    assert len(outcomes) >= 8, "the swap should have been interrupted at several points"
    assert "finished" in fates.values()


def test_failed_render_leaves_no_folder_or_staging(tmp_path: Path) -> None:
    result = vartist(
        "sing", "rain", "--genre", "polka-trance", "--seed", "1", "--out", "a/b", cwd=tmp_path
    )
    assert "polka-trance" in one_error_line(result)
    assert list(tmp_path.iterdir()) == []
    assert error_lines(result)
