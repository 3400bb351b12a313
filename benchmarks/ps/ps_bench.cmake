# ps_bench (included by benchmarks/CMakeLists.txt): the parameter server's push+pull against a bare
# gRPC stream of the same bytes. Its raw service is ps_bench_raw.proto; it starts real
# ronde-ps-server processes and itself (--raw-server) as the raw servers.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)

set(ps_bench_proto ${CMAKE_CURRENT_LIST_DIR}/ps_bench_raw.proto)
set(ps_bench_generated_dir ${CMAKE_CURRENT_BINARY_DIR}/ps_generated)
set(ps_bench_generated
  ${ps_bench_generated_dir}/ps_bench_raw.pb.h ${ps_bench_generated_dir}/ps_bench_raw.pb.cc
  ${ps_bench_generated_dir}/ps_bench_raw.grpc.pb.h ${ps_bench_generated_dir}/ps_bench_raw.grpc.pb.cc)
file(MAKE_DIRECTORY ${ps_bench_generated_dir})
add_custom_command(
  OUTPUT ${ps_bench_generated}
  COMMAND protobuf::protoc
    --proto_path=${CMAKE_CURRENT_LIST_DIR}
    --cpp_out=${ps_bench_generated_dir}
    --grpc_out=${ps_bench_generated_dir}
    --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
    ${ps_bench_proto}
  DEPENDS ${ps_bench_proto} protobuf::protoc gRPC::grpc_cpp_plugin
  COMMENT "Generating ps_bench's raw gRPC service")
set_source_files_properties(${ps_bench_generated} PROPERTIES COMPILE_OPTIONS "-Wno-pedantic;-Wno-shadow;-Wno-extra")

add_executable(ps_bench ps_bench.cc ps/child_process.cc ps/raw_stream.cc ps/setup.cc ps/report.cc ${ps_bench_generated})
target_include_directories(ps_bench PRIVATE ${ps_bench_generated_dir})
target_link_libraries(ps_bench PRIVATE ronde_paramserver_internal ronde_bench_common)
target_compile_definitions(ps_bench PRIVATE
  RONDE_PS_SERVER_BINARY="$<TARGET_FILE:ronde-ps-server>"
  RONDE_PS_MAKE_CERTS="${PROJECT_SOURCE_DIR}/tests/support/make_test_certs.sh")
add_dependencies(ps_bench ronde-ps-server)
ronde_set_warnings(ps_bench)
