// ronde-info: prints this build's configuration (version, CUDA, NCCL), this process's topology,
// and the collective options in force. Run it under mpirun to see every rank's view.
#include <cstring>
#include <iostream>
#include <string>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/cuda_info.h"
#include "ronde/core/error.h"
#include "ronde/core/version.h"

namespace {

void print_usage() {
  std::cout << "usage: ronde-info [--help]\n"
               "\n"
               "Prints ronde's version and build options, this process's place in the job (rank, size,\n"
               "local and cross ranks, and how they were found) and the collective options read from\n"
               "the RONDE_* variables (see docs/KNOBS.md). Under mpirun every rank prints one line.\n";
}

// The transport's eager limit between hosts (which sizes the network segments), or why not.
std::string eager_limit_text(ronde::Context& context) {
  try {
    const std::size_t limit = context.transport().eager_limit_between_hosts();
    return limit ? std::to_string(limit) + " bytes" : std::string("not reported, so 60 KiB segments");
  } catch (const ronde::Error&) {
    return "no transport in this process";
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      print_usage();
      return 0;
    }
    std::cerr << "ronde-info: unknown argument '" << argv[i] << "' (try --help)\n";
    return 2;
  }
  try {
    ronde::Context context = ronde::init();
    const ronde::CollectiveOptions options = ronde::CollectiveOptions::from_env();
    if (context.rank() == 0) {
      std::cout << "ronde " << ronde::version() << "\n"
                << "  CUDA: " << (ronde::built_with_cuda() ? "built" : "not built")
                << ", devices visible: " << ronde::cuda_device_count() << "\n"
                << "  NCCL: " << (ronde::built_with_nccl() ? ronde::nccl_version() : std::string("not built")) << "\n"
                << "  ring segment bytes: " << options.segment_bytes << ", pipeline depth: " << options.pipeline_depth
                << ", send window: " << options.send_window << "\n"
                << "  hierarchy: "
                << (options.hierarchy == ronde::Hierarchy::Auto   ? "auto"
                    : options.hierarchy == ronde::Hierarchy::Flat ? "flat"
                                                                  : "hierarchical")
                << ", shared slot bytes: " << options.shared_slot_bytes << "\n"
                << "  across hosts: network segment bytes: "
                << (options.network_segment_bytes ? std::to_string(options.network_segment_bytes)
                                                  : "auto (transport's eager limit between hosts: " +
                                                        eager_limit_text(context) + ")")
                << ", in flight: " << options.network_in_flight_bytes << "\n";
      if (context.sagemaker()) {
        std::cout << "  SageMaker container at " << context.sagemaker()->root << ", host "
                  << context.sagemaker()->current_host << "\n";
      }
    }
    std::cout << context.topology().describe() + "\n" << std::flush;
    return 0;
  } catch (const ronde::Error& error) {
    std::cerr << "ronde-info: " << error.what() << "\n";
    return 1;
  }
}
