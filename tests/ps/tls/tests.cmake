# The tls tests (see ../CMakeLists.txt): TLS, mutual TLS and bearer tokens against real servers,
# the security helpers on their own, and the plaintext warning. One CTest entry per test case
# (label ps); the test certificates are made once per build tree (tests/support/make_test_certs.sh).
add_executable(ps_tls_tests
  ${CMAKE_CURRENT_LIST_DIR}/tls_fixture.cc
  ${CMAKE_CURRENT_LIST_DIR}/tls_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/token_every_call_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/security_helpers_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/plaintext_warning_test.cc)
target_link_libraries(ps_tls_tests PRIVATE ronde_ps_test_support GTest::gtest_main)
target_compile_definitions(ps_tls_tests PRIVATE RONDE_PS_TEST_CERTS_DIR="${CMAKE_CURRENT_BINARY_DIR}/tls-certs")
ronde_set_warnings(ps_tls_tests)
gtest_discover_tests(ps_tls_tests DISCOVERY_MODE PRE_TEST TEST_PREFIX "ps.tls."
  PROPERTIES LABELS ps TIMEOUT ${RONDE_PS_TEST_TIMEOUT})
ronde_discovered_tests_environment(ps_tls_tests "GRPC_VERBOSITY=NONE" "RONDE_LOG_LEVEL=warn" ${RONDE_TEST_OFFLINE_ENV})
