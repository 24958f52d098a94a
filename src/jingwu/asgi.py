"""ASGI entry point (uvicorn serves it in `make demo`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
application = get_asgi_application()
