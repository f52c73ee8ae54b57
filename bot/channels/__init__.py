"""Channel adapters: translate a wire format to `Event` and `Reply` back, nothing more."""
