// Optimizer trajectories against torch.optim: tests/golden/optim_golden.txt holds, per case, the
// initial parameters, every gradient fed to torch, and torch's parameters after every step (in
// float64). Each case is replayed through make_optimizer in float64 (tight tolerance) and in
// float32 (float32 tolerance). Regenerate the data with tests/golden/make_optim_golden.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ronde/core/tensor.h"
#include "ronde/optim/optimizer.h"

namespace ronde::optim {
namespace {

struct GoldenTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<double> init;
};

struct GoldenStep {
  std::vector<std::vector<double>> grads;   // per tensor
  std::vector<std::vector<double>> params;  // per tensor, torch's values after the step
};

struct GoldenCase {
  std::string label;
  std::string optimizer;
  OptionMap options;
  std::vector<GoldenTensor> tensors;
  std::vector<GoldenStep> steps;
};

// RONDE_GOLDEN_DIR comes from CMake as an absolute path (not __FILE__, which a compiler cache may
// make relative to the build directory).
std::filesystem::path golden_path() { return std::filesystem::path(RONDE_GOLDEN_DIR) / "optim_golden.txt"; }

double parse_number(const std::string& token, int line) {
  const char* begin = token.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin || *end != '\0') {
    throw std::runtime_error("line " + std::to_string(line) + ": bad number '" + token + "'");
  }
  return value;
}

// Parses the format documented at the top of optim_golden.txt.
std::vector<GoldenCase> parse_golden(std::istream& in) {
  std::vector<GoldenCase> cases;
  GoldenCase* current = nullptr;
  std::string text;
  int line = 0;
  auto fail = [&](const std::string& why) -> void {
    throw std::runtime_error("line " + std::to_string(line) + ": " + why);
  };
  // Reads "<t> <v...>" into the slot for tensor t of `per_tensor`, checking the element count.
  auto read_values = [&](std::istringstream& fields, std::vector<std::vector<double>>& per_tensor) {
    std::size_t index = 0;
    if (!(fields >> index) || index >= current->tensors.size()) fail("bad tensor index");
    std::int64_t numel = 1;
    for (std::int64_t d : current->tensors[index].shape) numel *= d;
    std::vector<double> values;
    std::string token;
    while (fields >> token) values.push_back(parse_number(token, line));
    if (static_cast<std::int64_t>(values.size()) != numel) fail("wrong number of values");
    per_tensor.resize(current->tensors.size());
    per_tensor[index] = std::move(values);
  };

  while (std::getline(in, text)) {
    ++line;
    if (text.empty() || text[0] == '#') continue;
    std::istringstream fields(text);
    std::string keyword;
    fields >> keyword;
    if (keyword == "case") {
      if (current) fail("case inside a case");
      cases.emplace_back();
      current = &cases.back();
      if (!(fields >> current->label >> current->optimizer)) fail("case needs a label and an optimizer");
      continue;
    }
    if (!current) fail("'" + keyword + "' outside a case");
    if (keyword == "option") {
      std::string key, value;
      if (!(fields >> key >> value)) fail("option needs a name and a value");
      current->options[key] = value;
    } else if (keyword == "tensor") {
      GoldenTensor tensor;
      std::string dims;
      if (!(fields >> tensor.name >> dims)) fail("tensor needs a name and a shape");
      std::istringstream dim_fields(dims);
      std::string dim;
      while (std::getline(dim_fields, dim, ',')) tensor.shape.push_back(std::stoll(dim));
      current->tensors.push_back(std::move(tensor));
    } else if (keyword == "init") {
      std::vector<std::vector<double>> inits;
      for (const auto& t : current->tensors) inits.push_back(t.init);
      read_values(fields, inits);
      for (std::size_t i = 0; i < inits.size(); ++i) current->tensors[i].init = std::move(inits[i]);
    } else if (keyword == "step") {
      std::size_t k = 0;
      if (!(fields >> k) || k != current->steps.size() + 1) fail("steps must be numbered 1, 2, ...");
      current->steps.emplace_back();
    } else if (keyword == "grad" || keyword == "param") {
      if (current->steps.empty()) fail("'" + keyword + "' before the first step");
      GoldenStep& step = current->steps.back();
      read_values(fields, keyword == "grad" ? step.grads : step.params);
    } else if (keyword == "end") {
      for (const auto& t : current->tensors) {
        if (t.init.empty()) fail("case " + current->label + ": tensor " + t.name + " has no init");
      }
      for (const auto& s : current->steps) {
        if (s.grads.size() != current->tensors.size() || s.params.size() != current->tensors.size()) {
          fail("case " + current->label + ": a step lacks grads or params");
        }
        for (std::size_t i = 0; i < current->tensors.size(); ++i) {
          if (s.grads[i].empty() || s.params[i].empty()) fail("case " + current->label + ": missing values");
        }
      }
      current = nullptr;
    } else {
      fail("unknown keyword '" + keyword + "'");
    }
  }
  if (current) throw std::runtime_error("unterminated case " + current->label);
  return cases;
}

struct GoldenData {
  std::vector<GoldenCase> cases;
  std::string error;  // empty when the file was read and parsed
};

const GoldenData& golden() {
  static const GoldenData data = [] {
    GoldenData d;
    std::ifstream in(golden_path());
    if (!in) {
      d.error = "cannot open " + golden_path().string();
      return d;
    }
    try {
      d.cases = parse_golden(in);
    } catch (const std::exception& e) {
      d.error = golden_path().string() + ": " + e.what();
    }
    return d;
  }();
  return data;
}

std::vector<std::string> case_labels() {
  std::vector<std::string> labels;
  for (const auto& c : golden().cases) labels.push_back(c.label);
  return labels;
}

const GoldenCase& find_case(const std::string& label) {
  for (const auto& c : golden().cases) {
    if (c.label == label) return c;
  }
  throw std::runtime_error("no golden case " + label);
}

struct Tolerance {
  double rel;
  double abs;
};

// Replays `golden_case` with parameters of element type T and compares every value after every
// step with torch's. Stops at the first step that mismatches (reporting up to a few elements).
template <class T>
void replay(const GoldenCase& golden_case, Tolerance tol) {
  const std::size_t n = golden_case.tensors.size();
  std::vector<std::vector<T>> values(n), grads(n);
  std::vector<Parameter> params;
  for (std::size_t i = 0; i < n; ++i) {
    const GoldenTensor& t = golden_case.tensors[i];
    values[i].assign(t.init.begin(), t.init.end());
    grads[i].assign(t.init.size(), T(0));
    params.push_back(Parameter{t.name, Tensor(values[i].data(), dtype_of<T>, t.shape),
                               Tensor(grads[i].data(), dtype_of<T>, t.shape)});
  }
  std::unique_ptr<Optimizer> opt = make_optimizer(golden_case.optimizer, golden_case.options, params);
  ASSERT_EQ(opt->name(), golden_case.optimizer);

  double worst = 0.0;  // largest |actual - expected| / (abs + rel * |expected|) seen
  for (std::size_t s = 0; s < golden_case.steps.size(); ++s) {
    const GoldenStep& step = golden_case.steps[s];
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < grads[i].size(); ++j) grads[i][j] = static_cast<T>(step.grads[i][j]);
    }
    opt->step();
    ASSERT_EQ(opt->step_count(), static_cast<std::int64_t>(s + 1));

    int mismatches = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < values[i].size(); ++j) {
        const double expected = step.params[i][j];
        const double actual = static_cast<double>(values[i][j]);
        const double allowed = tol.abs + tol.rel * std::fabs(expected);
        const double diff = std::fabs(actual - expected);
        worst = std::max(worst, diff / allowed);
        if (!(diff <= allowed)) {  // also catches NaN
          if (++mismatches <= 5) {
            ADD_FAILURE() << "case " << golden_case.label << " (" << to_string(dtype_of<T>) << "), step " << s + 1
                          << ", tensor " << golden_case.tensors[i].name << ", index " << j << ": expected "
                          << std::setprecision(17) << expected << ", actual " << actual << " (difference " << diff
                          << ", allowed " << allowed << ")";
          }
        }
      }
    }
    if (mismatches > 0) {
      ADD_FAILURE() << "case " << golden_case.label << " (" << to_string(dtype_of<T>) << "): " << mismatches
                    << " mismatching values at step " << s + 1 << "; later steps not compared";
      return;
    }
  }
  ::testing::Test::RecordProperty("worst_fraction_of_tolerance", std::to_string(worst));
}

TEST(OptimizerGoldenTest, DataFileParses) {
  const GoldenData& data = golden();
  ASSERT_TRUE(data.error.empty()) << data.error;
  EXPECT_GE(data.cases.size(), 9u);
  for (const auto& c : data.cases) {
    EXPECT_FALSE(c.steps.empty()) << c.label;
    EXPECT_FALSE(c.tensors.empty()) << c.label;
  }
}

class OptimizerGoldenCaseTest : public ::testing::TestWithParam<std::string> {};

// Float64 parameters follow torch's float64 trajectory to within a few ulps per step: the
// operations are the same, but their grouping (e.g. lr / bias_correction folded into one scale)
// may differ, so exact equality is not required.
TEST_P(OptimizerGoldenCaseTest, Float64MatchesTorch) {
  replay<double>(find_case(GetParam()), Tolerance{1e-12, 1e-14});
}

// Float32 parameters (and gradients rounded to float32) against torch's float64 trajectory:
// rounding errors of about 6e-8 per operation accumulate over the steps.
TEST_P(OptimizerGoldenCaseTest, Float32MatchesTorch) {
  replay<float>(find_case(GetParam()), Tolerance{1e-5, 1e-5});
}

INSTANTIATE_TEST_SUITE_P(Torch, OptimizerGoldenCaseTest, ::testing::ValuesIn(case_labels()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
// When the data file is missing, DataFileParses fails; the parameterized tests have no cases.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OptimizerGoldenCaseTest);

}  // namespace
}  // namespace ronde::optim
