"""Avatar links: VTube Studio (Live2D) and the VMC protocol (3D/VRM). Each registers itself in
:data:`vartist.runtime.performer.avatar_links` when imported; the ``vartist.avatars``
entry points import them on demand."""
