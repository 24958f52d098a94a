"""ASGI entry point (uvicorn serves it in `make demo`)."""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
# WhiteNoise serves static files with a synchronous file iterator; under ASGI Django wraps it
# and warns on every file. The files are small and local, so the warning is only noise.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)
application = get_asgi_application()
