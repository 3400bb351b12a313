# The client tests (see ../CMakeLists.txt): the shard map, the client's options and internal parts
# on their own, and ronde::ps::Client end to end against real ronde-ps-server processes (modes,
# accuracy against allreduce-average training, sparse rows, large tensors, connections, load with cut
# connections, server and worker restarts, errors). One CTest entry per test case (label ps).
add_executable(ps_client_tests
  ${CMAKE_CURRENT_LIST_DIR}/client_fixture.cc
  ${CMAKE_CURRENT_LIST_DIR}/training_reference.cc
  ${CMAKE_CURRENT_LIST_DIR}/shard_map_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/client_options_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/client_internals_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/frames_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_training_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/modes_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/rows_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/large_tensor_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/connections_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/load_retries_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/restart_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/sequence_gap_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/errors_test.cc)
target_link_libraries(ps_client_tests PRIVATE ronde_ps_test_support ronde::optim GTest::gtest_main)
ronde_set_warnings(ps_client_tests)
gtest_discover_tests(ps_client_tests DISCOVERY_MODE PRE_TEST TEST_PREFIX "ps.client."
  PROPERTIES LABELS ps TIMEOUT ${RONDE_PS_TEST_TIMEOUT_LONG})
ronde_discovered_tests_environment(ps_client_tests "GRPC_VERBOSITY=NONE" "RONDE_LOG_LEVEL=warn" ${RONDE_TEST_OFFLINE_ENV})
