# Owned by the client work; lists this directory's sources.
list(APPEND paramserver_sources
  ${CMAKE_CURRENT_LIST_DIR}/shard_map.cc        # placement (include/ronde/ps/shard_map.h)
  ${CMAKE_CURRENT_LIST_DIR}/options.cc          # ClientOptions::from_env and checks
  ${CMAKE_CURRENT_LIST_DIR}/thread_pool.cc      # the threads calls run on
  ${CMAKE_CURRENT_LIST_DIR}/job_queue.cc        # ordered, phased jobs per tensor
  ${CMAKE_CURRENT_LIST_DIR}/retry.cc            # backoff with jitter, what is retryable
  ${CMAKE_CURRENT_LIST_DIR}/push_record.cc      # one push, as sent, retained and replayed
  ${CMAKE_CURRENT_LIST_DIR}/retained_log.cc     # pushes kept until a checkpoint holds them
  ${CMAKE_CURRENT_LIST_DIR}/calls.cc            # one attempt of each wire call
  ${CMAKE_CURRENT_LIST_DIR}/connection.cc       # one server: channel, gate, retries, replay
  ${CMAKE_CURRENT_LIST_DIR}/rows.cc             # sparse rows grouped by server
  ${CMAKE_CURRENT_LIST_DIR}/client.cc           # ronde::ps::Client: connecting, accessors
  ${CMAKE_CURRENT_LIST_DIR}/dense.cc            # declare, push, pull, push_pull
  ${CMAKE_CURRENT_LIST_DIR}/sparse.cc)          # declare_rows, push_rows, pull_rows
