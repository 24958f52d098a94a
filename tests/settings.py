"""Settings for the test suite: the project's own, in development mode."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("JINGWU_ENV", "dev")

from jingwu.settings import *  # noqa: E402,F403

# Parallel runs against one PostgreSQL server need distinct test databases.
if os.environ.get("JINGWU_TEST_DB_NAME"):
    _test_name = os.environ["JINGWU_TEST_DB_NAME"]
    if DATABASES["default"]["ENGINE"].endswith("sqlite3") and os.sep not in _test_name:  # noqa: F405
        # A bare name on SQLite is a file in the temporary folder, not in the working directory.
        _test_name = str(Path(tempfile.gettempdir()) / f"jingwu-test-{_test_name}.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _test_name}  # noqa: F405
elif DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not Django's in-memory default: the browser tests' live server answers several
    # requests at once, and threads sharing one in-memory connection corrupt each other's
    # savepoints. A file in WAL mode gives each thread its own connection, as in production.
    _name = Path(tempfile.gettempdir()) / f"jingwu-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(_name)}  # noqa: F405
