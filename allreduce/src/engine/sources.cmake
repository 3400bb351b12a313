list(APPEND allreduce_sources)
