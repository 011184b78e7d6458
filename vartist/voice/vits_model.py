"""Coqui VITS models for the coqui singer: found, loaded once per process, and run with forced
token durations.

A model comes from a local checkpoint and its config.json, or from a Coqui model name
('tts_models/en/ljspeech/vits') through Coqui's ModelManager, which downloads it only when
``HF_HUB_OFFLINE`` is not set. The checkpoint is read with ``torch.load(weights_only=True)``.
Loaded models are kept in a module-level cache, so every song a process renders reuses one.

torch and coqui-tts come with the ``vartist[neural]`` extra; they are imported only when a model
is loaded, and their absence is one named error, not an ImportError.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from vartist.persona import VoiceConfig
from vartist.voice.errors import NeuralExtraMissingError, VoiceModelError
from vartist.voice.vits_tokens import TimedTokens, TokenVocabulary

if TYPE_CHECKING:
    import torch

COQUI_MODEL_NAME = re.compile(r"^tts_models/[^/\s]+/[^/\s]+/[^/\s]+$")
"""Coqui's model names: type/language/dataset/model."""
SUPPORTED_MODEL_TYPES = frozenset({"vits"})
"""Coqui model types whose inference takes forced token durations. XTTS v2 generates its
timing itself and reports none, so it cannot be sung in time."""
_TRUE = frozenset({"1", "true", "yes", "on"})
_INSTALL_NEURAL = "pip install 'vartist[neural]'"


def _neural_modules() -> tuple[Any, Any]:
    """torch and coqui-tts's Vits, or the named error that says how to install them."""
    try:
        import torch
        from TTS.tts.models.vits import Vits
    except ImportError as exc:
        raise NeuralExtraMissingError(
            f"the coqui singer needs torch and coqui-tts ({exc.name or 'a module'} is missing): "
            f"install them with `{_INSTALL_NEURAL}`"
        ) from None
    return torch, Vits


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


@dataclass(frozen=True)
class ModelFiles:
    checkpoint: Path
    config: Path
    licence: str = ""
    """The licence Coqui's model list gives a named model; empty for a local checkpoint."""


def _local_files(voice: VoiceConfig) -> ModelFiles:
    checkpoint = Path(voice.model).expanduser()
    if not checkpoint.is_file():
        raise VoiceModelError(
            f"voice.model = {voice.model!r}: no checkpoint file there; give the path of a VITS "
            "checkpoint (.pth), or a Coqui model name like 'tts_models/en/ljspeech/vits'"
        )
    config = (
        Path(voice.config).expanduser() if voice.config else checkpoint.with_name("config.json")
    )
    if not config.is_file():
        raise VoiceModelError(
            f"voice.config = {str(config)!r}: no config.json there; set voice.config to the "
            "config.json the checkpoint was trained with"
        )
    return ModelFiles(checkpoint.resolve(), config.resolve())


def _named_files(name: str) -> ModelFiles:
    _neural_modules()
    try:
        from TTS.utils.manage import ModelManager
    except ImportError:
        raise NeuralExtraMissingError(
            f"Coqui model names need coqui-tts: install it with `{_INSTALL_NEURAL}`"
        ) from None
    manager = ModelManager(progress_bar=False)
    cached = Path(manager.output_prefix) / name.replace("/", "--")
    if is_offline():
        if not cached.is_dir():
            raise VoiceModelError(
                f"voice.model = {name!r} is not downloaded and HF_HUB_OFFLINE is set; download "
                "it once online (unset HF_HUB_OFFLINE), or give a local checkpoint and config"
            )
        try:
            checkpoint, config = manager._find_files(cached)
        except ValueError:
            raise VoiceModelError(
                f"voice.model = {name!r}: the download in {cached} is incomplete; delete that "
                "folder and download it again online"
            ) from None
        return ModelFiles(Path(checkpoint), Path(config))
    try:
        checkpoint, config, item = manager.download_model(name)
    except KeyError:
        raise VoiceModelError(
            f"voice.model = {name!r} is not a Coqui model name; see `tts --list_models`"
        ) from None
    except Exception as exc:  # network and archive failures come in many types
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise VoiceModelError(
            f"voice.model = {name!r} could not be downloaded ({reason}); check the network, "
            "or give a local checkpoint and config"
        ) from None
    if config is None:
        raise VoiceModelError(f"voice.model = {name!r} comes without a config.json")
    return ModelFiles(Path(checkpoint), Path(config), str(item.get("license", "")))


def model_files(voice: VoiceConfig) -> ModelFiles:
    """The checkpoint and config the persona's ``voice.model`` and ``voice.config`` name."""
    if not voice.model.strip():
        raise VoiceModelError(
            "voice.model is empty: the coqui singer needs a VITS checkpoint (.pth, with "
            "voice.config) or a Coqui model name like 'tts_models/en/ljspeech/vits'"
        )
    if COQUI_MODEL_NAME.match(voice.model) and not Path(voice.model).expanduser().exists():
        return _named_files(voice.model)
    return _local_files(voice)


def pick_device(name: str) -> torch.device:
    """``auto`` is CUDA when present, else the CPU; anything else as torch spells it."""
    torch, _ = _neural_modules()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise VoiceModelError(
            f"voice.device = {name!r} is not a device; use 'auto', 'cpu', 'cuda' or 'cuda:1'"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise VoiceModelError(
            f"voice.device = {name!r} but CUDA is not available here; use 'auto' or 'cpu'"
        )
    return device


@dataclass
class LoadedVits:
    """A VITS model ready to say timed tokens, and what the singer needs to know about it."""

    model: Any
    device: torch.device
    vocabulary: TokenVocabulary
    sample_rate: int
    frames_per_second: float
    """Decoder frames per second of audio: the unit of a token's duration."""
    speakers: dict[str, int]
    uses_d_vectors: bool
    languages: dict[str, int]
    lock: threading.Lock

    def speaker_input(self, speaker: str) -> dict[str, Any]:
        """The model's speaker conditioning for the persona's ``voice.speaker``."""
        if not self.speakers:
            if speaker:
                raise VoiceModelError(
                    f"voice.speaker = {speaker!r} but this model has one speaker; "
                    "leave voice.speaker empty"
                )
            return {}
        if speaker not in self.speakers:
            names = sorted(self.speakers)
            shown = ", ".join(names[:12]) + (
                f" and {len(names) - 12} more" if len(names) > 12 else ""
            )
            raise VoiceModelError(
                f"voice.speaker = {speaker!r} is not a speaker of this model; choose one of {shown}"
            )
        torch, _ = _neural_modules()
        if self.uses_d_vectors:
            embedding = self.model.speaker_manager.get_mean_embedding(speaker)
            vector = torch.as_tensor(np.asarray(embedding), dtype=torch.float32)
            return {"d_vectors": vector.reshape(1, -1).to(self.device)}
        return {"speaker_ids": torch.tensor([self.speakers[speaker]], device=self.device)}

    def language_input(self, language: str) -> dict[str, Any]:
        """The model's language id for an espeak-ng language ('en-us' → 'en-us' or 'en')."""
        if not self.languages:
            return {}
        for name in (language, language.split("-")[0]):
            if name in self.languages:
                torch, _ = _neural_modules()
                return {"language_ids": torch.tensor([self.languages[name]], device=self.device)}
        raise VoiceModelError(
            f"this voice model does not speak {language!r}; it knows "
            f"{', '.join(sorted(self.languages))}: set the persona's language to one of them"
        )

    def say(
        self, tokens: TimedTokens, seed: int, conditioning: dict[str, Any]
    ) -> npt.NDArray[np.float64]:
        """The model's speech of ``tokens``, each held for its frames; VITS draws noise for
        its latent, so the draw is seeded (and kept apart from torch's global generator)."""
        torch, _ = _neural_modules()
        ids = torch.tensor([tokens.ids], dtype=torch.long, device=self.device)
        durations = torch.tensor([tokens.frames], dtype=torch.float32, device=self.device)
        aux = {
            "durations": durations,
            "x_lengths": torch.tensor([len(tokens.ids)], device=self.device),
        }
        cuda = [self.device] if self.device.type == "cuda" else []
        with self.lock, torch.random.fork_rng(devices=cuda), torch.inference_mode():
            torch.manual_seed(seed)
            outputs = self.model.inference(ids, aux_input={**aux, **conditioning})
        wave = outputs["model_outputs"][0, 0].float().cpu().numpy().astype(np.float64)
        return np.nan_to_num(wave)


_cache: dict[tuple[str, str, str], LoadedVits] = {}
_cache_lock = threading.Lock()


def load_vits(voice: VoiceConfig) -> LoadedVits:
    """The persona's VITS model, loaded on first use and shared by every later song."""
    files = model_files(voice)
    device = pick_device(voice.device)
    key = (str(files.checkpoint), str(files.config), str(device))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _load(files, device)
        return _cache[key]


def _read_config(path: Path) -> Any:
    from TTS.config import load_config

    try:
        config = load_config(str(path))
    except Exception as exc:  # coqpit raises many kinds on a bad file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise VoiceModelError(
            f"cannot read the model config {path} ({reason}); give a Coqui config.json"
        ) from None
    model_type = str(getattr(config, "model", "")).lower()
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise VoiceModelError(
            f"{path} is a {model_type or 'unknown'!r} model; the coqui singer sings VITS "
            "models only, which take forced durations (XTTS v2 exposes none)"
        )
    return config


def _buildable(config: Any) -> Any:
    """The config with Coqui's phonemizer switched off: vartist hands the model phonemes
    itself (:mod:`vartist.voice.vits_tokens`), and Coqui's phonemizer would need an espeak-ng
    program on the PATH. The symbol set stays the one the model was trained with."""
    build = copy.deepcopy(config)
    if build.use_phonemes and not (build.characters and build.characters.get("characters_class")):
        from TTS.tts.utils.text.characters import IPAPhonemes

        _, build = IPAPhonemes().init_from_config(build)
        build.characters.characters_class = "TTS.tts.utils.text.characters.IPAPhonemes"
    build.use_phonemes = False
    return build


def _load(files: ModelFiles, device: torch.device) -> LoadedVits:
    torch, Vits = _neural_modules()
    config = _read_config(files.config)
    try:
        model = Vits(_buildable(config))
    except (OSError, ValueError, KeyError, AssertionError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise VoiceModelError(
            f"cannot build the VITS model of {files.config} ({reason}); check the config and "
            "the files it names (speakers, languages)"
        ) from None
    try:
        state = torch.load(files.checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated file, a pickle with code in it, …
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise VoiceModelError(
            f"cannot load the checkpoint {files.checkpoint} with weights_only=True ({reason}); "
            "give a Coqui VITS checkpoint"
        ) from None
    weights = state.get("model", state) if isinstance(state, dict) else None
    if not isinstance(weights, dict):
        raise VoiceModelError(
            f"{files.checkpoint} holds no model weights; give a Coqui VITS checkpoint"
        )
    weights = {k: v for k, v in weights.items() if "speaker_encoder" not in k}
    result = model.load_state_dict(weights, strict=False)
    # the discriminator only trains; a checkpoint saved for inference may leave it out
    missing = [k for k in result.missing_keys if not k.startswith("disc.")]
    if missing:
        raise VoiceModelError(
            f"{files.checkpoint} does not fit {files.config}: it lacks {len(missing)} weights "
            f"({', '.join(missing[:3])}, …); give the config it was trained with"
        )
    model.disc = None
    model.eval().to(device)

    tokenizer = model.tokenizer
    characters = tokenizer.characters
    vocabulary = TokenVocabulary(
        ids=dict(characters._char_to_id),
        blank_id=tokenizer.blank_id if tokenizer.add_blank else None,
        bos_id=characters.bos_id if tokenizer.use_eos_bos else None,
        eos_id=characters.eos_id if tokenizer.use_eos_bos else None,
        reads_phonemes=bool(config.use_phonemes),
    )
    encoder_rate = model.args.encoder_sample_rate or config.audio.sample_rate
    manager = model.speaker_manager
    return LoadedVits(
        model=model,
        device=device,
        vocabulary=vocabulary,
        sample_rate=int(config.audio.sample_rate),
        frames_per_second=float(encoder_rate) / float(config.audio.hop_length),
        speakers=dict(manager.name_to_id) if manager is not None and model.num_speakers > 1 else {},
        uses_d_vectors=bool(model.args.use_d_vector_file),
        languages=(
            dict(model.language_manager.name_to_id)
            if model.args.use_language_embedding and model.language_manager
            else {}
        ),
        lock=threading.Lock(),
    )
