"""SQLite with write transactions queued first come, first served (see ``base``)."""
