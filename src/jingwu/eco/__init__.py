"""Ecological policing (生态警务, 林长+警长): eco zones, fire risk, eco patrols and joint cases."""
