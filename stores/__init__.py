"""Rasa plug-ins for where conversations are kept (named in the endpoints file by module path)."""
