# Installs the exported targets, ronde-config.cmake (+ version file) and ronde.pc so that
# consumers can use find_package(ronde) or pkg-config.
include(CMakePackageConfigHelpers)
set(RONDE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ronde)

install(EXPORT ronde-targets NAMESPACE ronde:: FILE ronde-targets.cmake DESTINATION ${RONDE_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ronde-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ronde-config.cmake INSTALL_DESTINATION ${RONDE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ronde-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ronde-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ronde-config-version.cmake
        DESTINATION ${RONDE_CMAKE_DIR})

configure_file(${CMAKE_CURRENT_LIST_DIR}/ronde.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ronde.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ronde.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
