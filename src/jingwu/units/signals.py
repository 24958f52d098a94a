"""Signals other apps listen to (incidents detect arrival on scene from position reports).

Units sit below incidents in the app order, so a unit never calls incidents: it announces.
"""

from django.dispatch import Signal

#: Sent inside the position report's transaction with ``unit`` (the updated Unit), ``lat``,
#: ``lon``, ``fix_at``, ``user`` and ``now``.
position_reported = Signal()
