"""The web applications: the editors' preview (`digest preview`), on a shared WSGI layer."""
