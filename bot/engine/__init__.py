"""The conversation engine: one for every channel."""
