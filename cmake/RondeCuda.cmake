# CUDA / NCCL detection. RONDE_WITH_CUDA:
#   AUTO (default) - build the CUDA parts when nvcc and NCCL are found, otherwise say why not;
#   ON             - require them (configure fails when missing);
#   OFF            - host-only build.
# Outputs: RONDE_HAVE_CUDA, RONDE_HAVE_NCCL, RONDE_NCCL_INCLUDE_DIR, RONDE_NCCL_LIBRARY and the
# summary strings printed at the end of configuration.
set(RONDE_WITH_CUDA AUTO CACHE STRING "Build CUDA/NCCL support: AUTO, ON or OFF")
set_property(CACHE RONDE_WITH_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${RONDE_WITH_CUDA}" _ronde_cuda_mode)

set(RONDE_HAVE_CUDA OFF)
set(RONDE_HAVE_NCCL OFF)
set(RONDE_CUDA_SUMMARY "off (RONDE_WITH_CUDA=OFF)")
set(RONDE_NCCL_SUMMARY "off")

if(NOT _ronde_cuda_mode STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)   # H100 / H200; "native" fails on machines without a GPU
    endif()
    # CMake 3.25 knows no C++20 dialect for nvcc: .cu files are C++17 and include only C++17 headers
    # (each module keeps a plain header for what its kernels share with the C++20 side).
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(RONDE_HAVE_CUDA ON)
    set(RONDE_CUDA_SUMMARY "on (CUDA ${CUDAToolkit_VERSION}, sm_${CMAKE_CUDA_ARCHITECTURES})")
    find_path(RONDE_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include)
    find_library(RONDE_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib /usr/local/cuda/lib64)
    if(RONDE_NCCL_INCLUDE_DIR AND RONDE_NCCL_LIBRARY)
      set(RONDE_HAVE_NCCL ON)
      set(RONDE_NCCL_SUMMARY "on (${RONDE_NCCL_LIBRARY})")
    else()
      set(RONDE_NCCL_SUMMARY "not found (no nccl.h / libnccl)")
    endif()
  else()
    set(RONDE_CUDA_SUMMARY "not found (no nvcc)")
  endif()
  if(_ronde_cuda_mode STREQUAL "ON" AND NOT (RONDE_HAVE_CUDA AND RONDE_HAVE_NCCL))
    message(FATAL_ERROR "RONDE_WITH_CUDA=ON but CUDA: ${RONDE_CUDA_SUMMARY}; NCCL: ${RONDE_NCCL_SUMMARY}")
  endif()
endif()
