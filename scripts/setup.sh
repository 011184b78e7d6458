#!/usr/bin/env bash
# Creates .venv and installs vartist. Safe to run again: it reinstalls only when pyproject.toml or
# the chosen extras changed since the last successful run.
#
#   scripts/setup.sh          what singing needs (the embedded engines: no torch, no weights)
#   scripts/setup.sh test     also the neural stack, the test runner and the linters
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-sing}"
case "$profile" in
    sing) spec="." ;;
    test) spec=".[test]" ;;
    *)
        echo "unknown setup profile '$profile'; use 'sing' (default) or 'test'" >&2
        exit 2
        ;;
esac

# The tests also need Debian packages: FFmpeg's libraries (torchcodec loads them at run time),
# the real Redis and PostgreSQL servers that the service tests start on loopback ports, and
# Chromium for the overlay's browser test.
if [ "$profile" = test ]; then
    missing=()
    ldconfig -p 2>/dev/null | grep -q 'libavutil\.so' || missing+=(ffmpeg)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
    [ -x /usr/bin/chromium ] || missing+=(chromium)  # the overlay's browser test (no download)
    ldconfig -p 2>/dev/null | grep -q 'libasound\.so\.2' || missing+=(libasound2)  # python-rtmidi
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing ${missing[*]} with apt-get" >&2
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            echo "the tests need these Debian packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run this again" >&2
            exit 1
        fi
    fi
fi

python=""
for candidate in python3.11 python3.12 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
        python="$candidate"
        break
    fi
done
if [ -z "$python" ]; then
    echo "vartist needs Python 3.10 or newer; install it and run this again" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $($python --version)" >&2
    "$python" -m venv .venv
fi

# The stamp holds the pyproject hash and every profile installed against it: the test profile
# includes everything the sing profile installs, so either satisfies a later 'sing'.
stamp=.venv/.vartist-installed
hash=$(sha256sum pyproject.toml | cut -d' ' -f1)
installed=""
if [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "$hash" ]; then
    installed=$(tail -n +2 "$stamp")
fi
satisfied=no
if grep -qx "$profile" <<<"$installed" || { [ "$profile" = sing ] && grep -qx test <<<"$installed"; }; then
    satisfied=yes
fi
if [ "$satisfied" = no ]; then
    echo "installing vartist ($profile) into .venv (the first time takes a few minutes)" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$spec"
    { echo "$hash"; [ -n "$installed" ] && echo "$installed"; echo "$profile"; } >"$stamp.new"
    mv "$stamp.new" "$stamp"
fi
