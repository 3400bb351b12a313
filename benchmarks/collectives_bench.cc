// collectives_bench: float32 bandwidth of ronde's allgather, reducescatter, alltoall, broadcast and
// allreduce against Open MPI (MPI_Allgather, MPI_Reduce_scatter_block, MPI_Alltoall, MPI_Bcast,
// MPI_Allreduce) and Gloo, measured in the same run over the same buffers.
//
//   mpirun -np 2 build/benchmarks/collectives_bench [--quick] [--csv bench-results/collectives.csv]
//
// (scripts/bench.sh collectives runs it the intended way.) Sizes and measures follow nccl-tests.
// The size S of a row is the full buffer: allgather's output, reducescatter's input, alltoall's
// send buffer per rank, broadcast's and allreduce's buffer. algbw = S / t and
//   allreduce                     busbw = algbw * 2(n-1)/n
//   allgather, reducescatter,
//   alltoall                      busbw = algbw * (n-1)/n
//   broadcast                     busbw = algbw
// where t, for one iteration, is the slowest rank's time (MPI_Barrier, then time the call; MAX
// across ranks), and the reported time is the median over iterations. Iterations of the
// implementations are interleaved (see measure()). Every implementation's first call at each size
// is checked against the exact expected result.
#include <mpi.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/bench_args.h"
#include "common/bench_csv.h"
#include "common/bench_format.h"
#include "common/bench_mpi.h"
#include "common/bench_sweep.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

#ifdef RONDE_BENCH_WITH_GLOO
#include <gloo/allgather.h>
#include <gloo/alltoall.h>
#include <gloo/broadcast.h>
#include <gloo/reduce_scatter.h>

#include "common/gloo_connect.h"
#endif

namespace {

using ronde::bench::contains;
using ronde::bench::human_bytes;
using ronde::bench::human_seconds;
using ronde::bench::join;
using ronde::bench::KiB;
using ronde::bench::kMinAdaptiveIters;
using ronde::bench::MiB;
using ronde::bench::Result;

constexpr const char* kProgram = "collectives_bench";
const std::vector<std::string> kAllCollectives = {"allgather", "reducescatter", "alltoall", "broadcast", "allreduce"};
const std::vector<std::string> kAllImpls = {"ronde", "mpi", "gloo"};

// ---- command line -----------------------------------------------------------------------------

// The sweep's options (min_bytes 4 KiB by default) and collectives_bench's own.
struct Options : ronde::bench::SweepOptions {
  Options() { min_bytes = 4 * KiB; }
  std::vector<std::string> collectives = kAllCollectives;
  std::vector<std::string> impls = kAllImpls;
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
      "usage: mpirun -np N collectives_bench [options]\n"
      "\n"
      "Float32 allgather, reducescatter (Sum), alltoall, broadcast (root 0) and allreduce (Sum,\n"
      "out of place), measured for ronde, MPI and Gloo in the same run over the same buffers.\n"
      "Per iteration: MPI_Barrier, time the call, take the max over ranks; report the median over\n"
      "iterations. Size S (nccl-tests): allgather's output, reducescatter's input, alltoall's\n"
      "send buffer per rank, broadcast's and allreduce's buffer. algbw = S/t; busbw = algbw *\n"
      "2(n-1)/n (allreduce), (n-1)/n (allgather, reducescatter, alltoall), 1 (broadcast).\n"
      "\n"
      "options:\n"
      "  --min-bytes SIZE    smallest S (default 4KiB; suffixes K/KiB, M/MiB, G/GiB)\n"
      "  --max-bytes SIZE    largest S (default 256MiB)\n"
      "                      sizes: powers of 4 between them (64 MiB included), plus both ends,\n"
      "                      rounded down to a multiple of 4*N bytes\n"
      "  --iters N           timed iterations per size and implementation (default 20; without\n"
      "                      this flag large sizes run fewer, at least %d)\n"
      "  --warmup N          untimed iterations first (default 3)\n"
      "  --quick             short run: 64KiB, 1MiB, 16MiB, 64MiB; 5 iterations, 1 warmup\n"
      "  --collectives LIST  comma-separated subset of allgather,reducescatter,alltoall,\n"
      "                      broadcast,allreduce (default all, in that order)\n"
      "  --impls LIST        comma-separated subset of ronde,mpi,gloo (default all; Gloo has no\n"
      "                      allreduce here: allreduce_bench compares it)\n"
      "  --csv PATH          append rows to PATH (created with its header if absent)\n"
      "  --progress, --no-progress\n"
      "                      a line per collective and size on stderr (default: on, off with\n"
      "                      --quick)\n"
      "  --help              this text\n",
      kMinAdaptiveIters);
}

// Parses argv into `opt`. Returns nullopt to go on, or an exit code (with a message on stderr, or
// the usage text on stdout for --help). `verbose`: only one rank prints.
std::optional<int> parse_args(int argc, char** argv, Options& opt, bool verbose) {
  // --collectives and --impls: a non-empty subset of the known names.
  auto own = [&opt](ronde::bench::ArgCursor& args) -> std::optional<std::string> {
    const std::string flag(args.name());
    if (flag != "--collectives" && flag != "--impls") return std::nullopt;
    const auto value = args.value();
    if (!value) return flag + " needs a list";
    const bool is_collectives = flag == "--collectives";
    const std::vector<std::string>& known = is_collectives ? kAllCollectives : kAllImpls;
    std::vector<std::string>& into = is_collectives ? opt.collectives : opt.impls;
    into = ronde::bench::split_list(*value);
    if (into.empty()) return flag + " needs at least one of " + join(known);
    for (const auto& name : into) {
      if (!contains(known, name)) return "unknown name '" + name + "' in " + flag + " (" + join(known) + ")";
    }
    return "";
  };
  return ronde::bench::parse_sweep_args(argc, argv, kProgram, verbose, print_usage, opt, own);
}

// The sizes S to measure, each a multiple of 4*ranks bytes so that every rank's share of the
// chunked collectives is the same whole number of floats.
std::vector<std::size_t> message_sizes(const Options& opt, int ranks) {
  static constexpr std::size_t quick_sizes[] = {64 * KiB, 1 * MiB, 16 * MiB, 64 * MiB};
  return ronde::bench::sweep_sizes(opt, sizeof(float) * static_cast<std::size_t>(ranks), quick_sizes);
}

// ---- data ---------------------------------------------------------------------------------------

// Element j of rank r's input holds 16*(r+1) + pattern((j + seed) mod 13), pattern(k) = (k+1)/4.
// Every value is a small multiple of 1/4, so sums over ranks are exact in float whatever the
// reduction order, every (rank, position) pair is told apart (13 is coprime with the power-of-two
// block sizes), and no value is zero.
//
// Every output, and every input, is a list of Blocks: `count` consecutive elements whose k-th is
// 16*weight + copies*pattern((start + k + seed) mod 13): the sum over ranks of element `start + k`
// has weight n(n+1)/2 and copies n; rank r's own element has weight r+1 and copies 1.
constexpr int kPatternLength = 13;

struct Block {
  std::size_t count = 0;
  int weight = 1;
  int copies = 1;
  std::size_t start = 0;
};

std::array<float, kPatternLength> block_values(const Block& block) {
  std::array<float, kPatternLength> values{};
  for (int k = 0; k < kPatternLength; ++k) {
    values[static_cast<std::size_t>(k)] =
        16.0f * static_cast<float>(block.weight) + static_cast<float>(block.copies) * static_cast<float>(k + 1) * 0.25f;
  }
  return values;
}

Block own_input(std::size_t count, int rank) { return {count, rank + 1, 1, 0}; }

void fill(float* data, const Block& block, int seed) {
  const auto values = block_values(block);
  std::size_t k = (block.start + static_cast<std::size_t>(seed)) % kPatternLength;
  for (std::size_t i = 0; i < block.count; ++i) {
    data[i] = values[k];
    if (++k == kPatternLength) k = 0;
  }
}

// Checks `data` against `expected`, block after block; aborts the whole job on a mismatch.
void verify_or_abort(const float* data, const std::vector<Block>& expected, int seed, const std::string& what,
                     std::size_t bytes, int rank) {
  std::size_t offset = 0;
  for (std::size_t b = 0; b < expected.size(); ++b) {
    const Block& block = expected[b];
    const auto values = block_values(block);
    std::size_t k = (block.start + static_cast<std::size_t>(seed)) % kPatternLength;
    for (std::size_t i = 0; i < block.count; ++i) {
      if (!(data[offset + i] == values[k])) {  // exact: every value is exact in float (NaN fails)
        std::fprintf(stderr,
                     "%s: WRONG RESULT from %s on rank %d for %s: output element %zu (block %zu, element "
                     "%zu) is %.9g, expected %.9g\n",
                     kProgram, what.c_str(), rank, human_bytes(bytes).c_str(), offset + i, b, i,
                     static_cast<double>(data[offset + i]), static_cast<double>(values[k]));
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 3);
      }
      if (++k == kPatternLength) k = 0;
    }
    offset += block.count;
  }
}

// ---- collectives and their implementations ------------------------------------------------------

// One size of one collective, as one rank sees it. `chunk`: S/(4n), every rank's share.
struct Buffers {
  float* in = nullptr;
  float* out = nullptr;
  std::size_t in_count = 0;
  std::size_t out_count = 0;
  std::size_t chunk = 0;
};

struct Impl {
  std::string name;  // ronde, mpi or gloo: the CSV's impl column
  std::string call;  // what is called, for the table's header
  std::function<void(const Buffers&)> run;
  // Called once per size, untimed, before the first call: set up whatever binds to the buffers.
  std::function<void(const Buffers&)> prepare = [](const Buffers&) {};
  // The call overwrites its input: refill it (untimed) before every call.
  bool clobbers_input = false;
};

// What one rank passes and gets back for one size.
struct Layout {
  std::size_t in_count = 0;
  std::size_t out_count = 0;
  bool in_place = false;        // one buffer, input on the root and output everywhere (broadcast)
  std::vector<Block> expected;  // the output
};

struct Collective {
  std::string name;
  std::string size_meaning;  // what the size column is, for the table's header
  std::string busbw_formula;
  double busbw_factor = 1.0;
  // count = S/4 floats, a multiple of the rank count.
  std::function<Layout(std::size_t count, int rank, int ranks)> layout;
  std::vector<Impl> impls;
};

// Everything an implementation may use.
struct Env {
  int rank = 0;
  int ranks = 1;
  ronde::Collectives* coll = nullptr;
#ifdef RONDE_BENCH_WITH_GLOO
  std::shared_ptr<gloo::Context> gloo;  // null when Gloo is not measured
#endif
};

ronde::Tensor tensor(float* data, std::size_t count) {
  return ronde::Tensor::of(std::span<float>(data, count));
}

int mpi_count(std::size_t count) {
  if (count > static_cast<std::size_t>(std::numeric_limits<int>::max())) throw std::runtime_error("count too large for MPI");
  return static_cast<int>(count);
}

Collective make_allgather(const Env& env) {
  const int ranks = env.ranks;
  Collective c{"allgather", "size = output bytes; each rank contributes size/n", "busbw = algbw*(n-1)/n",
               static_cast<double>(ranks - 1) / ranks, nullptr, {}};
  c.layout = [](std::size_t count, int, int n) {
    Layout l{count / static_cast<std::size_t>(n), count, false, {}};
    for (int r = 0; r < n; ++r) l.expected.push_back(own_input(l.in_count, r));
    return l;
  };
  ronde::Collectives& coll = *env.coll;
  c.impls.push_back({"ronde", "Collectives::allgather", [&coll](const Buffers& b) {
                       coll.allgather(tensor(b.in, b.in_count), tensor(b.out, b.out_count));
                     }});
  c.impls.push_back({"mpi", "MPI_Allgather", [](const Buffers& b) {
                       MPI_Allgather(b.in, mpi_count(b.in_count), MPI_FLOAT, b.out, mpi_count(b.in_count), MPI_FLOAT,
                                     MPI_COMM_WORLD);
                     }});
#ifdef RONDE_BENCH_WITH_GLOO
  if (env.gloo) {
    c.impls.push_back({"gloo", "gloo::allgather", [context = env.gloo](const Buffers& b) {
                         gloo::AllgatherOptions opts(context);
                         opts.setInput(b.in, b.in_count);
                         opts.setOutput(b.out, b.out_count);
                         gloo::allgather(opts);
                       }});
  }
#endif
  return c;
}

Collective make_reducescatter(const Env& env) {
  const int ranks = env.ranks;
  Collective c{"reducescatter", "size = input bytes per rank; each rank gets size/n; Sum",
               "busbw = algbw*(n-1)/n", static_cast<double>(ranks - 1) / ranks, nullptr, {}};
  c.layout = [](std::size_t count, int rank, int n) {
    const std::size_t chunk = count / static_cast<std::size_t>(n);
    return Layout{count, chunk, false, {{chunk, n * (n + 1) / 2, n, static_cast<std::size_t>(rank) * chunk}}};
  };
  ronde::Collectives& coll = *env.coll;
  c.impls.push_back({"ronde", "Collectives::reducescatter", [&coll](const Buffers& b) {
                       coll.reducescatter(tensor(b.in, b.in_count), tensor(b.out, b.out_count), ronde::ReduceOp::Sum);
                     }});
  c.impls.push_back({"mpi", "MPI_Reduce_scatter_block", [](const Buffers& b) {
                       MPI_Reduce_scatter_block(b.in, b.out, mpi_count(b.out_count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                     }});
#ifdef RONDE_BENCH_WITH_GLOO
  if (env.gloo) {
    // gloo::ReduceScatterHalvingDoubling reduces in place, leaving this rank's share at the start
    // of the input; the timed call includes copying that share to the output (S/n bytes, the same
    // copy ronde makes from its work buffer). Constructed once per size (it allocates two
    // S-byte receive buffers), untimed.
    auto algorithm = std::make_shared<std::unique_ptr<gloo::ReduceScatterHalvingDoubling<float>>>();
    Impl impl{"gloo", "gloo::ReduceScatterHalvingDoubling", [algorithm](const Buffers& b) {
                (*algorithm)->run();
                std::memcpy(b.out, b.in, b.out_count * sizeof(float));
              }};
    impl.prepare = [algorithm, context = env.gloo, ranks](const Buffers& b) {
      algorithm->reset();  // free the previous size's buffers first
      *algorithm = std::make_unique<gloo::ReduceScatterHalvingDoubling<float>>(
          context, std::vector<float*>{b.in}, mpi_count(b.in_count), std::vector<int>(static_cast<std::size_t>(ranks), mpi_count(b.out_count)));
    };
    impl.clobbers_input = true;
    c.impls.push_back(std::move(impl));
  }
#endif
  return c;
}

Collective make_alltoall(const Env& env) {
  const int ranks = env.ranks;
  Collective c{"alltoall", "size = send bytes per rank; size/n to each rank", "busbw = algbw*(n-1)/n",
               static_cast<double>(ranks - 1) / ranks, nullptr, {}};
  c.layout = [](std::size_t count, int rank, int n) {
    const std::size_t chunk = count / static_cast<std::size_t>(n);
    Layout l{count, count, false, {}};
    // From rank r: elements [rank*chunk, (rank+1)*chunk) of r's input.
    for (int r = 0; r < n; ++r) l.expected.push_back({chunk, r + 1, 1, static_cast<std::size_t>(rank) * chunk});
    return l;
  };
  ronde::Collectives& coll = *env.coll;
  auto splits = std::make_shared<std::vector<std::int64_t>>();
  c.impls.push_back({"ronde", "Collectives::alltoall", [&coll, splits, ranks](const Buffers& b) {
                       splits->assign(static_cast<std::size_t>(ranks), static_cast<std::int64_t>(b.chunk));
                       coll.alltoall(tensor(b.in, b.in_count), *splits, [&b](const std::vector<std::int64_t>& shape) {
                         return ronde::Tensor(b.out, ronde::DType::F32, shape);
                       });
                     }});
  c.impls.push_back({"mpi", "MPI_Alltoall", [](const Buffers& b) {
                       MPI_Alltoall(b.in, mpi_count(b.chunk), MPI_FLOAT, b.out, mpi_count(b.chunk), MPI_FLOAT, MPI_COMM_WORLD);
                     }});
#ifdef RONDE_BENCH_WITH_GLOO
  if (env.gloo) {
    c.impls.push_back({"gloo", "gloo::alltoall", [context = env.gloo](const Buffers& b) {
                         gloo::AlltoallOptions opts(context);
                         opts.setInput(b.in, b.in_count);
                         opts.setOutput(b.out, b.out_count);
                         gloo::alltoall(opts);
                       }});
  }
#endif
  return c;
}

Collective make_broadcast(const Env& env) {
  Collective c{"broadcast", "size = buffer bytes; root 0", "busbw = algbw", 1.0, nullptr, {}};
  c.layout = [](std::size_t count, int, int) { return Layout{count, count, true, {own_input(count, 0)}}; };
  ronde::Collectives& coll = *env.coll;
  c.impls.push_back({"ronde", "Collectives::broadcast", [&coll](const Buffers& b) {
                       coll.broadcast(tensor(b.out, b.out_count), 0);
                     }});
  c.impls.push_back({"mpi", "MPI_Bcast", [](const Buffers& b) {
                       MPI_Bcast(b.out, mpi_count(b.out_count), MPI_FLOAT, 0, MPI_COMM_WORLD);
                     }});
#ifdef RONDE_BENCH_WITH_GLOO
  if (env.gloo) {
    c.impls.push_back({"gloo", "gloo::broadcast", [context = env.gloo](const Buffers& b) {
                         gloo::BroadcastOptions opts(context);
                         opts.setOutput(b.out, b.out_count);  // the root's output is also its input
                         opts.setRoot(0);
                         gloo::broadcast(opts);
                       }});
  }
#endif
  return c;
}

// Out of place, like the other collectives here; allreduce_bench measures it in place, with Gloo.
Collective make_allreduce(const Env& env) {
  const int ranks = env.ranks;
  Collective c{"allreduce", "size = buffer bytes; Sum, out of place", "busbw = algbw*2(n-1)/n",
               2.0 * (ranks - 1) / ranks, nullptr, {}};
  c.layout = [](std::size_t count, int, int n) {
    return Layout{count, count, false, {{count, n * (n + 1) / 2, n, 0}}};
  };
  ronde::Collectives& coll = *env.coll;
  c.impls.push_back({"ronde", "Collectives::allreduce", [&coll](const Buffers& b) {
                       coll.allreduce(tensor(b.in, b.in_count), tensor(b.out, b.out_count), ronde::ReduceOp::Sum);
                     }});
  c.impls.push_back({"mpi", "MPI_Allreduce", [](const Buffers& b) {
                       MPI_Allreduce(b.in, b.out, mpi_count(b.out_count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                     }});
  return c;
}

Collective make_collective(const std::string& name, const Env& env) {
  if (name == "allgather") return make_allgather(env);
  if (name == "reducescatter") return make_reducescatter(env);
  if (name == "alltoall") return make_alltoall(env);
  if (name == "broadcast") return make_broadcast(env);
  if (name == "allreduce") return make_allreduce(env);
  throw std::invalid_argument("unknown collective " + name);
}

// ---- measurement ----------------------------------------------------------------------------------

// Measures every implementation of `coll` at `bytes`, with the input in `a` and the output in `b`
// (both at least bytes/4 floats). Each implementation's first call is checked (with its own
// seed). Then the timed iterations are interleaved — every round runs each implementation once,
// starting with a different one each round — so that no implementation profits from running
// after itself (warm caches, page state) or suffers from machine noise in one stretch of time.
std::vector<Result> measure(const Collective& coll, std::vector<Impl>& impls, std::size_t bytes, float* a, float* b,
                            const Env& env, int seed, int warmup, int iters) {
  const std::size_t count = bytes / sizeof(float);
  const Layout layout = coll.layout(count, env.rank, env.ranks);
  const Buffers buffers{a, layout.in_place ? a : b, layout.in_count, layout.out_count,
                        count / static_cast<std::size_t>(env.ranks)};
  const Block input = own_input(layout.in_count, env.rank);
  auto fill_input = [&](int with_seed) {
    if (!layout.in_place || env.rank == 0) fill(buffers.in, input, with_seed);
  };
  for (std::size_t i = 0; i < impls.size(); ++i) {
    const int impl_seed = seed + static_cast<int>(i) * 3;  // fresh data for each implementation
    // Poison the output (all-ones bytes: NaN), so that a call that leaves it alone fails the check.
    if (!layout.in_place || env.rank != 0) std::memset(buffers.out, 0xff, layout.out_count * sizeof(float));
    fill_input(impl_seed);
    impls[i].prepare(buffers);
    MPI_Barrier(MPI_COMM_WORLD);
    impls[i].run(buffers);
    verify_or_abort(buffers.out, layout.expected, impl_seed, impls[i].name + " " + coll.name, bytes, env.rank);
  }

  std::vector<std::vector<double>> local(impls.size(), std::vector<double>(static_cast<std::size_t>(iters)));
  for (int round = 1 - warmup; round < iters; ++round) {  // round < 0: warm-up
    for (std::size_t k = 0; k < impls.size(); ++k) {
      const std::size_t i = (k + static_cast<std::size_t>(round + warmup)) % impls.size();
      if (impls[i].clobbers_input) fill_input(seed);
      MPI_Barrier(MPI_COMM_WORLD);
      const auto t0 = std::chrono::steady_clock::now();
      impls[i].run(buffers);
      const auto t1 = std::chrono::steady_clock::now();
      if (round >= 0) local[i][static_cast<std::size_t>(round)] = std::chrono::duration<double>(t1 - t0).count();
    }
  }
  std::vector<Result> results;
  for (const auto& times : local) results.push_back(ronde::bench::summarize(times, bytes, coll.busbw_factor));
  return results;
}

// What one collective measured, kept after its implementations are gone.
struct Measured {
  std::string name;
  std::vector<std::string> impls;
  std::vector<std::vector<Result>> results;  // [size index][impl index]
};

void print_table(const Collective& coll, const Measured& m, const std::vector<std::size_t>& sizes, int ranks) {
  std::string calls;
  for (const Impl& impl : coll.impls) calls += (calls.empty() ? "" : " vs ") + impl.call;
  std::printf("\n%s float32 | %d ranks | %s | %s\n", coll.name.c_str(), ranks, calls.c_str(),
              ronde::bench::mpi_library_version().c_str());
  std::printf("%s; time = median over iterations of the slowest rank; GB/s = 1e9 B/s; %s\n\n",
              coll.size_meaning.c_str(), coll.busbw_formula.c_str());
  ronde::bench::print_result_table("size", m.impls, sizes, m.results, ranks);
}

}  // namespace

// The body of the benchmark, with the ronde Context alive for its whole duration.
static int bench_main(const Options& opt, ronde::Context& ctx) {
  Env env;
  MPI_Comm_rank(MPI_COMM_WORLD, &env.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &env.ranks);
  const int rank = env.rank, ranks = env.ranks;
  if (ctx.size() != ranks || ctx.rank() != rank) {
    std::fprintf(stderr, "%s: ronde sees rank %d of %d but MPI_COMM_WORLD rank %d of %d\n", kProgram, ctx.rank(),
                 ctx.size(), rank, ranks);
    return 1;
  }

  int csv_ok = 1;
  if (rank == 0 && !opt.csv_path.empty()) csv_ok = ronde::bench::CsvAppender::can_append(opt.csv_path, kProgram) ? 1 : 0;
  MPI_Bcast(&csv_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!csv_ok) return 1;

  ronde::Collectives coll(ctx);  // one for the whole run: it keeps its scratch between calls
  env.coll = &coll;
#ifdef RONDE_BENCH_WITH_GLOO
  if (contains(opt.impls, "gloo")) env.gloo = ronde::bench::connect_gloo(rank, ranks, kProgram);
#else
  if (contains(opt.impls, "gloo") && rank == 0) {
    std::fprintf(stderr, "%s: built without Gloo (libgloo-dev not found at configure time); skipping gloo\n", kProgram);
  }
#endif

  const std::vector<std::size_t> sizes = message_sizes(opt, ranks);
  const std::size_t max_count = sizes.back() / sizeof(float);
  std::vector<float> a(max_count), b(max_count);  // input and output of every call
  const bool progress = opt.progress.value_or(!opt.quick);

  std::vector<Measured> measured;
  for (std::size_t c = 0; c < opt.collectives.size(); ++c) {
    Collective collective = make_collective(opt.collectives[c], env);
    std::erase_if(collective.impls, [&](const Impl& impl) { return !contains(opt.impls, impl.name); });
    if (collective.impls.empty()) continue;
    Measured m{collective.name, {}, std::vector<std::vector<Result>>(sizes.size())};
    for (const Impl& impl : collective.impls) m.impls.push_back(impl.name);

    for (std::size_t s = 0; s < sizes.size(); ++s) {
      const std::size_t bytes = sizes[s];
      const auto [iters, warmup] = ronde::bench::plan_iterations(opt, bytes);
      const int seed = static_cast<int>(c * 5 + s * 7 + 1);
      m.results[s] = measure(collective, collective.impls, bytes, a.data(), b.data(), env, seed, warmup, iters);
      if (progress && rank == 0) {
        std::string line = "[" + collective.name + " " + std::to_string(ranks) + " ranks] " + human_bytes(bytes) +
                           " (" + std::to_string(s + 1) + "/" + std::to_string(sizes.size()) + "):";
        for (std::size_t i = 0; i < collective.impls.size(); ++i) {
          line += " " + collective.impls[i].name + " " + human_seconds(m.results[s][i].seconds_median);
        }
        std::fprintf(stderr, "%s\n", line.c_str());
        std::fflush(stderr);
      }
    }
    if (rank == 0) print_table(collective, m, sizes, ranks);
    measured.push_back(std::move(m));
  }
  if (measured.empty()) {
    if (rank == 0) std::fprintf(stderr, "%s: nothing to measure (--impls %s)\n", kProgram, join(opt.impls).c_str());
    return 1;
  }

  if (rank != 0 || opt.csv_path.empty()) return 0;
  auto csv = ronde::bench::CsvAppender::open(opt.csv_path, kProgram);
  if (!csv) return 1;
  for (const Measured& m : measured) {
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      for (std::size_t i = 0; i < m.impls.size(); ++i) {
        const Result& r = m.results[s][i];
        csv->row("collectives", m.name, m.impls[i], ranks, sizes[s], "seconds_median", r.seconds_median);
        csv->row("collectives", m.name, m.impls[i], ranks, sizes[s], "algbw_GBps", r.algbw_GBps);
        csv->row("collectives", m.name, m.impls[i], ranks, sizes[s], "busbw_GBps", r.busbw_GBps);
      }
    }
  }
  const std::size_t rows = csv->rows();
  if (!csv->close()) return 1;
  std::fprintf(stderr, "%s: appended %zu rows to %s\n", kProgram, rows, opt.csv_path.c_str());
  return 0;
}

int main(int argc, char** argv) {
  // Before MPI is up, print parse errors and --help from one process only.
  Options opt;
  if (auto code = parse_args(argc, argv, opt, ronde::bench::is_first_process())) return *code;
  return ronde::bench::run_with_ronde(&argc, &argv, kProgram,
                                      [&opt](ronde::Context& ctx) { return bench_main(opt, ctx); });
}
