// ronde-ps-server: one shard of a parameter-server job, a thin command line over ronde::ps::Server.
//
// Exit status: 0 after --help or a graceful shutdown (SIGTERM/SIGINT: calls in flight finish, a
// final checkpoint is written); 2 for a bad command line; 1 when the server cannot start (TLS
// files, token file, address in use, a checkpoint for another server count, ...).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstring>
#include <iostream>
#include <string_view>
#include <thread>

#include "ronde/core/error.h"
#include "ronde/ps/server.h"

namespace {

constexpr int kExitStartFailed = 1;
constexpr int kExitUsage = 2;

// The server handles megabyte buffers on every call (push staging, gRPC's message buffers, pull
// chunks). By default glibc serves such sizes with mmap and hands freed memory back to the kernel,
// so the next call page-faults it in again, zeroed: measured as 15-30% of the server's time at
// 128 MiB models. Keeping them in the heap (and not trimming it) avoids that; the memory stays
// with the process, which holds the model anyway.
constexpr int kKeepInHeapBytes = 256 << 20;

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, kKeepInHeapBytes);
  mallopt(M_TRIM_THRESHOLD, kKeepInHeapBytes);
  if (wants_help(argc, argv)) {
    std::cout << ronde::ps::ServerOptions::help_text();
    return 0;
  }
  ronde::ps::ServerOptions options;
  try {
    options = ronde::ps::ServerOptions::parse(argc, argv);
  } catch (const ronde::Error& error) {
    std::cerr << "ronde-ps-server: " << error.message() << "\nTry 'ronde-ps-server --help' for the options.\n";
    return kExitUsage;
  }

  // SIGTERM and SIGINT are blocked in every thread (gRPC's included: they inherit this mask) and
  // taken by one thread with sigwait, which then shuts the server down outside any signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  ronde::ps::Server server(options);
  try {
    server.start();
  } catch (const std::exception& error) {
    const auto* ronde_error = dynamic_cast<const ronde::Error*>(&error);
    std::cerr << "ronde-ps-server: cannot start: " << (ronde_error ? ronde_error->message() : error.what()) << "\n";
    return kExitStartFailed;
  }

  std::thread signal_watcher([&] {
    int signal_number = 0;
    while (sigwait(&stop_signals, &signal_number) != 0) {
    }
    std::cerr << "ronde-ps-server: received " << (signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
              << ": shutting down\n";
    server.shutdown(true);
  });
  server.wait();
  signal_watcher.join();
  return 0;
}
