# RONDE_TEST_OFFLINE_ENV: the environment of every test whose programs can reach the AWS
# credential chain or the EC2 spot-notice poller, so that none of them sends a packet to the
# instance metadata addresses (169.254.169.254, 169.254.170.2) whatever the shell or the CI runner
# exports: the instance metadata source off, the container credential variables emptied (an
# empty value counts as unset; a relative URI always goes to 169.254.170.2), the spot-notice poller
# off. Tests of these paths point them at fakes on 127.0.0.1 through their own MapEnvironment.
# tests/support/check_test_environments.py (CTest entry tests_stay_off_metadata_endpoints) fails
# when a test in its scope runs without this.
#
#   include(${PROJECT_SOURCE_DIR}/cmake/RondeTestEnvironment.cmake)
#   gtest_discover_tests(t DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
#   ronde_discovered_tests_environment(t "RONDE_LOG_LEVEL=warn" ${RONDE_TEST_OFFLINE_ENV})
#   ronde_test_stays_on_loopback(t)
#   set_tests_properties(other PROPERTIES ENVIRONMENT "${RONDE_TEST_OFFLINE_ENV}")  # add_test()s
set(RONDE_TEST_OFFLINE_ENV
  "AWS_EC2_METADATA_DISABLED=true"
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="
  "AWS_CONTAINER_CREDENTIALS_FULL_URI="
  "RONDE_SPOT_POLL_SECONDS=0")

# ronde_test_stays_on_loopback(<target>): links tests/support/loopback_only.cc into a test program,
# which then aborts, naming the address, on any connect() that is not to loopback; this also
# catches a test that builds a credential chain or a poller from its own MapEnvironment with a real
# address in it, which no environment can prevent.
function(ronde_test_stays_on_loopback target)
  target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support/loopback_only.cc)
  target_link_options(${target} PRIVATE "LINKER:--export-dynamic-symbol=connect")
  target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
endfunction()

# ronde_discovered_tests_environment(<target> <NAME=value>...): the ENVIRONMENT of every test that
# gtest_discover_tests(<target> DISCOVERY_MODE PRE_TEST) finds, set by a script that CTest runs
# after the discovery. gtest_discover_tests' own PROPERTIES cannot carry more than one variable:
# CMake 3.25 writes a list-valued property as separate arguments, so only the first entry took
# effect and the others became properties of their own.
function(ronde_discovered_tests_environment target)
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_environment.cmake)
  file(WRITE ${script}
       "# ronde_discovered_tests_environment(${target}), cmake/RondeTestEnvironment.cmake\n"
       "if(DEFINED ${target}_TESTS)\n"
       "  set_tests_properties(\${${target}_TESTS} PROPERTIES ENVIRONMENT [==[${ARGN}]==])\n"
       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()
