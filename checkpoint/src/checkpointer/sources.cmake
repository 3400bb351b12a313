list(APPEND checkpoint_sources)
