"""Settings for the test suite: the project's own, in development mode."""

import os

os.environ.setdefault("JINGWU_ENV", "dev")

from jingwu.settings import *  # noqa: E402,F403
