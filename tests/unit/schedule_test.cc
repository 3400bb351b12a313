// Learning-rate schedules: values against formulas written out here, numbers computed by hand,
// and numbers produced by torch's own schedulers; boundaries; argument errors.
#include "ronde/optim/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "ronde/core/error.h"
#include "support/test_helpers.h"

namespace {

using ronde::Error;
using ronde::ErrorCode;
using ronde::testing::error_from;
using ::testing::HasSubstr;
namespace optim = ronde::optim;

constexpr double pi = std::numbers::pi;

// Checks every step in [0, steps) against `expected`, to a relative 1e-12.
template <class Reference>
void expect_matches(const optim::LrSchedule& schedule, std::int64_t steps, Reference expected) {
  for (std::int64_t step = 0; step < steps; ++step) {
    const double want = expected(step);
    EXPECT_NEAR(schedule.lr(step), want, 1e-12 * std::abs(want)) << "step " << step;
  }
}

// Values from a torch scheduler's get_last_lr(), one per step from 0; torch's recursive updates
// leave a few ulps of rounding, hence the tolerance.
void expect_torch_values(const optim::LrSchedule& schedule, const std::vector<double>& torch_values) {
  for (std::size_t step = 0; step < torch_values.size(); ++step) {
    EXPECT_NEAR(schedule.lr(static_cast<std::int64_t>(step)), torch_values[step], 1e-12 * torch_values[step])
        << "step " << step;
  }
}

// The message of the InvalidArgument error `action` throws.
std::string invalid_argument_from(const std::function<void()>& action) {
  const Error error = error_from(action);
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << error.what();
  return error.message();
}

TEST(ConstantLr, IsTheBaseAtEveryStep) {
  const auto schedule = optim::constant_lr(0.25);
  for (std::int64_t step : {0, 1, 17, 1'000'000'000}) EXPECT_EQ(schedule->lr(step), 0.25);
  EXPECT_EQ(optim::constant_lr(0.0)->lr(3), 0.0);
}

TEST(ConstantLr, RejectsNegativeOrNonFiniteBase) {
  EXPECT_THAT(invalid_argument_from([] { optim::constant_lr(-0.1); }), HasSubstr("constant_lr: base=-0.1"));
  EXPECT_THAT(invalid_argument_from([] { optim::constant_lr(NAN); }), HasSubstr("base=nan"));
  EXPECT_THAT(invalid_argument_from([] { optim::constant_lr(INFINITY); }), HasSubstr("base=inf"));
}

TEST(StepLr, DecaysEveryStepSizeSteps) {
  const auto schedule = optim::step_lr(0.1, 3, 0.5);
  // Hand-computed: 0.1 for steps 0-2, then halved at 3, 6, 9.
  EXPECT_EQ(schedule->lr(0), 0.1);
  EXPECT_EQ(schedule->lr(2), 0.1);
  EXPECT_EQ(schedule->lr(3), 0.05);
  EXPECT_EQ(schedule->lr(5), 0.05);
  EXPECT_EQ(schedule->lr(6), 0.025);
  EXPECT_EQ(schedule->lr(9), 0.0125);
  expect_matches(*schedule, 40, [](std::int64_t step) { return 0.1 * std::pow(0.5, std::floor(step / 3.0)); });
}

TEST(StepLr, RejectsBadArguments) {
  EXPECT_THAT(invalid_argument_from([] { optim::step_lr(0.1, 0, 0.5); }),
              HasSubstr("step_lr: step_size=0 must be positive"));
  EXPECT_THAT(invalid_argument_from([] { optim::step_lr(0.1, -2, 0.5); }), HasSubstr("step_size=-2"));
  EXPECT_THAT(invalid_argument_from([] { optim::step_lr(0.1, 3, 0.0); }), HasSubstr("step_lr: gamma=0"));
  EXPECT_THAT(invalid_argument_from([] { optim::step_lr(0.1, 3, NAN); }), HasSubstr("gamma=nan"));
  EXPECT_THAT(invalid_argument_from([] { optim::step_lr(-1, 3, 0.5); }), HasSubstr("step_lr: base=-1"));
}

TEST(MultiStepLr, DecaysAtEachMilestone) {
  const auto schedule = optim::multi_step_lr(1.0, {2, 5, 9}, 0.5);
  // A milestone counts from its own step on (torch's bisect_right).
  const std::vector<double> expected = {1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125};
  for (std::size_t step = 0; step < expected.size(); ++step) {
    EXPECT_EQ(schedule->lr(static_cast<std::int64_t>(step)), expected[step]) << "step " << step;
  }
  EXPECT_EQ(schedule->lr(1'000'000), 0.125);
  expect_matches(*optim::multi_step_lr(0.3, {1, 4}, 0.1), 10, [](std::int64_t step) {
    return 0.3 * std::pow(0.1, (step >= 1) + (step >= 4));
  });
}

TEST(MultiStepLr, NoMilestonesIsConstantAndMilestoneZeroDecaysFromTheStart) {
  EXPECT_EQ(optim::multi_step_lr(0.1, {}, 0.5)->lr(100), 0.1);
  EXPECT_EQ(optim::multi_step_lr(1.0, {0}, 0.5)->lr(0), 0.5);
}

TEST(MultiStepLr, RejectsMilestonesThatAreNotIncreasing) {
  EXPECT_THAT(invalid_argument_from([] { optim::multi_step_lr(0.1, {3, 3}, 0.5); }),
              HasSubstr("multi_step_lr: milestones[1]=3 must be greater than milestones[0]=3"));
  EXPECT_THAT(invalid_argument_from([] { optim::multi_step_lr(0.1, {2, 7, 5}, 0.5); }),
              HasSubstr("milestones[2]=5"));
  EXPECT_THAT(invalid_argument_from([] { optim::multi_step_lr(0.1, {-1, 5}, 0.5); }),
              HasSubstr("milestones[0]=-1 must be non-negative"));
  EXPECT_THAT(invalid_argument_from([] { optim::multi_step_lr(0.1, {5}, -0.5); }), HasSubstr("gamma=-0.5"));
}

TEST(ExponentialLr, MultipliesByGammaEveryStep) {
  const auto schedule = optim::exponential_lr(2.0, 0.5);
  EXPECT_EQ(schedule->lr(0), 2.0);
  EXPECT_EQ(schedule->lr(1), 1.0);
  EXPECT_EQ(schedule->lr(3), 0.25);
  expect_matches(*optim::exponential_lr(0.1, 0.95), 200, [](std::int64_t step) { return 0.1 * std::pow(0.95, step); });
}

TEST(ExponentialLr, RejectsBadArguments) {
  EXPECT_THAT(invalid_argument_from([] { optim::exponential_lr(0.1, 0); }), HasSubstr("exponential_lr: gamma=0"));
  EXPECT_THAT(invalid_argument_from([] { optim::exponential_lr(0.1, INFINITY); }), HasSubstr("gamma=inf"));
  EXPECT_THAT(invalid_argument_from([] { optim::exponential_lr(-3, 0.9); }), HasSubstr("base=-3"));
}

TEST(LinearWarmupLr, RisesLinearlyFromStartFactorThenStaysAtBase) {
  const auto schedule = optim::linear_warmup_lr(1.0, 4, 0.25);
  // Hand-computed: 0.25 + 0.75 * step / 4.
  EXPECT_EQ(schedule->lr(0), 0.25);
  EXPECT_EQ(schedule->lr(1), 0.4375);
  EXPECT_EQ(schedule->lr(2), 0.625);
  EXPECT_EQ(schedule->lr(3), 0.8125);
  EXPECT_EQ(schedule->lr(4), 1.0);  // end of warmup
  EXPECT_EQ(schedule->lr(500), 1.0);
  expect_matches(*optim::linear_warmup_lr(0.3, 10, 0.1), 30, [](std::int64_t step) {
    return 0.3 * (0.1 + 0.9 * static_cast<double>(std::min<std::int64_t>(step, 10)) / 10.0);
  });
}

TEST(LinearWarmupLr, MatchesTorchLinearLR) {
  // torch 1.13.0 LinearLR(SGD(lr=0.1), start_factor=0.25, total_iters=4): get_last_lr() per step.
  expect_torch_values(*optim::linear_warmup_lr(0.1, 4, 0.25),
                      {0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002,
                       0.10000000000000002, 0.10000000000000002});
}

TEST(LinearWarmupLr, ZeroWarmupStepsIsTheBase) { EXPECT_EQ(optim::linear_warmup_lr(0.1, 0, 0.5)->lr(0), 0.1); }

TEST(LinearWarmupLr, RejectsBadArguments) {
  EXPECT_THAT(invalid_argument_from([] { optim::linear_warmup_lr(0.1, 4, 0.0); }),
              HasSubstr("linear_warmup_lr: start_factor=0 must be in (0, 1]"));
  EXPECT_THAT(invalid_argument_from([] { optim::linear_warmup_lr(0.1, 4, 1.5); }), HasSubstr("start_factor=1.5"));
  EXPECT_THAT(invalid_argument_from([] { optim::linear_warmup_lr(0.1, 4, NAN); }), HasSubstr("start_factor=nan"));
  EXPECT_THAT(invalid_argument_from([] { optim::linear_warmup_lr(0.1, -1, 0.5); }),
              HasSubstr("warmup_steps=-1 must be non-negative"));
  EXPECT_THAT(invalid_argument_from([] { optim::linear_warmup_lr(-0.1, 4, 0.5); }), HasSubstr("base=-0.1"));
}

TEST(CosineLr, AnnealsFromBaseToMinLr) {
  const auto schedule = optim::cosine_lr(1.0, 10, 0.0);
  // Hand-computed: (1 + cos(pi * step / 10)) / 2.
  EXPECT_EQ(schedule->lr(0), 1.0);
  EXPECT_DOUBLE_EQ(schedule->lr(5), 0.5);
  EXPECT_EQ(schedule->lr(10), 0.0);  // end of total_steps
  EXPECT_EQ(schedule->lr(11), 0.0);
  expect_matches(*optim::cosine_lr(0.1, 50, 0.002), 50, [](std::int64_t step) {
    return 0.002 + 0.098 * 0.5 * (1 + std::cos(pi * static_cast<double>(step) / 50.0));
  });
}

TEST(CosineLr, MatchesTorchCosineAnnealingLR) {
  // torch 1.13.0 CosineAnnealingLR(SGD(lr=0.1), T_max=10, eta_min=0.001): get_last_lr() per step.
  expect_torch_values(*optim::cosine_lr(0.1, 10, 0.001),
                      {0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505,
                       0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001});
}

TEST(CosineLr, WarmsUpLinearlyFromZeroExclusive) {
  const auto schedule = optim::cosine_lr(0.1, 10, 0.001, 3);
  // torch 1.13.0 SequentialLR(SGD(lr=0.1), [LinearLR(start_factor=1/3, total_iters=2),
  // CosineAnnealingLR(T_max=7, eta_min=0.001)], milestones=[3]): get_last_lr() per step.
  expect_torch_values(*schedule, {0.03333333333333333, 0.06666666666666667, 0.1, 0.1, 0.09509795896116975,
                                  0.08136274519200731, 0.061514786230837566, 0.03948521376916245, 0.019637254807992697,
                                  0.005902041038830259, 0.001});
  EXPECT_DOUBLE_EQ(schedule->lr(0), 0.1 / 3);  // the first step gets base / warmup_steps
  EXPECT_EQ(schedule->lr(2), 0.1);              // last warmup step reaches base
  EXPECT_EQ(schedule->lr(3), 0.1);              // the cosine starts at base
  EXPECT_EQ(schedule->lr(10), 0.001);
  EXPECT_EQ(schedule->lr(1000), 0.001);
  expect_matches(*optim::cosine_lr(2.0, 100, 0.5, 20), 120, [](std::int64_t step) {
    if (step < 20) return 2.0 * static_cast<double>(step + 1) / 20.0;
    if (step >= 100) return 0.5;
    return 0.5 + 1.5 * 0.5 * (1 + std::cos(pi * static_cast<double>(step - 20) / 80.0));
  });
}

TEST(CosineLr, RejectsBadArguments) {
  EXPECT_THAT(invalid_argument_from([] { optim::cosine_lr(0.1, 0); }),
              HasSubstr("cosine_lr: total_steps=0 must be positive"));
  EXPECT_THAT(invalid_argument_from([] { optim::cosine_lr(0.1, 10, 0.0, 10); }),
              HasSubstr("cosine_lr: warmup_steps=10 must be less than total_steps=10"));
  EXPECT_THAT(invalid_argument_from([] { optim::cosine_lr(0.1, 10, 0.0, -1); }), HasSubstr("warmup_steps=-1"));
  EXPECT_THAT(invalid_argument_from([] { optim::cosine_lr(0.1, 10, -0.01); }), HasSubstr("min_lr=-0.01"));
  EXPECT_THAT(invalid_argument_from([] { optim::cosine_lr(NAN, 10); }), HasSubstr("base=nan"));
}

// torch OneCycleLR (cos, two phases) written out: phase 1 ends at pct_start * total - 1, phase 2
// at total - 1, each annealed as end + (start - end) / 2 * (cos(pi * pct) + 1).
double one_cycle_reference(double max_lr, std::int64_t total, double pct_start, double div, double final_div,
                           std::int64_t step) {
  const double initial = max_lr / div;
  const double min_lr = initial / final_div;
  const double phase1_end = pct_start * static_cast<double>(total) - 1;
  const double phase2_end = static_cast<double>(total) - 1;
  const double s = static_cast<double>(step);
  auto anneal = [](double from, double to, double pct) { return to + (from - to) / 2 * (std::cos(pi * pct) + 1); };
  if (s <= phase1_end) return anneal(initial, max_lr, s / phase1_end);
  return anneal(max_lr, min_lr, (s - phase1_end) / (phase2_end - phase1_end));
}

TEST(OneCycleLr, RisesToMaxLrThenAnnealsToTheMinimum) {
  const auto schedule = optim::one_cycle_lr(0.1, 10);  // pct_start 0.3: phase 1 ends at step 2
  // Hand-computed: initial 0.1 / 25 = 0.004, minimum 0.004 / 1e4 = 4e-7; step 1 is half way up
  // (cos(pi / 2) + 1 = 1): 0.1 + (0.004 - 0.1) / 2 = 0.052.
  EXPECT_NEAR(schedule->lr(0), 0.004, 1e-17);
  EXPECT_NEAR(schedule->lr(1), 0.052, 1e-17);
  EXPECT_EQ(schedule->lr(2), 0.1);   // end of phase 1
  EXPECT_EQ(schedule->lr(9), 4e-7);  // end of total_steps
  EXPECT_EQ(schedule->lr(10), 4e-7);  // past the end: stays at the final value
  EXPECT_EQ(schedule->lr(1'000'000), 4e-7);
  // torch 1.13.0 OneCycleLR(SGD(lr=0.1, momentum=0.9), max_lr=0.1, total_steps=10): get_last_lr() per step.
  expect_torch_values(*schedule, {0.0040000000000000036, 0.052000000000000005, 0.1, 0.09504846320134738,
                                  0.0811745653949763, 0.06112620219362893, 0.03887419780637107, 0.0188258346050237,
                                  0.004951936798652629, 4e-07});
}

TEST(OneCycleLr, HandlesAFractionalPhaseBoundary) {
  // pct_start 0.25 of 10 steps: phase 1 ends at step 1.5, so step 1 is 2/3 of the way up and step
  // 2 is 0.5 / 7.5 into phase 2. Hand-computed step 1: 0.1 - 0.048 * (cos(2 pi / 3) + 1) = 0.076.
  const auto schedule = optim::one_cycle_lr(0.1, 10, 0.25);
  EXPECT_NEAR(schedule->lr(1), 0.076, 1e-16);
  EXPECT_NEAR(schedule->lr(2), 4e-7 + (0.1 - 4e-7) / 2 * (std::cos(pi / 15) + 1), 1e-16);
  // torch 1.13.0 OneCycleLR(SGD(lr=0.1, momentum=0.9), max_lr=0.1, total_steps=10, pct_start=0.25).
  expect_torch_values(*schedule, {0.0040000000000000036, 0.076, 0.09890738440717015, 0.0904508879153485, 0.0750001,
                                  0.05522660225769002, 0.03454941208465151, 0.01654380350817838,
                                  0.0043231098269614805, 4e-07});
  // torch 1.13.0 OneCycleLR(SGD(lr=0.1, momentum=0.9), max_lr=1.0, total_steps=7, pct_start=0.5,
  // div_factor=10, final_div_factor=100).
  expect_torch_values(*optim::one_cycle_lr(1.0, 7, 0.5, 10, 100),
                      {0.09999999999999998, 0.41094235253127365, 0.9140576474687263, 0.9505339495172583,
                       0.611649206511179, 0.18906684397156262, 0.001});
}

TEST(OneCycleLr, MatchesTheWrittenOutFormula) {
  for (const auto& [total, pct] : std::vector<std::pair<std::int64_t, double>>{{100, 0.3}, {37, 0.45}, {1000, 0.05}}) {
    const auto schedule = optim::one_cycle_lr(0.5, total, pct, 20, 1000);
    expect_matches(*schedule, total, [&, total = total, pct = pct](std::int64_t step) {
      return one_cycle_reference(0.5, total, pct, 20, 1000, step);
    });
  }
}

TEST(OneCycleLr, ZeroPctStartStartsInTheAnnealingPhase) {
  // Phase 1 ends at step -1: step 0 is already 1/10 of the way down from max_lr.
  const auto schedule = optim::one_cycle_lr(1.0, 10, 0.0);
  EXPECT_DOUBLE_EQ(schedule->lr(0), one_cycle_reference(1.0, 10, 0.0, 25, 1e4, 0));
  EXPECT_LT(schedule->lr(0), 1.0);
  EXPECT_EQ(schedule->lr(9), 1.0 / 25 / 1e4);
}

TEST(OneCycleLr, RejectsBadArguments) {
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(0.1, 0); }),
              HasSubstr("one_cycle_lr: total_steps=0 must be positive"));
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(0.1, 10, 1.5); }),
              HasSubstr("one_cycle_lr: pct_start=1.5 must be in [0, 1]"));
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(0.1, 10, -0.1); }), HasSubstr("pct_start=-0.1"));
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(0.1, 10, NAN); }), HasSubstr("pct_start=nan"));
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(0.1, 10, 0.3, 0); }), HasSubstr("div_factor=0"));
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(0.1, 10, 0.3, 25, -1); }),
              HasSubstr("final_div_factor=-1"));
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(-0.1, 10); }), HasSubstr("max_lr=-0.1"));
  // pct_start * total_steps = 1: phase 1 would have zero length.
  EXPECT_THAT(invalid_argument_from([] { optim::one_cycle_lr(0.1, 4, 0.25); }), HasSubstr("zero length"));
}

TEST(LrSchedule, NegativeStepIsAnError) {
  std::vector<std::unique_ptr<optim::LrSchedule>> schedules;
  schedules.push_back(optim::constant_lr(0.1));
  schedules.push_back(optim::step_lr(0.1, 3, 0.5));
  schedules.push_back(optim::multi_step_lr(0.1, {3}, 0.5));
  schedules.push_back(optim::exponential_lr(0.1, 0.9));
  schedules.push_back(optim::linear_warmup_lr(0.1, 3, 0.5));
  schedules.push_back(optim::cosine_lr(0.1, 10));
  schedules.push_back(optim::one_cycle_lr(0.1, 10));
  for (const auto& schedule : schedules) {
    EXPECT_THAT(invalid_argument_from([&] { schedule->lr(-1); }), HasSubstr("step=-1 must be non-negative"));
  }
  EXPECT_THAT(invalid_argument_from([] { optim::cosine_lr(0.1, 10)->lr(-5); }), HasSubstr("cosine_lr: step=-5"));
}

}  // namespace
