"""What an operator watches: Prometheus metrics (`metrics.py`) and structured logs (`logging.py`).

Both import nothing of the engine, the outbox or the services: those call in, never the reverse."""
