"""3D (VRM) avatars through the VMC protocol: OSC over UDP to a VMC receiver (VSeeFace,
VNyan, Warudo…), port 39539 by default.

Each frame is one OSC bundle: a ``/VMC/Ext/Blend/Val`` message per vowel blendshape of VRM (A,
I, U, E, O) and then ``/VMC/Ext/Blend/Apply``, which tells the receiver to show them together.
The vowel weights come from the mouth pose: how open it is, shared out between the vowels by
how spread or rounded the lips are.
"""

from __future__ import annotations

import logging
from typing import Any

from vartist.errors import MissingDependencyError
from vartist.persona import Persona
from vartist.runtime.lipsync import MouthPose
from vartist.runtime.performer import avatar_links
from vartist.timeline import Timeline

log = logging.getLogger("vartist.vmc")

DEFAULT_PORT = 39539
VRM_VOWELS = ("A", "I", "U", "E", "O")


def vowel_weights(pose: MouthPose) -> dict[str, float]:
    """VRM vowel blendshape weights (0-1) for a mouth pose.

    Spread lips lean to I and E, rounded ones to U and O, and A takes the open, relaxed middle;
    the weights add up to how open the mouth is.
    """
    spread = min(1.0, max(0.0, pose.spread))
    openness = min(1.0, max(0.0, pose.open))
    rounded = 1.0 - spread
    shares = {
        "A": max(0.0, 1.0 - 2.0 * abs(spread - 0.5)),
        "I": max(0.0, spread - 0.5) * 2.0 * (1.0 - openness),
        "E": max(0.0, spread - 0.5) * 2.0 * openness,
        "U": max(0.0, rounded - 0.5) * 2.0 * (1.0 - openness),
        "O": max(0.0, rounded - 0.5) * 2.0 * openness,
    }
    total = sum(shares.values()) or 1.0
    return {vowel: openness * share / total for vowel, share in shares.items()}


@avatar_links.register("vmc")
class VMCLink:
    """Sends the mouth to a VMC receiver as VRM vowel blendshapes, one bundle per frame."""

    name = "vmc"

    def __init__(self, persona: Persona) -> None:
        try:
            from pythonosc.udp_client import SimpleUDPClient
        except ImportError:
            raise MissingDependencyError("the VMC avatar", "pip install 'vartist[stage]'") from None
        self.host = persona.avatar.host
        self.port = persona.avatar.port or DEFAULT_PORT
        self._client: Any = SimpleUDPClient(self.host, self.port)

    async def connect(self) -> None:
        """UDP has no connection; nothing to wait for."""

    async def send_pose(self, pose: MouthPose, position: float) -> None:
        from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
        from pythonosc.osc_message_builder import OscMessageBuilder

        bundle = OscBundleBuilder(IMMEDIATELY)
        for vowel, weight in vowel_weights(pose).items():
            message = OscMessageBuilder("/VMC/Ext/Blend/Val")
            message.add_arg(vowel)
            message.add_arg(float(weight))
            bundle.add_content(message.build())
        bundle.add_content(OscMessageBuilder("/VMC/Ext/Blend/Apply").build())
        try:
            self._client.send(bundle.build())
        except OSError as exc:  # nobody listening yet (ICMP refused): the next frame tries again
            log.debug("VMC send failed: %s", exc)

    async def begin_song(self, title: str, requester: str, timeline: Timeline) -> None:
        """The mouth and the sections carry everything an avatar needs."""

    async def enter_section(self, kind: str, label: str) -> None:
        """VMC has no expressions of its own to trigger."""

    async def close(self) -> None:
        """Nothing to release."""
