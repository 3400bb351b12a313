#include "bench_mpi.h"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace ronde::bench {

bool is_first_process() {
  const char* env_rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (env_rank == nullptr) env_rank = std::getenv("PMIX_RANK");
  return env_rank == nullptr || std::string_view(env_rank) == "0";
}

int run_with_ronde(int* argc, char*** argv, const char* program, const std::function<int(ronde::Context&)>& body) {
  int status = 0;
  bool we_initialized_mpi = false;
  try {
    // ronde::init() initialises MPI itself when launched by mpirun; keep its Context for the
    // whole run (it finalises MPI when it goes away, if it initialised it).
    ronde::Context ctx = ronde::init();
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {  // a single process started without mpirun
      MPI_Init(argc, argv);
      we_initialized_mpi = true;
    }
    try {
      status = body(ctx);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", program, e.what());
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    // Everyone leaves together, so no rank finalises while another still talks to it.
    MPI_Barrier(MPI_COMM_WORLD);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
  if (we_initialized_mpi) MPI_Finalize();
  return status;
}

Result summarize(const std::vector<double>& local_seconds, std::size_t bytes, double busbw_factor) {
  std::vector<double> slowest(local_seconds.size());
  MPI_Allreduce(local_seconds.data(), slowest.data(), static_cast<int>(local_seconds.size()), MPI_DOUBLE, MPI_MAX,
                MPI_COMM_WORLD);
  Result r;
  r.iters = static_cast<int>(local_seconds.size());
  r.seconds_median = median(slowest);
  r.algbw_GBps = r.seconds_median > 0 ? static_cast<double>(bytes) / r.seconds_median / 1e9 : 0.0;
  r.busbw_GBps = r.algbw_GBps * busbw_factor;
  return r;
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, static_cast<std::size_t>(std::max(0, len)));
  if (auto comma = s.find(','); comma != std::string::npos) s.resize(comma);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace ronde::bench
