# The server tests (see ../CMakeLists.txt): raw gRPC calls against real ronde-ps-server processes,
# and a few of the server's internal parts on their own.
# Each test case is its own CTest entry (label "ps"); every one starts its own servers on free
# loopback ports, so they run in parallel.
add_executable(ps_server_tests
  ${CMAKE_CURRENT_LIST_DIR}/raw_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/server_fixture.cc
  ${CMAKE_CURRENT_LIST_DIR}/validation_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/modes_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/optimizers_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/rows_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/checkpoint_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/memory_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/pull_snapshot_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc)
target_link_libraries(ps_server_tests PRIVATE ronde_ps_test_support ronde::optim GTest::gtest_main)
ronde_set_warnings(ps_server_tests)
gtest_discover_tests(ps_server_tests DISCOVERY_MODE PRE_TEST TEST_PREFIX "ps.server."
  PROPERTIES LABELS ps TIMEOUT ${RONDE_PS_TEST_TIMEOUT})
ronde_discovered_tests_environment(ps_server_tests "GRPC_VERBOSITY=NONE" "RONDE_LOG_LEVEL=warn" ${RONDE_TEST_OFFLINE_ENV})
