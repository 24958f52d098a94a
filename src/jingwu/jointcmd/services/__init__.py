"""Use cases of joint command, one module per part: access, sharing, rosters, patrols, handovers."""
