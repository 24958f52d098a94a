"""Joint command (路地联勤, 四联): shared incidents, joint rosters, handovers, joint patrols, problems."""
