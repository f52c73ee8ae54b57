"""Use cases. Each module registers the flow actions it offers (see `bot.engine.actions`)."""
