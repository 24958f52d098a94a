"""Pure computation for Jingwu: geometry, road graphs, dispatch, queueing, coverage.

Nothing here imports Django or any other ``jingwu`` package (import-linter enforces it):
values in, values out; ``now`` and random generators are arguments.
"""
