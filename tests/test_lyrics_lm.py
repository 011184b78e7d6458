"""The ``transformers`` lyric engine, end to end through ``vartist sing`` with a tiny model.

The model is built here: a byte-level BPE tokenizer and a two-layer GPT-2 trained for a few
seconds on lines this file writes, each of 6 to 9 syllables (the lengths the builtin plan asks
for), many of them with "neon" in them, the word the persona then avoids. Nothing is downloaded.
The song is checked from what ``vartist sing`` wrote: the notes the composer sang per line, the
rhyme scheme against the builtin writer's song for the same seed, the words, and the seed.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.measure import cmudict_rhyme, cmudict_syllables
from tests.runner import ROOT, one_error_line, vartist
from vartist.lyrics import make_line, rhyme_key, split_words
from vartist.lyrics.lm_writer import LineRule, fitting_line, rule_for_line
from vartist.lyrics.screening import banned_words, blocklist
from vartist.lyrics.types import Section

AVOIDED = "neon"
PROMPT = "a rainy night in the city"
LM = ("--set", "lyrics.engine=transformers")
# more samples than the default 8: a model this small seldom lands on a line's exact length
CANDIDATES = ("--set", "lyrics.candidates=48")
AVOID = ("--set", f'lyrics.avoid=["{AVOIDED}"]')
# The CI machine has two cores shared by two test processes: one torch thread per process
# keeps them from spinning against each other (a tiny model is no faster on two anyway).
ONE_THREAD = {"OMP_NUM_THREADS": "1"}

TRAINING_LINES = [
    # six syllables, ending on rhymes the builtin plan uses often
    "the neon lights the night",
    "we run into the day",
    "hold on to what we know",
    "a song for you and me",
    "the river finds the sea",
    "we dance beneath the sky",
    "the neon hums so slow",
    "I hear it in the rain",
    "your voice is in my heart",
    "we wander through the town",
    # seven
    "we were dreaming in the rain",
    "neon signs are shining bright",
    "I will find my way to you",
    "I remember yesterday",
    "under neon skies we fall",
    "take my hand and do not go",
    "there is music in the night",
    "all the stars are falling down",
    "you and I will never part",
    "summer days are running free",
    # eight
    "all the roads will lead me to you",
    "a little light to guide the way",
    "the neon burns above the wall",
    "we painted colors on the train",
    "all the lonely people in town",
    "the neon river takes me high",
    "my heartbeat tells me I'm alive",
    "we keep on dancing in the light",
    "the city sleeps and so do I",
    "a neon dream is all I see",
    # nine
    "we are walking through the neon glow",
    "the morning comes to take us away",
    "we keep singing till the night is through",
    "I carry your heart inside of mine",
    "the train is gone and I wave goodbye",
    "hold me closer in the dark tonight",
    "we will sing until the morning light",
    "we were running under neon stars",
    "I will wait beside the open sea",
    "we will never let the fire go",
]
SECTION_KINDS = ("verse", "chorus", "verse", "bridge", "chorus")
TRAINING_STEPS = 300
CHUNK_TOKENS = 64


def _training_text(order: list[int]) -> str:
    """The lines in ``order``, four to a tagged section, the way a song's text looks."""
    blocks = []
    for start in range(0, len(order), 4):
        kind = SECTION_KINDS[start // 4 % len(SECTION_KINDS)]
        lines = [TRAINING_LINES[i] for i in order[start : start + 4]]
        blocks.append("\n".join([f"[{kind}]", *lines]))
    return "\n\n".join(blocks) + "\n"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a tiny GPT-2 and its tokenizer, as ``save_pretrained`` writes them."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    end = "<|endoftext|>"
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    # room for every word of the lines as one token: a model of whole words learns in seconds
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=[end],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator([_training_text(list(range(len(TRAINING_LINES))))], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=end, pad_token=end)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        config = GPT2Config(
            vocab_size=len(tokenizer),
            n_positions=256,
            n_embd=64,
            n_layer=2,
            n_head=2,
            bos_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        model = GPT2LMHeadModel(config)
        optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
        shuffle = torch.Generator().manual_seed(0)
        model.train()
        for _ in range(TRAINING_STEPS):
            order = torch.randperm(len(TRAINING_LINES), generator=shuffle).tolist()
            ids = tokenizer(_training_text(order), return_tensors="pt").input_ids
            chunks = ids[:, : ids.shape[1] // CHUNK_TOKENS * CHUNK_TOKENS].view(-1, CHUNK_TOKENS)
            loss = model(input_ids=chunks, labels=chunks).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    finally:
        torch.set_num_threads(threads)
    folder = tmp_path_factory.mktemp("tiny-lm")
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _sing(work: Path, out: str, seed: int, *options: str) -> dict[str, Any]:
    result = vartist(
        "sing", PROMPT, *options, "--seed", str(seed), "--out", out, cwd=work, env=ONE_THREAD
    )
    assert result.returncode == 0, result.stderr
    song: dict[str, Any] = json.loads((work / out / "song.json").read_text())
    song["lrc"] = (work / out / "song.lrc").read_text()
    return song


def _lines(song: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The lines of each sung section, as song.json's score holds them."""
    return [section["lines"] for section in song["score"]["lyrics"]["sections"]]


def _notes_per_line(song: dict[str, Any]) -> Counter[tuple[int, int]]:
    """How many notes start a syllable on each (section, line): melisma notes do not."""
    return Counter(
        (note["syllable"]["section"], note["syllable"]["line"])
        for note in song["score"]["vocal"]
        if not note["melisma"]
    )


def _rhyme_pattern(lines: list[dict[str, Any]], language: str) -> list[int]:
    """Each line's rhyme as the index of the first line of the section that ends on it."""
    keys = [rhyme_key(make_line(line["text"], language).words[-1], language) for line in lines]
    return [keys.index(key) for key in keys]


@pytest.mark.slow
def test_lm_lyrics_fit_the_plan_avoid_the_banned_words_and_repeat_by_seed(
    tmp_path: Path, tiny_model: Path
) -> None:
    model = ("--set", f"lyrics.model={tiny_model}")
    seed = 3
    planned = _sing(tmp_path, "builtin", seed, *AVOID)
    written = _sing(tmp_path, "lm", seed, *LM, *CANDIDATES, *model, *AVOID)
    again = _sing(tmp_path, "lm-again", seed, *LM, *CANDIDATES, *model, *AVOID)

    assert written["provenance"]["engines"]["lyrics"] == "transformers"
    assert again["lyrics"] == written["lyrics"]
    assert again["lrc"] == written["lrc"]

    language = written["score"]["lyrics"]["language"]
    sections, plan = _lines(written), _lines(planned)
    assert [len(s) for s in sections] == [len(s) for s in plan]
    from_the_model = [
        (s, i)
        for s, (lines, planned_lines) in enumerate(zip(sections, plan, strict=True))
        for i, (line, planned_line) in enumerate(zip(lines, planned_lines, strict=True))
        if line["text"] != planned_line["text"]
    ]
    assert from_the_model, "no line came from the model: the test would prove nothing"

    # every line sings as many syllables as the plan's line, as the composer's notes show
    notes, planned_notes = _notes_per_line(written), _notes_per_line(planned)
    for s, lines in enumerate(sections):
        for i, line in enumerate(lines):
            assert (
                notes[s, i]
                == planned_notes[s, i]
                == sum(len(w["syllables"]) for w in line["words"])
            )
    # and CMUdict, read without vartist's syllabifier, agrees for the model's lines
    for s, i in from_the_model:
        words = split_words(sections[s][i]["text"])
        assert sum(cmudict_syllables(w) or 0 for w in words) == notes[s, i], sections[s][i]["text"]

    # the rhyme scheme is the plan's, section by section
    for lines, planned_lines in zip(sections, plan, strict=True):
        assert _rhyme_pattern(lines, language) == _rhyme_pattern(planned_lines, language)
    # and a model's line that the scheme rhymes rhymes in CMUdict too
    for s, i in from_the_model:
        pattern = _rhyme_pattern(sections[s], language)
        partners = [j for j, first in enumerate(pattern) if first == pattern[i] and j != i]
        ends = [split_words(sections[s][j]["text"])[-1] for j in [i, *partners]]
        rhymes = {cmudict_rhyme(word) for word in ends}
        assert len(rhymes) == 1, ends

    # a chorus is sung the same each time
    choruses = [
        [line["text"] for line in lines]
        for lines, section in zip(sections, written["score"]["lyrics"]["sections"], strict=True)
        if section["kind"] == "chorus"
    ]
    assert len(choruses) > 1 and all(chorus == choruses[0] for chorus in choruses)

    sung = {word.lower() for word in split_words(written["lyrics"])}
    assert not sung & (blocklist(language) | {AVOIDED})
    lrc_lines = {line.split("]", 1)[1] for line in written["lrc"].splitlines() if "]" in line}
    for s, i in from_the_model:
        assert sections[s][i]["text"] in lrc_lines


@pytest.mark.slow
def test_the_tiny_model_really_offers_the_avoided_word(tiny_model: Path) -> None:
    """The screen has work to do: unscreened, the model sings "neon" often."""
    from vartist.lyrics.causal_lm import load_causal_lm, sample_lines

    lines = sample_lines(
        load_causal_lm(str(tiny_model), "cpu"),
        "[verse]\n",
        count=16,
        max_new_tokens=24,
        seed=0,
        temperature=1.0,
        top_p=1.0,
    )
    assert any(AVOIDED in line.text.split() for line in lines), [line.text for line in lines]


def test_a_missing_model_folder_is_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    result = vartist(
        "sing", PROMPT, *LM, "--set", f"lyrics.model={missing}", "--out", "out", cwd=tmp_path
    )
    line = one_error_line(result)
    assert "no such model folder" in line and "lyrics.model" in line, line
    assert not (tmp_path / "out").exists()


def test_no_model_named_says_which_field_to_set(tmp_path: Path) -> None:
    line = one_error_line(vartist("sing", PROMPT, *LM, "--out", "out", cwd=tmp_path))
    assert "lyrics.model is empty" in line, line


def test_without_the_neural_extra_the_error_says_what_to_install(tmp_path: Path) -> None:
    # a torch that cannot be imported stands in for an install without vartist[neural]
    blocker = tmp_path / "no-neural" / "torch"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError(\"No module named 'torch'\")\n")
    result = vartist(
        "sing",
        PROMPT,
        *LM,
        "--set",
        f"lyrics.model={tmp_path}",
        "--out",
        "out",
        cwd=tmp_path,
        env={"PYTHONPATH": f"{blocker.parent}:{ROOT}"},
    )
    line = one_error_line(result)
    assert "pip install 'vartist[neural]'" in line, line


def test_a_request_for_an_avoided_word_is_refused_before_the_model_loads(tmp_path: Path) -> None:
    result = vartist(
        "sing",
        f"{AVOIDED} lights at night",
        *LM,
        "--set",
        f"lyrics.model={tmp_path / 'never-loaded'}",
        *AVOID,
        "--out",
        "out",
        cwd=tmp_path,
    )
    line = one_error_line(result)
    assert f"does not sing about '{AVOIDED}'" in line, line


@pytest.mark.slow
@pytest.mark.parametrize("case", ["hub id offline", "folder without weights"])
def test_a_model_that_cannot_load_is_one_clear_error(
    case: str, tmp_path: Path, tiny_model: Path
) -> None:
    if case == "hub id offline":
        name, hint = "vartist-tests/absent-model", "huggingface-cli download"
    else:
        folder = tmp_path / "no-weights"
        folder.mkdir()
        for part in ("config.json", "tokenizer.json", "tokenizer_config.json"):
            (folder / part).write_bytes((tiny_model / part).read_bytes())
        name, hint = str(folder), "the weights"
    environment = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"), **ONE_THREAD}
    result = vartist(
        "sing",
        PROMPT,
        *LM,
        "--set",
        f"lyrics.model={name}",
        "--out",
        "out",
        cwd=tmp_path,
        env=environment,
    )
    line = one_error_line(result)
    assert "could not be loaded" in line and hint in line, line


# ------------------------------------------------------------------------------------------------
# The rules a model's line must meet, without a model

RULE = LineRule(
    syllables=7,
    rhyme=rhyme_key("night", "en-us"),
    taken_rhymes=frozenset({rhyme_key("night", "en-us"), rhyme_key("home", "en-us")}),
    taken_end_words=frozenset({"night"}),
)
BANNED = banned_words([AVOIDED], "en-us")


@pytest.mark.parametrize(
    ("candidate", "accepted"),
    [
        ("all the stars are shining bright", True),
        ('"All the stars are shining bright."', True),  # quotes and a full stop come off
        ("all the stars are shining", False),  # six syllables
        ("all the stars are shining down", False),  # does not rhyme
        ("all the stars are in the night", False),  # ends on its partner's word
        ("all the neon signs burn bright", False),  # the avoided word
        ("all the stars are shitting bright", False),  # the blocklist
        ("all the stars are glorbing bright", False),  # a word no dictionary knows
        ("all the 42 stars so bright", False),  # digits sing badly
        ("[chorus]", False),
        ("", False),
    ],
)
def test_a_candidate_line_must_fit_its_count_rhyme_and_screen(
    candidate: str, accepted: bool
) -> None:
    line = fitting_line(candidate, RULE, "en-us", BANNED, set())
    assert (line is not None) == accepted
    if line is not None:
        assert line.text == "All the stars are shining bright"


def test_an_unrhymed_line_must_not_fall_on_another_lines_rhyme() -> None:
    unrhymed = LineRule(7, None, RULE.taken_rhymes, RULE.taken_end_words)
    assert fitting_line("I will find my way back home", unrhymed, "en-us", BANNED, set()) is None
    assert fitting_line("there is music in the dark", unrhymed, "en-us", BANNED, set())
    already_sung = {"there is music in the dark"}
    assert not fitting_line("There is music in the dark", unrhymed, "en-us", BANNED, already_sung)


def test_a_line_keeps_its_planned_rhyme_after_its_partner_was_rewritten() -> None:
    planned = [make_line(t, "en-us") for t in ("the night", "alive", "the sight", "the drive")]
    plan = Section(
        "verse",
        tuple(dataclasses.replace(ln, rhyme=r) for ln, r in zip(planned, "ABAB", strict=True)),
    )
    # the model rewrote line 2 (still on "alive"); line 4 must still rhyme with it
    lines = [planned[0], make_line("I'm alive", "en-us"), planned[2], planned[3]]
    rule = rule_for_line(plan, lines, 3, "en-us")
    assert rule.rhyme == rhyme_key("drive", "en-us")
    assert rule_for_line(plan, lines, 1, "en-us").rhyme == rhyme_key("alive", "en-us")
