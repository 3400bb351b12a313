list(APPEND paramserver_sources ${CMAKE_CURRENT_LIST_DIR}/wire.cc ${CMAKE_CURRENT_LIST_DIR}/mode.cc
  ${CMAKE_CURRENT_LIST_DIR}/frames.cc)  # chunk messages as byte buffers (no copies)
