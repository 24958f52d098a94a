"""``jingwu manage disputes_verify_agreements``: check every stored mediation agreement against
its SHA-256 and the hash-chained audit log; exit 1 naming the first one that changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingwu.disputes.services import agreements


class Command(BaseCommand):
    help = "Verify the stored mediation agreements (.docx and .pdf) against their hashes."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = agreements.verify_all()
        if broken:
            raise CommandError(
                "agreements changed since they were generated: "
                + ", ".join(f"case {c} v{v} ({why})" for c, v, why in broken)
            )
        self.stdout.write(f"mediation agreements intact: {checked}")
