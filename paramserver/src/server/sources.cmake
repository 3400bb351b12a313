# Owned by the server work; lists this directory's sources.
list(APPEND paramserver_sources
  ${CMAKE_CURRENT_LIST_DIR}/options.cc            # ServerOptions: the command line
  ${CMAKE_CURRENT_LIST_DIR}/server.cc             # ronde::ps::Server: start, serve, shutdown
  ${CMAKE_CURRENT_LIST_DIR}/service.cc            # the gRPC handlers: token, shutdown, errors
  ${CMAKE_CURRENT_LIST_DIR}/meta_calls.cc         # Status, Declare
  ${CMAKE_CURRENT_LIST_DIR}/push_call.cc          # Push (dense)
  ${CMAKE_CURRENT_LIST_DIR}/pull_call.cc          # Pull (dense)
  ${CMAKE_CURRENT_LIST_DIR}/rows_calls.cc         # PushRows, PullRows (sparse)
  ${CMAKE_CURRENT_LIST_DIR}/registry.cc           # partitions and tables by name; Declare checks
  ${CMAKE_CURRENT_LIST_DIR}/dense_partition.cc    # one dense partition: values, optimizer, sync sums
  ${CMAKE_CURRENT_LIST_DIR}/sparse_table.cc       # one sparse table: rows, per-row optimizers
  ${CMAKE_CURRENT_LIST_DIR}/row_init.cc           # deterministic initial rows
  ${CMAKE_CURRENT_LIST_DIR}/element_ops.cc        # dtype arithmetic of updates
  ${CMAKE_CURRENT_LIST_DIR}/buffer_pool.cc        # reusable push buffers
  ${CMAKE_CURRENT_LIST_DIR}/json_fields.cc        # the checkpoint record's fields
  ${CMAKE_CURRENT_LIST_DIR}/state_checkpoint.cc   # state <-> Checkpointer
  ${CMAKE_CURRENT_LIST_DIR}/checkpoint_loop.cc)   # when to checkpoint
