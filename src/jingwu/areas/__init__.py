"""The three tiers of jurisdiction as polygons: branch → station → workstation → police room → grid."""
