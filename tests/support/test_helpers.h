// Small helpers shared by ronde's tests: environments from literals, and the one way a test
// expects a ronde::Error.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "ronde/core/env.h"
#include "ronde/core/error.h"

namespace ronde::testing {

// A MapEnvironment from a braced list of name/value pairs ({{"RANK", "0"}} is ambiguous as a
// constructor argument, unambiguous as a map).
inline MapEnvironment env_of(std::map<std::string, std::string, std::less<>> values) {
  return MapEnvironment(std::move(values));
}

// The Error `action` throws; a test failure (and an Internal error) when it throws none.
inline Error error_from(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "expected a ronde::Error";
  return Error(ErrorCode::Internal, "no error thrown");
}

// The message of the Error `action` throws, which must carry `code`: a test failure when it
// throws none (the message is then empty) or one with another code.
inline std::string error_message(ErrorCode code, const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(to_string(error.code()), to_string(code)) << error.what();
    return error.message();
  }
  ADD_FAILURE() << "expected Error(" << to_string(code) << ")";
  return {};
}

}  // namespace ronde::testing
