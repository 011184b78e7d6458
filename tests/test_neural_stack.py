"""The neural extra installs a stack that loads: torch and torchaudio as the exact pair that
links, coqui-tts (which imports torchaudio), torchcodec (which needs FFmpeg's libraries)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

_PROBE = """
import math
import torch, torchaudio, torchcodec
from TTS.api import TTS
from transformers import AutoConfig
rate = 16_000
t = torch.arange(rate) / rate
tone = torch.sin(2 * math.pi * 440.0 * t).unsqueeze(0)
resampled = torchaudio.functional.resample(tone, rate, 48_000)
spectrum = torch.fft.rfft(resampled[0]).abs()
print(torch.__version__.split("+")[0], torchaudio.__version__.split("+")[0])
print(float(spectrum.argmax()) * 48_000 / resampled.shape[1])
"""


def test_torch_torchaudio_coqui_and_torchcodec_import_together() -> None:
    # a fresh interpreter: an import that fails to link must fail here, not be cached away
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    versions, peak_hz = result.stdout.split("\n")[:2]
    assert versions.split() == ["2.11.0", "2.11.0"]
    # torchaudio's kernel ran: a 440 Hz tone resampled to 48 kHz still peaks at 440 Hz
    assert math.isclose(float(peak_hz), 440.0, abs_tol=1.0)
