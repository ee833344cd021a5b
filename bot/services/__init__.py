"""Services: one module per capability, free of platform code; each takes its session."""
