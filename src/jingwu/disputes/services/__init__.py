"""Use cases for disputes, one module per area: access (who sees what), leads, cases,
workflow (stages, people, timeline), agreements, meetings, risk, duplicates, figures, home."""
