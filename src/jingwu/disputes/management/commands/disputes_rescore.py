"""``jingwu manage disputes_rescore``: rescore every open case (run daily: time in stage grows
without any write to the case)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jingwu.disputes.services import risk


class Command(BaseCommand):
    help = "Rescore the early-warning risk of every open dispute case."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--at", help="score as of this ISO 8601 time (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options.get("at"):
            parsed = parse_datetime(options["at"])
            if parsed is None:
                raise CommandError("--at must be an ISO 8601 date-time")
            now = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        with transaction.atomic():
            changed = risk.rescore_open_cases(now=now)
        self.stdout.write(f"rescored open dispute cases: {changed} changed")
