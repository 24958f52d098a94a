"""Jingwu (警务): operations platform for a district's smart police workstations."""

__version__ = "0.1.0"
