"""Platform adapters, the one HTTP server and the composition root.

Each adapter (``slack``, ``teams``, ``console``) translates platform input to the core and the
core's posts back; :mod:`handlers.web` is the HTTP server they share, and :mod:`handlers.main`
wires settings, core, adapters and scheduler together (the ``ledarforum`` entry point).
"""
