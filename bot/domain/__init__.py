"""Pure rules, no I/O: slots, availability, distance, booking states."""
