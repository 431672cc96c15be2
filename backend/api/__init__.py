"""The HTTP API (FastAPI): one router per resource under ``backend.api.routes``."""
