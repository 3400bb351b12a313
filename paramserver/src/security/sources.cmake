# Owned by the security work; lists this directory's sources.
list(APPEND paramserver_sources ${CMAKE_CURRENT_LIST_DIR}/credentials.cc ${CMAKE_CURRENT_LIST_DIR}/token_file.cc)
