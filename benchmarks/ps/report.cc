#include "ps/report.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "common/bench_csv.h"
#include "common/bench_format.h"
#include "ps/setup.h"

namespace ronde::bench::ps {
namespace {

// Medians of one implementation in one case: push, pull, and push+pull per iteration.
struct Summary {
  double push = 0;
  double pull = 0;
  double total = 0;
};

std::optional<Summary> summarize(const Measured& measured, const std::string& impl) {
  const auto found = measured.impls.find(impl);
  if (found == measured.impls.end() || found->second.push.empty()) return std::nullopt;
  const Timings& t = found->second;
  std::vector<double> totals;
  for (std::size_t i = 0; i < t.push.size(); ++i) totals.push_back(t.push[i] + t.pull[i]);
  return Summary{median(t.push), median(t.pull), median(totals)};
}

std::string ratio_text(std::optional<double> ratio) {
  if (!ratio) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", *ratio);
  return buf;
}

std::string ms_text(const std::optional<Summary>& s, double Summary::*field) {
  if (!s) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", (*s).*field * 1e3);
  return buf;
}

std::string gbps_text(const std::optional<Summary>& s, std::size_t bytes) {
  if (!s) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", 2.0 * static_cast<double>(bytes) / s->total / 1e9);
  return buf;
}

}  // namespace

bool report(const ReportContext& context, const Results& results) {
  auto csv = context.csv.empty() ? std::optional<CsvAppender>() : CsvAppender::open(context.csv, "ps_bench");
  if (!context.csv.empty() && !csv) return false;
  const auto& modes = security_modes();

  std::printf("\nparameter server push+pull vs a bare gRPC stream of the same bytes (medians, ms; GB/s = bytes "
              "pushed + pulled per second)\n");
  std::printf("servers: --mode %s --optimizer %s, 1 worker; partitions %s, chunks %s; ronde: %d connection%s per "
              "server, grpc: 1 stream per server; a bearer token on every call\n\n",
              context.mode.c_str(), context.optimizer.c_str(), human_bytes(context.partition_bytes).c_str(),
              human_bytes(context.chunk_bytes).c_str(), context.connections, context.connections == 1 ? "" : "s");
  std::printf("%7s %8s %-5s %5s | %8s %8s %8s %7s | %8s %8s %8s %7s | %10s | %11s %10s\n", "servers", "model", "sec",
              "iters", "push", "pull", "ronde", "GB/s", "upload", "download", "grpc", "GB/s", "ronde/grpc",
              "ronde/plain", "grpc/plain");
  for (const auto& [key, measured] : results) {
    const std::string& security = modes[static_cast<std::size_t>(key.security)].name;
    const std::string case_name = "push_pull_" + security;
    const auto ronde = summarize(measured, "ronde");
    const auto grpc = summarize(measured, "grpc");
    std::optional<double> ceiling_ratio, ronde_vs_plain, grpc_vs_plain;
    if (ronde && grpc) ceiling_ratio = grpc->total / ronde->total;
    if (key.security != 0) {
      if (const auto plain = results.find(Case{key.servers, key.bytes, 0}); plain != results.end()) {
        const auto plain_ronde = summarize(plain->second, "ronde");
        const auto plain_grpc = summarize(plain->second, "grpc");
        if (ronde && plain_ronde) ronde_vs_plain = plain_ronde->total / ronde->total;
        if (grpc && plain_grpc) grpc_vs_plain = plain_grpc->total / grpc->total;
      }
    }
    std::printf("%7d %8s %-5s %5d | %8s %8s %8s %7s | %8s %8s %8s %7s | %10s | %11s %10s\n", key.servers,
                human_bytes(key.bytes).c_str(), security.c_str(), measured.iters, ms_text(ronde, &Summary::push).c_str(),
                ms_text(ronde, &Summary::pull).c_str(), ms_text(ronde, &Summary::total).c_str(),
                gbps_text(ronde, key.bytes).c_str(), ms_text(grpc, &Summary::push).c_str(),
                ms_text(grpc, &Summary::pull).c_str(), ms_text(grpc, &Summary::total).c_str(),
                gbps_text(grpc, key.bytes).c_str(), ratio_text(ceiling_ratio).c_str(),
                ratio_text(ronde_vs_plain).c_str(), ratio_text(grpc_vs_plain).c_str());
    if (!csv) continue;
    for (const auto& [impl, summary] : {std::pair{"ronde", ronde}, std::pair{"grpc", grpc}}) {
      if (!summary) continue;
      csv->row("ps", case_name, impl, key.servers, key.bytes, "seconds_median", summary->total);
      csv->row("ps", case_name, impl, key.servers, key.bytes, "push_seconds_median", summary->push);
      csv->row("ps", case_name, impl, key.servers, key.bytes, "pull_seconds_median", summary->pull);
      csv->row("ps", case_name, impl, key.servers, key.bytes, "GBps",
               2.0 * static_cast<double>(key.bytes) / summary->total / 1e9);
    }
    if (ceiling_ratio) csv->row("ps", case_name, "ronde_over_grpc", key.servers, key.bytes, "ratio", *ceiling_ratio);
    if (ronde_vs_plain) csv->row("ps", case_name, "ronde_over_plain", key.servers, key.bytes, "ratio", *ronde_vs_plain);
    if (grpc_vs_plain) csv->row("ps", case_name, "grpc_over_plain", key.servers, key.bytes, "ratio", *grpc_vs_plain);
  }

  // The bar, at the largest size measured (128 MiB by default).
  std::size_t largest = 0;
  for (const auto& [key, measured] : results) largest = std::max(largest, key.bytes);
  std::printf("\nbar at %s: plaintext ronde >= 0.70 of the gRPC ceiling; TLS ronde >= 0.50 of plaintext ronde\n",
              human_bytes(largest).c_str());
  for (const auto& [key, measured] : results) {
    if (key.bytes != largest || key.security != 0) continue;
    const auto ronde = summarize(measured, "ronde");
    if (!ronde) continue;
    std::vector<std::string> verdicts;
    char buf[128];
    if (const auto grpc = summarize(measured, "grpc")) {
      const double ratio = grpc->total / ronde->total;
      std::snprintf(buf, sizeof buf, "plaintext ronde/grpc %.2f (%s)", ratio, ratio >= 0.70 ? "met" : "MISSED");
      verdicts.emplace_back(buf);
    }
    for (int security = 1; security < static_cast<int>(modes.size()); ++security) {
      const auto secured = results.find(Case{key.servers, largest, security});
      if (secured == results.end()) continue;
      if (const auto s = summarize(secured->second, "ronde")) {
        const double ratio = ronde->total / s->total;
        std::snprintf(buf, sizeof buf, "%s/plaintext %.2f (%s)", modes[static_cast<std::size_t>(security)].name.c_str(),
                      ratio, ratio >= 0.50 ? "met" : "MISSED");
        verdicts.emplace_back(buf);
        // The same ratio for the bare gRPC stream (what gRPC's TLS allows on this machine), and
        // ronde's secured push+pull against the bare stream's in the same mode.
        const auto plain_grpc = summarize(measured, "grpc");
        const auto secured_grpc = summarize(secured->second, "grpc");
        if (plain_grpc && secured_grpc) {
          std::snprintf(buf, sizeof buf, " [bare gRPC: %.2f; ronde/grpc in %s: %.2f]",
                        plain_grpc->total / secured_grpc->total, modes[static_cast<std::size_t>(security)].name.c_str(),
                        secured_grpc->total / s->total);
          verdicts.back() += buf;
        }
      }
    }
    std::string line;
    for (const auto& verdict : verdicts) line += (line.empty() ? " " : "; ") + verdict;
    std::printf("  %d server%s:%s", key.servers, key.servers == 1 ? "" : "s", line.c_str());
    std::printf("\n");
  }
  std::printf("\n");
  std::fflush(stdout);
  return !csv || csv->close();
}

}  // namespace ronde::bench::ps
