"""Traffic logs: record a client's real traffic shape (redacted), summarise it, replay it in drills."""
