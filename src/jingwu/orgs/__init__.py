"""Organizations, people, roles and memberships; log-in and API tokens; who may see what."""
