"""The Jin'an demo district and its loader."""
