"""The persona schema: one typed, documented model per section of the persona file."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from vartist.pitch import Key, note_to_midi


def _plain_line(text: str) -> str:
    """Refuse control characters and text made only of invisible characters.

    A name of one NUL, a tab inside a genre or a zero-width-space theme would pass as "some
    text" and then break a file name, a tag or a chat message far from the persona file.
    """
    for char in text:
        if unicodedata.category(char) == "Cc":
            raise ValueError(
                f"it holds the control character U+{ord(char):04X}; use plain text on one line"
            )
    if text and not any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text):
        raise ValueError("it holds only blank or invisible characters; write some text")
    return text


Text = Annotated[str, AfterValidator(_plain_line)]
"""A one-line string with something visible in it (or empty)."""
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
Number = Annotated[float, Strict()]
"""A float that must be written as a number: `true` or "0.5" are refused, not coerced."""


class _Section(BaseModel):
    # unknown fields are errors: a typo in a persona must not be silently ignored
    model_config = ConfigDict(extra="forbid", frozen=True)


class Style(_Section):
    genres: list[Text] = Field(
        default_factory=lambda: ["pop"],
        min_length=1,
        description="Genres the artist writes in; the first is the default. "
        "Each names a style model of the composer (see `vartist genres`).",
    )
    tempo: tuple[Number, Number] = Field(
        (90.0, 120.0), description="Range of tempi in beats per minute, low then high (40-240)."
    )
    keys: list[Text] = Field(
        default_factory=lambda: ["C major", "A minor"],
        min_length=1,
        description="Keys the artist likes, such as 'A minor' or 'Eb major'.",
    )
    model: Text = Field(
        "",
        description="A learned style to compose in (see `vartist style list`), or a blend "
        "with weights like 'folk:0.7,jazz:0.3'; empty for the genre's own style.",
    )

    @field_validator("tempo")
    @classmethod
    def _tempo_in_range(cls, tempo: tuple[float, float]) -> tuple[float, float]:
        low, high = tempo
        if not (40 <= low <= 240 and 40 <= high <= 240):
            raise ValueError("tempo must lie between 40 and 240 bpm")
        if low > high:
            raise ValueError("tempo is inverted: write the low bpm first, like [90, 120]")
        return tempo

    @field_validator("keys")
    @classmethod
    def _keys_parse(cls, keys: list[str]) -> list[str]:
        for key in keys:
            Key.parse(key)
        return keys

    @field_validator("genres")
    @classmethod
    def _genres_lowercase(cls, genres: list[str]) -> list[str]:
        return [g.strip().lower() for g in genres]


class LyricsConfig(_Section):
    engine: Text = Field("builtin", description="Lyric engine: 'builtin' (offline) or a plug-in.")
    model: Text = Field("", description="Model for LM engines: a local path or a hub id.")
    candidates: Annotated[int, Strict()] = Field(
        8,
        ge=1,
        le=64,
        description="Lines an LM engine samples for each line of the song; more keep more of "
        "the model's lines (the rest are the builtin writer's) at more time per song.",
    )
    themes: list[Text] = Field(
        default_factory=list, description="Subjects the artist returns to; they steer the lyrics."
    )
    avoid: list[Text] = Field(
        default_factory=list, description="Words the lyrics must never contain."
    )


class Vibrato(_Section):
    rate_hz: Number = Field(5.5, ge=0.0, le=9.0, description="Vibrato speed in Hz.")
    depth_cents: Number = Field(30.0, ge=0.0, le=150.0, description="Vibrato depth, ± cents.")
    onset_s: Number = Field(
        0.25, ge=0.0, le=2.0, description="How long a held note waits before vibrato starts."
    )


class VoiceConfig(_Section):
    engine: Text = Field(
        "builtin", description="Singer: 'builtin' (embedded, no weights) or a plug-in."
    )
    model: Text = Field(
        "",
        description="Model for neural singers: a local checkpoint path or a model name; for "
        "'coqui', a VITS checkpoint (.pth) or a Coqui name like 'tts_models/en/ljspeech/vits'.",
    )
    config: Text = Field(
        "",
        description="The model's config.json, for a local checkpoint (a Coqui model name "
        "brings its own).",
    )
    speaker: Text = Field(
        "",
        description="Who speaks the words the singer shapes. For 'builtin', an espeak-ng voice "
        "variant such as 'f1' (a woman's vocal tract) or 'm3'; empty for the language's own "
        "speaker. For a neural singer, a speaker of a multi-speaker model, by the name the "
        "model gives it.",
    )
    device: Text = Field(
        "auto", description="Where a neural singer runs: 'auto' (CUDA when present), 'cpu', 'cuda'."
    )
    licence: Text = Field(
        "",
        description="Licence of the voice model, as its publisher states it, like 'CC-BY-4.0' "
        "or 'CC-BY-NC-4.0'; recorded in song.json and the WAV tags. A non-commercial licence "
        "stops commercial publishing.",
    )
    consent: Text = Field(
        "",
        description="Consent of the person whose voice the model learnt: who agreed, to what, "
        "and where it is recorded (like 'Jane Doe, signed release for commercial songs, "
        "2025-03-01'). Needed, with the licence, to publish a neural voice commercially.",
    )
    range: tuple[Text, Text] = Field(
        ("A3", "E5"), description="Lowest and highest note the artist sings, like ['A3', 'E5']."
    )
    vibrato: Vibrato = Field(default_factory=Vibrato)
    formant_shift: Number = Field(
        1.0, ge=0.7, le=1.4, description="Scales the vocal tract: above 1 is smaller and brighter."
    )
    breathiness: Number = Field(0.15, ge=0.0, le=1.0, description="Air in the tone, 0 to 1.")
    style: Literal["clean", "breathy", "belt"] = Field(
        "clean",
        description="The singing character. 'clean': an even, pure tone that swells gently on "
        "held notes. 'breathy': soft and airy, a darker tone, more air, shallower vibrato and "
        "small dynamics. 'belt': a bright, pressed chest voice that opens and brightens as a "
        "held note grows louder, with wider vibrato and a bigger lift into the chorus. Sets "
        "how the builtin singer shapes tone and dynamics; breathiness and vibrato still apply "
        "on top.",
    )

    @field_validator("range")
    @classmethod
    def _range_ordered(cls, vocal_range: tuple[str, str]) -> tuple[str, str]:
        low, high = (note_to_midi(n) for n in vocal_range)
        if low >= high:
            raise ValueError("range is inverted: write the low note first, like ['A3', 'E5']")
        if high - low < 12:
            raise ValueError(
                "range must span at least an octave for the composer to write melodies"
            )
        if not (low >= 28 and high <= 96):
            raise ValueError("range must lie between E1 and C7")
        return vocal_range

    @property
    def midi_range(self) -> tuple[int, int]:
        return note_to_midi(self.range[0]), note_to_midi(self.range[1])


class MixConfig(_Section):
    loudness_lufs: Number = Field(
        -14.0, ge=-30.0, le=-6.0, description="Integrated loudness of the master, LUFS."
    )
    true_peak_dbtp: Number = Field(
        -1.0, ge=-6.0, le=-0.1, description="Ceiling for the master's true peak, dBTP."
    )
    reverb: Number = Field(
        0.25, ge=0.0, le=1.0, description="How much room around the vocal, 0 to 1."
    )


class PartSound(_Section):
    """How one part of the arrangement sounds; ``[arrangement.keys]`` sets the part ``keys``."""

    timbre: Text = Field(
        "",
        description="Blend two built-in instruments, weights adding up to 1: "
        "'piano:0.3,pad:0.7'. Empty keeps the genre's instrument.",
    )

    @field_validator("timbre")
    @classmethod
    def _timbre_is_a_blend(cls, timbre: str) -> str:
        terms = [t.partition(":") for t in timbre.split(",")] if timbre else []
        weights = [w.strip() for _, _, w in terms]
        if timbre and not (
            len(terms) == 2
            and all(name.strip() and sep for name, sep, _ in terms)
            and all(re.fullmatch(r"[0-9]*\.?[0-9]+", w) for w in weights)
            and abs(sum(float(w) for w in weights) - 1.0) <= 0.01
        ):
            raise ValueError(
                "write two instruments and their weights adding up to 1, like 'piano:0.3,pad:0.7'"
            )
        return timbre


class AvatarConfig(_Section):
    kind: Text = Field(
        "none",
        description="The avatar `vartist perform` drives: 'none', 'vtube_studio' (Live2D, "
        "through VTube Studio's API) or 'vmc' (3D/VRM, the VMC protocol over OSC).",
    )
    host: Text = Field("127.0.0.1", description="Host of VTube Studio or of the VMC receiver.")
    port: Annotated[int, Strict()] | None = Field(
        None, ge=1, le=65535, description="Port; default 8001 for VTube Studio, 39539 for VMC."
    )
    mouth_open_parameter: Text = Field(
        "MouthOpen", description="VTube Studio input parameter for how open the mouth is."
    )
    mouth_smile_parameter: Text = Field(
        "MouthSmile", description="VTube Studio input parameter for spread (1) or round (0) lips."
    )
    expressions: dict[str, Text] = Field(
        default_factory=dict,
        description="Section kind → VTube Studio expression file, like "
        "{ chorus = 'sparkle.exp3.json' }; active while that section plays.",
    )
    hotkeys: dict[str, Text] = Field(
        default_factory=dict,
        description="Section kind → VTube Studio hotkey name, triggered as the section starts.",
    )


class DiscordConfig(_Section):
    """How `vartist discord` takes requests from fans."""

    requests_per_window: Annotated[int, Strict()] = Field(
        5,
        ge=1,
        le=1000,
        description="Song requests one Discord user may make per rate window; more are "
        "refused with the time to wait.",
    )
    window_seconds: Number = Field(
        3600.0, gt=0.0, le=86400.0, description="Length of the per-user rate window, seconds."
    )
    cooldown_seconds: Number = Field(
        30.0, ge=0.0, le=86400.0, description="Seconds a user waits between two requests."
    )
    approval: bool = Field(
        False,
        description="Hold every request until a moderator approves it with a button.",
    )
    moderator_role: Text = Field(
        "",
        description="Id or name of the Discord role whose members approve requests and "
        "cancel anyone's; members who may manage the server always may.",
    )
    open_requests: Annotated[int, Strict()] = Field(
        3, ge=1, le=100, description="Songs one user may have on the way at once."
    )


class TwitchConfig(_Section):
    """How `vartist twitch` takes `!sing` requests from a stream's chat."""

    channel_id: Text = Field(
        "",
        description="Twitch user id (digits) of the broadcaster whose chat the bot reads; "
        "`vartist twitch` needs it.",
    )
    requests_per_window: Annotated[int, Strict()] = Field(
        3,
        ge=1,
        le=1000,
        description="`!sing` requests one chatter may make per rate window; more are refused.",
    )
    window_seconds: Number = Field(
        600.0, gt=0.0, le=86400.0, description="Length of the per-chatter rate window, seconds."
    )
    cooldown_seconds: Number = Field(
        30.0, ge=0.0, le=86400.0, description="Seconds a chatter waits between two requests."
    )
    stage_panel: Text = Field(
        "http://127.0.0.1:8767",
        description="The stage panel of `vartist perform --queue --panel-port 8767`: the bot "
        "reads there which song plays and presses its skip button for a moderator's `!skip`.",
    )


def _cron_expression(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"cron {expression!r} has {len(fields)} fields; write five: minute hour day month "
            "weekday, like '0 18 * * fri'"
        )
    try:
        from apscheduler.triggers.cron import CronTrigger
    except ImportError:  # the fans extra checks it fully; the persona stays loadable without
        return expression
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"cron {expression!r} is not valid: {exc}") from None
    return expression


class Release(_Section):
    """A song the artist releases on a schedule: `[[releases]]` in the persona."""

    name: Text = Field(
        min_length=1,
        max_length=80,
        description="Unique name of the release, for `vartist releases run-now NAME`.",
    )
    cron: Annotated[Text, AfterValidator(_cron_expression)] = Field(
        description="When, as five cron fields in UTC: minute hour day month weekday, like "
        "'0 18 * * fri' (Fridays at 18:00)."
    )
    prompt: Text = Field("", description="What the song is about; or give a theme.")
    theme: Text = Field(
        "", description="A subject for the song when there is no prompt, like 'neon rain'."
    )
    channels: list[Text] = Field(
        default_factory=list,
        description="Where the release goes besides the releases folder: 'discord:CHANNEL_ID' "
        "for the Discord bot to post it.",
    )

    @field_validator("channels")
    @classmethod
    def _channels_known(cls, channels: list[str]) -> list[str]:
        for channel in channels:
            kind, _, target = channel.partition(":")
            if kind != "discord" or not target.isdigit():
                raise ValueError(
                    f"channel {channel!r} is not one vartist releases to; write "
                    "'discord:CHANNEL_ID' with the channel's numeric id"
                )
        return channels

    @model_validator(mode="after")
    def _prompt_or_theme(self) -> Release:
        if not self.prompt.strip() and not self.theme.strip():
            raise ValueError(f"release {self.name!r} needs a prompt or a theme")
        return self

    @property
    def song_prompt(self) -> str:
        """The prompt the release is rendered from: its prompt, else a song about its theme."""
        return self.prompt or f"a song about {self.theme}"


class Persona(_Section):
    name: Text = Field(min_length=1, max_length=80, description="The artist's name.")
    language: Text = Field(
        "en-us",
        min_length=2,
        description="espeak-ng language of the lyrics: 'en-us', 'nl', 'sv', …",
    )
    bio: Text = Field("", description="A line about the artist, for release notes.")
    palette: list[Text] = Field(
        default_factory=lambda: ["#1b1b3a", "#693668", "#a74482", "#f84aa7", "#ff3562"],
        min_length=2,
        max_length=8,
        description="The artist's colours as '#rrggbb', darkest first: cover art and the "
        "stage overlay are drawn from them.",
    )
    style: Style = Field(default_factory=Style)
    lyrics: LyricsConfig = Field(default_factory=LyricsConfig)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)
    mix: MixConfig = Field(default_factory=MixConfig)
    arrangement: dict[str, PartSound] = Field(
        default_factory=dict,
        description="How each part sounds, by part name (keys, pad, bass, …): "
        "arrangement.keys.timbre = 'piano:0.3,pad:0.7' blends two built-in instruments.",
    )
    avatar: AvatarConfig = Field(default_factory=AvatarConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    twitch: TwitchConfig = Field(default_factory=TwitchConfig)
    releases: list[Release] = Field(
        default_factory=list, description="Songs released on a schedule."
    )

    @field_validator("palette")
    @classmethod
    def _palette_is_hex(cls, palette: list[str]) -> list[str]:
        for colour in palette:
            if not _HEX_COLOUR.fullmatch(colour):
                raise ValueError(
                    f"{colour!r} is not a colour; write it as '#rrggbb', like '#a74482'"
                )
        return palette

    @field_validator("name")
    @classmethod
    def _name_is_not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("name must not be blank")
        return name
