"""Platform adapters: each translates platform input to the core and the core's posts back."""
