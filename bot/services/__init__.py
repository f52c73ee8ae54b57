"""Use cases: plain arguments in (and the caller's session, the unit of work), results and
domain events out. No `Reply`, no words, no channel: the dialogue layer (`bot.dialogue`)
calls these and puts their outcome into words."""
