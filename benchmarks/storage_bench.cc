// storage_bench: checkpoint storage throughput. Uploads and downloads of large objects through
// ronde's S3 backend against `aws s3 cp` to the same S3 server in the same run, ronde's file
// backend against `dd conv=fsync` of the same bytes, and the CPU cost of what the S3 backend
// computes per byte (SHA-256 for SigV4, MD5 for Content-MD5) and per request (the signature).
//
//   build/benchmarks/storage_bench --endpoint http://127.0.0.1:9000 --bucket bench
//       [--sizes 256M,1G] [--iters 3] [--quick] [--file-dir /tmp/ronde-storage-bench]
//       [--impls ronde,awscli,dd] [--csv bench-results/storage.csv]
//
// scripts/bench.sh storage starts a moto_server, creates the bucket and runs this. Credentials
// come from the environment (AWS_ACCESS_KEY_ID, ...), for ronde and the AWS CLI alike.
//
// What is timed: ronde puts from memory and gets into a buffer; the AWS CLI reads its source from a
// file in the page cache and writes downloads to a file (it has no in-memory mode); dd copies the
// source file into the directory and fsyncs; ronde's file backend writes a temporary file, fsyncs
// it and renames it. Each size's implementations take turns within every iteration (ronde and the
// AWS CLI alternate in going first), and each reports the median over iterations. Objects are
// removed after each iteration.
#include <openssl/evp.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/bench_args.h"
#include "common/bench_csv.h"
#include "common/bench_format.h"
#include "ronde/checkpoint/storage.h"
#include "ronde/core/error.h"
#include "s3/hashing.h"
#include "s3/sigv4.h"

namespace {

using ronde::bench::GiB;
using ronde::bench::MiB;
namespace fs = std::filesystem;

struct Options {
  std::string endpoint;
  std::string bucket;
  std::vector<std::size_t> sizes = {256 * MiB, 1 * GiB};
  int iters = 3;
  bool quick = false;
  std::string file_dir = "/tmp/ronde-storage-bench";
  std::vector<std::string> impls = {"ronde", "awscli", "dd"};
  std::string csv;
};

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of this process (all threads), user + system.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::vector<std::byte> pattern(std::size_t size) {
  std::vector<std::byte> bytes(size);
  std::mt19937_64 random(12345);
  for (std::size_t i = 0; i + 8 <= size; i += 8) {
    const std::uint64_t word = random();
    std::memcpy(bytes.data() + i, &word, 8);
  }
  return bytes;
}

void run_shell(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

// Seconds to run a shell command.
double time_shell(const std::string& command) {
  const double start = now_seconds();
  run_shell(command);
  return now_seconds() - start;
}

struct Measurements {
  // [case][impl] -> seconds of each iteration
  std::map<std::string, std::map<std::string, std::vector<double>>> seconds;
  std::map<std::string, std::vector<double>> ronde_cpu;  // [case] -> process CPU seconds
};

Options parse(int argc, char** argv) {
  Options options;
  ronde::bench::ArgCursor args(argc, argv);
  bool sizes_given = false, iters_given = false;
  while (args.next()) {
    const auto name = args.name();
    auto value = [&] {
      const auto v = args.value();
      if (!v) throw std::runtime_error(std::string(name) + " needs a value");
      return std::string(*v);
    };
    if (name == "--endpoint") {
      options.endpoint = value();
    } else if (name == "--bucket") {
      options.bucket = value();
    } else if (name == "--sizes") {
      options.sizes.clear();
      for (const auto& item : ronde::bench::split_list(value())) {
        const auto size = ronde::bench::parse_size(item);
        if (!size || *size == 0) throw std::runtime_error("bad size '" + item + "'");
        options.sizes.push_back(*size);
      }
      sizes_given = true;
    } else if (name == "--iters") {
      const auto n = ronde::bench::parse_int(value(), 1);
      if (!n) throw std::runtime_error("--iters needs a count of at least 1");
      options.iters = *n;
      iters_given = true;
    } else if (name == "--quick") {
      options.quick = true;
    } else if (name == "--file-dir") {
      options.file_dir = value();
    } else if (name == "--impls") {
      options.impls = ronde::bench::split_list(value());
    } else if (name == "--csv") {
      options.csv = value();
    } else if (name == "--help" || name == "-h") {
      std::printf("usage: storage_bench --endpoint URL --bucket NAME [--sizes 256M,1G] [--iters 3] [--quick]\n"
                  "                     [--file-dir DIR] [--impls ronde,awscli,dd] [--csv PATH]\n");
      std::exit(0);
    } else {
      throw std::runtime_error("unknown argument '" + std::string(args.arg()) + "'");
    }
  }
  if (options.quick) {
    if (!sizes_given) options.sizes = {32 * MiB, 128 * MiB};
    if (!iters_given) options.iters = 1;
  }
  if (options.endpoint.empty() || options.bucket.empty()) throw std::runtime_error("--endpoint and --bucket are required");
  return options;
}

// CPU seconds per GiB of SHA-256 and MD5 on one core, and of signing the requests of 1 GiB in the
// default part size (8 MiB: 128 UploadPart requests).
std::map<std::string, double> hashing_costs(const std::vector<std::byte>& data) {
  std::map<std::string, double> costs;
  const double gib = static_cast<double>(data.size()) / static_cast<double>(GiB);
  double start = thread_cpu_seconds();
  const std::string sha = ronde::s3::sha256_hex(data);
  costs["sha256"] = (thread_cpu_seconds() - start) / gib;
  start = thread_cpu_seconds();
  const auto md5 = ronde::s3::md5(data);
  costs["md5"] = (thread_cpu_seconds() - start) / gib;
  const ronde::s3::Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  const int requests = 128;
  start = thread_cpu_seconds();
  for (int i = 0; i < requests; ++i) {
    const ronde::s3::RequestToSign request{"PUT", "127.0.0.1:9000", "/bench/run/shard-0",
                                           {{"partNumber", std::to_string(i + 1)}, {"uploadId", "2~abcdefghijklmnop"}},
                                           {{"Content-Type", "application/octet-stream"}}, sha};
    ronde::s3::sign_v4(request, credentials, "us-east-1", "s3", ronde::s3::amz_date_now());
  }
  costs["sigv4_sign"] = thread_cpu_seconds() - start;  // 128 requests = one GiB in 8 MiB parts
  if (md5.hex.empty()) costs.clear();
  return costs;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "storage_bench: %s (try --help)\n", error.what());
    return 2;
  }
  if (!options.csv.empty() && !ronde::bench::CsvAppender::can_append(options.csv, "storage_bench")) return 1;
  const bool with_aws = ronde::bench::contains(options.impls, "awscli");
  const bool with_dd = ronde::bench::contains(options.impls, "dd");
  const std::string aws_env = "AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true ";
  const std::string aws = aws_env + "aws --endpoint-url " + options.endpoint + " s3 ";
  const std::string quiet = " --only-show-errors";

  std::map<std::size_t, Measurements> results;
  std::map<std::string, double> costs;
  try {
    fs::create_directories(options.file_dir);
    const std::string s3_root = "s3://" + options.bucket + "/storage-bench?endpoint=" + options.endpoint;
    auto s3 = ronde::checkpoint::open_storage(s3_root);
    auto file = ronde::checkpoint::open_storage("file://" + fs::absolute(options.file_dir).string() + "/ronde");
    const std::string dd_dir = options.file_dir + "/dd";
    fs::create_directories(dd_dir);

    for (const std::size_t size : options.sizes) {
      const auto data = pattern(size);
      const std::string source = options.file_dir + "/source.bin";
      const std::string download = options.file_dir + "/download.bin";
      {
        std::ofstream out(source, std::ios::binary);
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
      }
      std::vector<std::byte> buffer(size, std::byte{1});  // touched: no page faults inside the timing
      const std::string object = "object-" + std::to_string(size);
      const std::string aws_uri = "s3://" + options.bucket + "/storage-bench/aws-" + std::to_string(size);
      Measurements& m = results[size];

      for (int iter = 0; iter < options.iters; ++iter) {
        std::fprintf(stderr, "[storage] %s, iteration %d of %d\n", ronde::bench::human_bytes(size).c_str(), iter + 1,
                     options.iters);
        // S3 upload and download, ronde and the AWS CLI (same server, same bytes), taking turns at
        // going first: the server's state (memory, garbage) drifts over a run.
        auto ronde_s3 = [&] {
          double cpu = process_cpu_seconds();
          double start = now_seconds();
          s3->put(object, data);
          m.seconds["upload_s3"]["ronde"].push_back(now_seconds() - start);
          m.ronde_cpu["upload_s3"].push_back(process_cpu_seconds() - cpu);
          cpu = process_cpu_seconds();
          start = now_seconds();
          const std::size_t got = s3->get(object, buffer);
          m.seconds["download_s3"]["ronde"].push_back(now_seconds() - start);
          m.ronde_cpu["download_s3"].push_back(process_cpu_seconds() - cpu);
          if (got != size || buffer != data) throw std::runtime_error("ronde downloaded different bytes");
          s3->remove(object);
        };
        auto aws_s3 = [&] {
          if (!with_aws) return;
          m.seconds["upload_s3"]["awscli"].push_back(time_shell(aws + "cp " + source + " " + aws_uri + quiet));
          m.seconds["download_s3"]["awscli"].push_back(time_shell(aws + "cp " + aws_uri + " " + download + quiet));
          if (fs::file_size(download) != size) throw std::runtime_error("aws s3 cp downloaded a different size");
          fs::remove(download);
          run_shell(aws + "rm " + aws_uri + quiet);
        };
        if (iter % 2 == 0) {
          ronde_s3();
          aws_s3();
        } else {
          aws_s3();
          ronde_s3();
        }

        // Local directory: ronde's file backend and dd, both fsynced.
        const double start = now_seconds();
        file->put(object, data);
        m.seconds["upload_file"]["ronde"].push_back(now_seconds() - start);
        file->remove(object);
        if (with_dd) {
          m.seconds["upload_file"]["dd"].push_back(
              time_shell("dd if=" + source + " of=" + dd_dir + "/dd.bin bs=4M conv=fsync status=none"));
          fs::remove(dd_dir + "/dd.bin");
        }
      }
      fs::remove(source);
    }
    costs = hashing_costs(pattern(256 * MiB));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "storage_bench: %s\n", error.what());
    return 1;
  }

  // The table, and the CSV.
  auto csv = options.csv.empty() ? std::optional<ronde::bench::CsvAppender>()
                                  : ronde::bench::CsvAppender::open(options.csv, "storage_bench");
  if (!options.csv.empty() && !csv) return 1;
  std::printf("\ncheckpoint storage, median of %d; S3 server %s\n\n", options.iters, options.endpoint.c_str());
  std::printf("%-12s %9s %-7s %9s %8s %12s %8s\n", "case", "size", "impl", "seconds", "GB/s", "ronde CPU s", "speedup");
  for (const auto& [size, m] : results) {
    for (const auto& [case_name, impls] : m.seconds) {
      const double ronde_seconds = ronde::bench::median(impls.at("ronde"));
      for (const auto& [impl, seconds] : impls) {
        const double t = ronde::bench::median(seconds);
        const double gbps = static_cast<double>(size) / t / 1e9;
        std::string cpu_text = "";
        if (impl == "ronde" && m.ronde_cpu.count(case_name)) {
          const double cpu = ronde::bench::median(m.ronde_cpu.at(case_name));
          cpu_text = std::to_string(cpu).substr(0, 5);
          if (csv) csv->row("storage", case_name, impl, 1, size, "cpu_seconds_per_GiB", cpu * static_cast<double>(GiB) / static_cast<double>(size));
        }
        const std::string speedup = impl == "ronde" ? "" : std::to_string(t / ronde_seconds).substr(0, 4) + "x";
        std::printf("%-12s %9s %-7s %9.3f %8.3f %12s %8s\n", case_name.c_str(), ronde::bench::human_bytes(size).c_str(),
                    impl.c_str(), t, gbps, cpu_text.c_str(), speedup.c_str());
        if (csv) {
          csv->row("storage", case_name, impl, 1, size, "seconds_median", t);
          csv->row("storage", case_name, impl, 1, size, "GBps", gbps);
          if (impl != "ronde") csv->row("storage", case_name, "ronde_over_" + impl, 1, size, "speedup", t / ronde_seconds);
        }
      }
    }
  }
  std::printf("\nCPU cost on one core (what the S3 backend computes; SHA-256 and signatures run on the part threads):\n");
  for (const auto& [what, seconds] : costs) {
    std::printf("  %-11s %7.3f CPU s per GiB%s\n", what.c_str(), seconds,
                what == "sigv4_sign" ? " (128 requests of 8 MiB)" : what == "md5" ? " (single-part puts only)" : "");
    if (csv) csv->row("storage", what, "ronde", 1, GiB, "cpu_seconds_per_GiB", seconds);
  }
  std::printf("\n");
  if (csv && !csv->close()) return 1;
  return 0;
}
