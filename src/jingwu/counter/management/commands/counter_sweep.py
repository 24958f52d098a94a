"""``jingwu manage counter_sweep``: mark past bookings never checked in as no-shows.

Run it once a night (cron or a systemd timer). Booking does not depend on it: the no-show
rule also counts past bookings that were never checked in.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from jingwu.counter.services.booking import mark_no_shows


class Command(BaseCommand):
    help = "Mark bookings not checked in within the grace time after their slot as no-shows."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            n = mark_no_shows(now=timezone.now())
        self.stdout.write(f"{n} no-shows marked")
