"""The pages: home, the jurisdiction map, and later the live console. Static assets vendored."""
