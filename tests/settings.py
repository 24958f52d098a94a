"""Settings for the test suite: the project's own, in development mode."""

import os

os.environ.setdefault("JINGWU_ENV", "dev")

from jingwu.settings import *  # noqa: E402,F403

# Parallel runs against one PostgreSQL server need distinct test databases.
if os.environ.get("JINGWU_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["JINGWU_TEST_DB_NAME"]}  # noqa: F405
