"""End-to-end page tests in a headless Chromium (see conftest.py)."""
