"""Settings, database and errors of the platform service."""
