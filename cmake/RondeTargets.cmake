# ronde_add_module(NAME SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Declares the library target ronde_<NAME>, its alias ronde::<NAME>, its public include directory
# <NAME>/include (installed as <ronde/NAME/...>), its C++20 requirement (a usage requirement, so
# consumers need not set a standard) and its warnings. Private dependencies stay out of the public
# interface so consumers compile with ronde's headers only.
function(ronde_add_module NAME)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target ronde_${NAME})
  add_library(${target} ${ARG_SOURCES})
  add_library(ronde::${NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${NAME}
    OUTPUT_NAME ronde_${NAME}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  # ronde's headers are C++20: a consumer that links the target gets the standard with it.
  target_compile_features(${target} PUBLIC cxx_std_20)
  ronde_set_warnings(${target})
  install(TARGETS ${target} EXPORT ronde-targets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()

function(ronde_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter>)
endfunction()

# ronde_use_gpu_libraries(TARGET [NCCL])
# In CUDA builds, links TARGET privately to the CUDA runtime and defines RONDE_HAVE_CUDA; with
# NCCL (and NCCL found) also to NCCL with RONDE_HAVE_NCCL. A no-op in host-only builds.
function(ronde_use_gpu_libraries target)
  cmake_parse_arguments(ARG "NCCL" "" "" ${ARGN})
  if(RONDE_HAVE_CUDA)
    target_compile_definitions(${target} PRIVATE RONDE_HAVE_CUDA=1)
    target_link_libraries(${target} PRIVATE CUDA::cudart)
  endif()
  if(ARG_NCCL AND RONDE_HAVE_NCCL)
    target_compile_definitions(${target} PRIVATE RONDE_HAVE_NCCL=1)
    target_include_directories(${target} PRIVATE ${RONDE_NCCL_INCLUDE_DIR})
    target_link_libraries(${target} PRIVATE ${RONDE_NCCL_LIBRARY})
  endif()
endfunction()
