// The S3 tests' main: the whole binary is skipped (exit 77, which CTest reports as a skip) when
// moto_server is not available; the S3Unit tests need no server but run with the rest.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "moto_server.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string filter = ::testing::GTEST_FLAG(filter);
  const bool needs_server = filter.find("S3Unit") == std::string::npos;
  if (const std::string why = ronde::testing::MotoServer::why_unavailable(); needs_server && !why.empty()) {
    std::cout << "skipped: " << why << "\n";
    return 77;
  }
  return RUN_ALL_TESTS();
}
