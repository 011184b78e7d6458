"""Hugging Face causal language models for lyric engines: found, loaded once, sampled by seed.

torch and transformers are imported only when a model is loaded, so the default install (no
``vartist[neural]``) can still import the lyrics package and list this engine.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vartist.errors import MissingDependencyError
from vartist.lyrics.errors import LyricsError

if TYPE_CHECKING:
    import torch

DEFAULT_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
"""Suggested in error messages: a small instruct model that writes plain English lines and
runs on a CPU (about 2 GB in float32)."""

MAX_PROMPT_TOKENS = 1024
"""The prompt keeps its last this-many tokens: a whole song so far fits, and a model with a
32k window is not made to attend over text that does not help the next line."""

# Hub ids are "owner/name" (huggingface_hub's repo-id rule: letters, digits, "-", "_", ".").
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Values huggingface_hub itself reads as "on" for HF_HUB_OFFLINE.
_TRUE_WORDS = frozenset({"1", "on", "yes", "true"})


class LyricModelError(LyricsError):
    """The lyric engine's language model cannot be found or loaded."""


class LyricModelDependencyError(LyricModelError, MissingDependencyError):
    """torch or transformers, which a language-model lyric engine needs, is not installed."""


@dataclass(frozen=True)
class CausalLM:
    """A loaded model with what sampling needs to know about its vocabulary."""

    name: str
    device: str
    model: Any
    """A ``transformers`` causal LM in eval mode on ``device``."""
    tokenizer: Any
    ends_line: torch.Tensor
    """Bool per token id: the token holds a newline, or ends the text (EOS)."""
    context_tokens: int
    """Most tokens the prompt plus the new line may span."""
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)
    """Held while sampling: seeding goes through torch's global generator."""


@dataclass(frozen=True)
class SampledLine:
    text: str
    """The first line of the continuation, newline excluded."""
    mean_logprob: float
    """Average log-probability per token under the model, a fluency score for ranking."""


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE_WORDS


def _source(name: str) -> tuple[str, bool]:
    """Where ``name`` loads from and whether only local files may be used.

    An existing folder is a local model; a name shaped like a path that does not exist is a
    mistake to report here, before transformers turns it into a hub look-up.
    """
    fix = (
        "point lyrics.model at a folder saved with save_pretrained (config.json, the weights "
        f"and the tokenizer) or at a hub id such as {DEFAULT_MODEL}"
    )
    if not name.strip():
        raise LyricModelError(
            f"lyrics.model is empty; the transformers lyric engine needs a model: {fix}"
        )
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path), True
    if path.exists():
        raise LyricModelError(f"lyrics.model = {name!r} is a file, not a model folder; {fix}")
    if path.is_absolute() or name.startswith((".", "~")) or not _HUB_ID.match(name):
        raise LyricModelError(f"lyrics.model = {name!r}: no such model folder; {fix}")
    return name, hub_offline()


def _require_neural() -> None:
    """Raise the install hint, not an ImportError, when ``vartist[neural]`` is missing."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise LyricModelDependencyError(
            "the transformers lyric engine", "pip install 'vartist[neural]'"
        ) from None


def resolve_device(device: str) -> str:
    """``"auto"`` is CUDA when torch sees a GPU, else the CPU; other names pass through."""
    _require_neural()
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise LyricModelError(
            f"device {device!r} was asked for, but torch sees no CUDA GPU; use device 'auto' or 'cpu'"
        )
    return device


_loaded: dict[tuple[str, str], CausalLM] = {}
_loading = threading.Lock()


def load_causal_lm(name: str, device: str = "auto") -> CausalLM:
    """The model ``name`` (a local folder or a hub id) on ``device``, loaded once per process.

    Honours ``HF_HUB_OFFLINE`` and the Hugging Face cache (``HF_HOME``). Raises
    :class:`LyricModelError` with the fix when the model cannot be had.
    """
    source, local_only = _source(name)
    resolved = resolve_device(device)
    with _loading:
        key = (name, resolved)
        if key not in _loaded:
            _loaded[key] = _load(name, source, local_only, resolved)
        return _loaded[key]


@contextmanager
def _quiet_progress(transformers: Any) -> Iterator[None]:
    """transformers draws a weight-loading bar on stderr, where the CLI keeps one line."""
    logging = transformers.utils.logging
    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()


def _load(name: str, source: str, local_only: bool, device: str) -> CausalLM:
    _require_neural()
    import torch
    import transformers

    # bf16 halves memory and runs on tensor cores; CPUs lack fast bf16 kernels for most ops
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        with _quiet_progress(transformers):
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                source, local_files_only=local_only
            )
            # Any: transformers' decorated methods confuse mypy about the model's own type
            model: Any = transformers.AutoModelForCausalLM.from_pretrained(
                source, local_files_only=local_only, dtype=dtype
            )
    except Exception as exc:  # transformers signals a bad model with OSError, ValueError, …
        raise LyricModelError(_load_failure(name, local_only, exc)) from None
    model.to(device)
    model.eval()
    return CausalLM(
        name=name,
        device=device,
        model=model,
        tokenizer=tokenizer,
        ends_line=_line_end_mask(tokenizer, model).to(device),
        context_tokens=_context_tokens(model.config),
    )


def _load_failure(name: str, local_only: bool, exc: Exception) -> str:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    if Path(name).expanduser().is_dir():
        fix = (
            "the folder needs config.json, the weights (model.safetensors) and the tokenizer "
            "files, as save_pretrained writes them"
        )
    elif local_only:
        fix = (
            f"HF_HUB_OFFLINE is set and the model is not in the cache: fetch it once with "
            f"`huggingface-cli download {name}` on a machine with network, then keep HF_HUB_OFFLINE=1"
        )
    else:
        fix = (
            f"check the hub id, or fetch it once with `huggingface-cli download {name}` "
            "and set HF_HUB_OFFLINE=1"
        )
    return (
        f"lyrics.model = {name!r} could not be loaded as a causal language model ({reason}); {fix}"
    )


def _line_end_mask(tokenizer: Any, model: Any) -> torch.Tensor:
    import torch

    size = max(len(tokenizer), model.get_output_embeddings().weight.shape[0])
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    mask = torch.zeros(size, dtype=torch.bool)
    mask[: len(texts)] = torch.tensor(["\n" in text for text in texts], dtype=torch.bool)
    eos = model.generation_config.eos_token_id
    if eos is None:
        eos = tokenizer.eos_token_id
    for token in [eos] if isinstance(eos, int) else eos or []:
        mask[token] = True
    return mask


def _context_tokens(config: Any) -> int:
    window = getattr(config, "max_position_embeddings", None) or MAX_PROMPT_TOKENS
    return min(int(window), MAX_PROMPT_TOKENS)


def sample_lines(
    lm: CausalLM,
    prompt: str,
    count: int,
    max_new_tokens: int,
    seed: int,
    temperature: float,
    top_p: float,
) -> list[SampledLine]:
    """``count`` continuations of ``prompt``, each cut at its first newline.

    The same seed gives the same lines on the same machine. A continuation that reaches
    ``max_new_tokens`` without ending its line is dropped: a cut-off sentence is not a line.
    """
    import torch

    tokenizer, model = lm.tokenizer, lm.model
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
    ids = ids[:, -max(1, lm.context_tokens - max_new_tokens) :].to(lm.device)
    line_ends = lm.ends_line.nonzero().flatten().tolist()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else line_ends[0]
    # generate() samples from torch's global generator: seed it inside a fork, which puts the
    # caller's state back afterwards, and hold the model's lock so that two renders sharing
    # the model cannot draw from each other's seeded stream
    devices = [torch.device(lm.device).index or 0] if lm.device.startswith("cuda") else []
    with lm.lock, torch.random.fork_rng(devices=devices), torch.inference_mode():
        torch.manual_seed(seed)
        output = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            do_sample=True,
            temperature=temperature,
            top_p=top_p,
            max_new_tokens=max_new_tokens,
            num_return_sequences=count,
            eos_token_id=line_ends,
            pad_token_id=pad,
            return_dict_in_generate=True,
            output_logits=True,
        )
    new_tokens = output.sequences[:, ids.shape[1] :]
    # the model's own log-probability of each token it sampled, before temperature and top-p
    logprobs = torch.stack(
        [
            torch.log_softmax(step.float(), dim=-1).gather(1, new_tokens[:, i : i + 1])[:, 0]
            for i, step in enumerate(output.logits)
        ],
        dim=1,
    )
    ends = set(line_ends)
    lines = []
    for row, tokens in enumerate(new_tokens.tolist()):
        end = next((i for i, token in enumerate(tokens) if token in ends), None)
        if end is None:
            continue
        text = tokenizer.decode(tokens[: end + 1], skip_special_tokens=True).split("\n", 1)[0]
        lines.append(SampledLine(text, float(logprobs[row, : end + 1].mean())))
    return lines
