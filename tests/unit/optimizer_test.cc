// Every optimizer against an independent float64 reference written here from the published update
// rules, over many steps of random gradients; state dicts that continue bit-for-bit; low-precision
// parameters; and the errors that name what is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "ronde/core/error.h"
#include "ronde/optim/optimizer.h"
#include "support/test_helpers.h"

namespace {

using ronde::DType;
using ronde::Tensor;
using ronde::optim::OptionMap;
using ronde::optim::Parameter;
using ronde::testing::error_from;

// ---- references: one element at a time, in double, straight from the formulas ----------------

struct Reference {
  // Updates p given g at step t (1-based); `state` is this element's state, zero-initialised.
  std::function<void(double& p, double g, int t, std::vector<double>& state)> update;
  int state_size;
  double initial_state = 0;
};

Reference sgd_reference(double lr, double momentum, double dampening, double wd, bool nesterov) {
  return {[=](double& p, double g, int t, std::vector<double>& s) {
            double d = g + wd * p;
            if (momentum != 0) {
              s[0] = t == 1 ? d : momentum * s[0] + (1 - dampening) * d;
              d = nesterov ? d + momentum * s[0] : s[0];
            }
            p -= lr * d;
          },
          1};
}

Reference adam_reference(double lr, double b1, double b2, double eps, double wd, bool decoupled) {
  return {[=](double& p, double g, int t, std::vector<double>& s) {
            if (decoupled) p *= 1 - lr * wd;
            else g += wd * p;
            s[0] = b1 * s[0] + (1 - b1) * g;
            s[1] = b2 * s[1] + (1 - b2) * g * g;
            const double m_hat = s[0] / (1 - std::pow(b1, t));
            const double v_hat = s[1] / (1 - std::pow(b2, t));
            p -= lr * m_hat / (std::sqrt(v_hat) + eps);
          },
          2};
}

Reference adagrad_reference(double lr, double lr_decay, double wd, double init, double eps) {
  return {[=](double& p, double g, int t, std::vector<double>& s) {
            g += wd * p;
            const double clr = lr / (1 + (t - 1) * lr_decay);
            s[0] += g * g;
            p -= clr * g / (std::sqrt(s[0]) + eps);
          },
          1, init};
}

Reference rmsprop_reference(double lr, double alpha, double eps, double wd, double momentum, bool centered) {
  return {[=](double& p, double g, int, std::vector<double>& s) {
            g += wd * p;
            s[0] = alpha * s[0] + (1 - alpha) * g * g;
            double avg = s[0];
            if (centered) {
              s[1] = alpha * s[1] + (1 - alpha) * g;
              avg -= s[1] * s[1];
            }
            avg = std::sqrt(avg) + eps;
            if (momentum > 0) {
              s[2] = momentum * s[2] + g / avg;
              p -= lr * s[2];
            } else {
              p -= lr * g / avg;
            }
          },
          3};
}

// LAMB needs the whole tensor (trust ratio), so it has its own reference below.
void lamb_reference_step(std::vector<double>& p, const std::vector<double>& g, std::vector<double>& m,
                         std::vector<double>& v, int t, double lr, double b1, double b2, double eps, double wd) {
  std::vector<double> update(p.size());
  double p_norm = 0, u_norm = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    update[i] = (m[i] / (1 - std::pow(b1, t))) / (std::sqrt(v[i] / (1 - std::pow(b2, t))) + eps) + wd * p[i];
    p_norm += p[i] * p[i];
    u_norm += update[i] * update[i];
  }
  const double trust = p_norm > 0 && u_norm > 0 ? std::sqrt(p_norm) / std::sqrt(u_norm) : 1.0;
  for (std::size_t i = 0; i < p.size(); ++i) p[i] -= lr * trust * update[i];
}

// ---- a small model: two parameter tensors of odd sizes ------------------------------------------

template <class T>
struct Model {
  std::vector<T> w = std::vector<T>(37), b = std::vector<T>(5), dw = std::vector<T>(37), db = std::vector<T>(5);
  std::vector<Parameter> parameters() {
    return {{"w", Tensor(w.data(), ronde::dtype_of<T>, {37}), Tensor(dw.data(), ronde::dtype_of<T>, {37})},
            {"b", Tensor(b.data(), ronde::dtype_of<T>, {5}), Tensor(db.data(), ronde::dtype_of<T>, {5})}};
  }
};

std::vector<double> random_vector(std::mt19937_64& generator, std::size_t n, double scale) {
  std::normal_distribution<double> normal(0.0, scale);
  std::vector<double> out(n);
  for (double& x : out) x = normal(generator);
  return out;
}

struct Case {
  std::string name;
  OptionMap options;
  Reference reference;
};

std::vector<Case> element_wise_cases() {
  return {
      {"sgd", {{"lr", "0.1"}}, sgd_reference(0.1, 0, 0, 0, false)},
      {"sgd", {{"lr", "0.05"}, {"momentum", "0.9"}, {"dampening", "0.1"}, {"weight_decay", "0.01"}},
       sgd_reference(0.05, 0.9, 0.1, 0.01, false)},
      {"sgd", {{"lr", "0.05"}, {"momentum", "0.8"}, {"nesterov", "1"}}, sgd_reference(0.05, 0.8, 0, 0, true)},
      {"adam", {{"lr", "0.01"}}, adam_reference(0.01, 0.9, 0.999, 1e-8, 0, false)},
      {"adam", {{"lr", "0.01"}, {"beta1", "0.8"}, {"beta2", "0.99"}, {"eps", "1e-6"}, {"weight_decay", "0.1"}},
       adam_reference(0.01, 0.8, 0.99, 1e-6, 0.1, false)},
      {"adamw", {{"lr", "0.01"}}, adam_reference(0.01, 0.9, 0.999, 1e-8, 0.01, true)},
      {"adagrad", {{"lr", "0.1"}, {"lr_decay", "0.01"}, {"weight_decay", "0.01"}, {"initial_accumulator_value", "0.1"}},
       adagrad_reference(0.1, 0.01, 0.01, 0.1, 1e-10)},
      {"rmsprop", {{"lr", "0.01"}}, rmsprop_reference(0.01, 0.99, 1e-8, 0, 0, false)},
      {"rmsprop", {{"lr", "0.01"}, {"alpha", "0.9"}, {"momentum", "0.5"}, {"centered", "1"}, {"weight_decay", "0.05"}},
       rmsprop_reference(0.01, 0.9, 1e-8, 0.05, 0.5, true)},
  };
}

template <class T>
void check_against_reference(const Case& c, int steps, double tolerance) {
  std::mt19937_64 generator(42);
  Model<T> model;
  std::vector<double> ref_w = random_vector(generator, 37, 1.0), ref_b = random_vector(generator, 5, 1.0);
  for (std::size_t i = 0; i < 37; ++i) model.w[i] = static_cast<T>(ref_w[i]), ref_w[i] = static_cast<double>(model.w[i]);
  for (std::size_t i = 0; i < 5; ++i) model.b[i] = static_cast<T>(ref_b[i]), ref_b[i] = static_cast<double>(model.b[i]);
  auto optimizer = ronde::optim::make_optimizer(c.name, c.options, model.parameters());
  const Reference& r = c.reference;
  std::vector<std::vector<double>> state_w(37, std::vector<double>(r.state_size, 0.0)), state_b(5, std::vector<double>(r.state_size, 0.0));
  for (auto* states : {&state_w, &state_b}) {
    for (auto& s : *states) s[0] = r.initial_state;
  }
  for (int t = 1; t <= steps; ++t) {
    auto gw = random_vector(generator, 37, 0.5), gb = random_vector(generator, 5, 0.5);
    for (std::size_t i = 0; i < 37; ++i) model.dw[i] = static_cast<T>(gw[i]), gw[i] = static_cast<double>(model.dw[i]);
    for (std::size_t i = 0; i < 5; ++i) model.db[i] = static_cast<T>(gb[i]), gb[i] = static_cast<double>(model.db[i]);
    optimizer->step();
    for (std::size_t i = 0; i < 37; ++i) r.update(ref_w[i], gw[i], t, state_w[i]);
    for (std::size_t i = 0; i < 5; ++i) r.update(ref_b[i], gb[i], t, state_b[i]);
    for (std::size_t i = 0; i < 37; ++i) {
      ASSERT_NEAR(model.w[i], ref_w[i], tolerance * std::max(1.0, std::abs(ref_w[i])))
          << c.name << " step " << t << " w[" << i << "]";
    }
    for (std::size_t i = 0; i < 5; ++i) {
      ASSERT_NEAR(model.b[i], ref_b[i], tolerance * std::max(1.0, std::abs(ref_b[i]))) << c.name << " step " << t;
    }
  }
  EXPECT_EQ(optimizer->step_count(), steps);
}

TEST(Optimizers, Float64MatchTheReferenceTightly) {
  for (const Case& c : element_wise_cases()) check_against_reference<double>(c, 200, 1e-11);
}

TEST(Optimizers, Float32MatchTheReferenceWithinFloatError) {
  // 200 steps of float32 arithmetic: each step rounds at ~6e-8 relative; errors accumulate.
  for (const Case& c : element_wise_cases()) check_against_reference<float>(c, 200, 2e-4);
}

TEST(Optimizers, LambMatchesTheReference) {
  for (bool use_double : {true, false}) {
    std::mt19937_64 generator(7);
    std::vector<double> p = random_vector(generator, 53, 1.0), m(53), v(53);
    std::vector<double> values = p, grads(53);
    std::vector<float> values32(p.begin(), p.end()), grads32(53);
    for (std::size_t i = 0; i < 53; ++i) p[i] = use_double ? p[i] : static_cast<double>(values32[i]);
    std::vector<Parameter> parameters;
    if (use_double) parameters = {{"w", Tensor::of(values), Tensor::of(grads)}};
    else parameters = {{"w", Tensor::of(values32), Tensor::of(grads32)}};
    auto optimizer = ronde::optim::make_lamb(parameters, {.lr = 0.01, .weight_decay = 0.01});
    for (int t = 1; t <= 100; ++t) {
      auto g = random_vector(generator, 53, 0.3);
      for (std::size_t i = 0; i < 53; ++i) {
        grads[i] = g[i];
        grads32[i] = static_cast<float>(g[i]);
        if (!use_double) g[i] = static_cast<double>(grads32[i]);
      }
      optimizer->step();
      lamb_reference_step(p, g, m, v, t, 0.01, 0.9, 0.999, 1e-6, 0.01);
      for (std::size_t i = 0; i < 53; ++i) {
        const double actual = use_double ? values[i] : static_cast<double>(values32[i]);
        ASSERT_NEAR(actual, p[i], (use_double ? 1e-11 : 1e-4) * std::max(1.0, std::abs(p[i]))) << "step " << t;
      }
    }
  }
}

// ---- state dicts ---------------------------------------------------------------------------------

template <class T>
void fill_gradients(Model<T>& model, std::mt19937_64& generator) {
  auto gw = random_vector(generator, 37, 0.5), gb = random_vector(generator, 5, 0.5);
  for (std::size_t i = 0; i < 37; ++i) model.dw[i] = static_cast<T>(gw[i]);
  for (std::size_t i = 0; i < 5; ++i) model.db[i] = static_cast<T>(gb[i]);
}

TEST(OptimizerStateDict, RestoreContinuesBitForBit) {
  const std::vector<std::pair<std::string, OptionMap>> optimizers = {
      {"sgd", {{"momentum", "0.9"}}}, {"adam", {}}, {"adamw", {}}, {"adagrad", {{"initial_accumulator_value", "0.2"}}},
      {"rmsprop", {{"momentum", "0.3"}, {"centered", "true"}}}, {"lamb", {{"weight_decay", "0.01"}}}};
  for (const auto& [name, options] : optimizers) {
    // Uninterrupted: 30 steps.
    Model<float> straight;
    std::mt19937_64 init(1);
    auto start = random_vector(init, 42, 1.0);
    for (std::size_t i = 0; i < 37; ++i) straight.w[i] = static_cast<float>(start[i]);
    for (std::size_t i = 0; i < 5; ++i) straight.b[i] = static_cast<float>(start[37 + i]);
    Model<float> resumed = straight;
    std::mt19937_64 gradients_a(9), gradients_b(9);
    auto a = ronde::optim::make_optimizer(name, options, straight.parameters());
    a->set_lr(0.02);
    for (int t = 0; t < 30; ++t) {
      fill_gradients(straight, gradients_a);
      a->step();
    }
    // Interrupted: 12 steps, state dict, a fresh optimizer over copies of the values, 18 more.
    auto b = ronde::optim::make_optimizer(name, options, resumed.parameters());
    b->set_lr(0.02);
    for (int t = 0; t < 12; ++t) {
      fill_gradients(resumed, gradients_b);
      b->step();
    }
    const ronde::optim::StateDict saved = b->state_dict();
    Model<float> restored = resumed;  // the checkpointed parameter values
    auto c = ronde::optim::make_optimizer(name, options, restored.parameters());
    c->load_state_dict(saved);
    EXPECT_EQ(c->step_count(), 12);
    EXPECT_EQ(c->lr(), 0.02);
    for (int t = 0; t < 18; ++t) {
      fill_gradients(restored, gradients_b);
      c->step();
    }
    EXPECT_EQ(std::memcmp(straight.w.data(), restored.w.data(), 37 * sizeof(float)), 0) << name;
    EXPECT_EQ(std::memcmp(straight.b.data(), restored.b.data(), 5 * sizeof(float)), 0) << name;
  }
}

TEST(OptimizerStateDict, MismatchesAreNamed) {
  Model<float> model;
  auto adam = ronde::optim::make_optimizer("adam", {}, model.parameters());
  adam->step();
  ronde::optim::StateDict state = adam->state_dict();

  auto sgd = ronde::optim::make_optimizer("sgd", {}, model.parameters());
  EXPECT_NE(error_from([&] { sgd->load_state_dict(state); }).message().find("belongs to optimizer 'adam'"), std::string::npos);

  auto other_beta = ronde::optim::make_optimizer("adam", {{"beta1", "0.5"}}, model.parameters());
  EXPECT_NE(error_from([&] { other_beta->load_state_dict(state); }).message().find("beta1"), std::string::npos);

  std::vector<float> bigger(38), bigger_grad(38);
  std::vector<Parameter> reshaped = model.parameters();
  reshaped[0] = {"w", Tensor::of(bigger), Tensor::of(bigger_grad)};
  auto fresh = ronde::optim::make_optimizer("adam", {}, reshaped);
  const std::string message = error_from([&] { fresh->load_state_dict(state); }).message();
  EXPECT_NE(message.find("'w/exp_avg' is f32[37]"), std::string::npos) << message;
  EXPECT_NE(message.find("needs f32[38]"), std::string::npos) << message;
  EXPECT_EQ(fresh->step_count(), 0) << "a failed load changed the optimizer";

  state.tensors.erase(state.tensors.begin());
  auto missing = ronde::optim::make_optimizer("adam", {}, model.parameters());
  EXPECT_NE(error_from([&] { missing->load_state_dict(state); }).message().find("no tensor 'w/exp_avg'"), std::string::npos);
}

// ---- f16 / bf16 parameters -----------------------------------------------------------------------

template <class Storage, float (*Widen)(Storage), Storage (*Narrow)(float)>
void check_low_precision(DType dtype) {
  // SGD with a step far below the parameter's resolution: without master weights every update
  // rounds away; with them the f32 master accumulates and the parameter follows.
  for (bool master : {false, true}) {
    std::vector<Storage> w(16, Narrow(1.0f)), dw(16, Narrow(1.0f));
    std::vector<Parameter> parameters = {{"w", Tensor(w.data(), dtype, {16}), Tensor(dw.data(), dtype, {16})}};
    auto sgd = ronde::optim::make_sgd(parameters, {.lr = 1e-4}, {.master_weights = master});
    for (int t = 0; t < 100; ++t) sgd->step();
    const float value = Widen(w[0]);
    if (master) {
      EXPECT_EQ(value, Widen(Narrow(0.99f))) << "the master copy should have reached 0.99";
      const auto state = sgd->state_dict();
      EXPECT_NEAR(reinterpret_cast<const float*>(state.tensor("w/master").bytes.data())[0], 0.99f, 1e-5f);
    } else {
      EXPECT_EQ(value, 1.0f) << "updates below the resolution are lost without master weights";
    }
  }
  // Adam on f16 follows the f32 run closely.
  std::vector<float> reference(8, 0.5f), reference_grad(8);
  std::vector<Storage> w(8, Narrow(0.5f)), dw(8);
  auto exact = ronde::optim::make_adam({{"w", Tensor::of(reference), Tensor::of(reference_grad)}}, {.lr = 0.01});
  auto narrow = ronde::optim::make_adam({{"w", Tensor(w.data(), dtype, {8}), Tensor(dw.data(), dtype, {8})}}, {.lr = 0.01},
                                        {.master_weights = true});
  for (int t = 0; t < 50; ++t) {
    for (int i = 0; i < 8; ++i) {
      reference_grad[i] = Widen(Narrow(std::sin(0.3f * static_cast<float>(t + i))));
      dw[i] = Narrow(reference_grad[i]);
    }
    exact->step();
    narrow->step();
  }
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(Widen(w[i]), reference[i], 0.01) << i;
}

TEST(Optimizers, HalfAndBFloat16Parameters) {
  check_low_precision<ronde::Half, ronde::half_to_float, ronde::float_to_half>(DType::F16);
  check_low_precision<ronde::BFloat16, ronde::bfloat16_to_float, ronde::float_to_bfloat16>(DType::BF16);
}

// ---- errors ----------------------------------------------------------------------------------------

TEST(OptimizerErrors, NameWhatIsWrong) {
  std::vector<float> w(4), g(4), g5(5);
  std::vector<double> gd(4);
  std::vector<std::int32_t> ints(4);
  auto message = [](const std::function<void()>& f) { return error_from(f).message(); };
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("adam", {}, {{"fc1.w", Tensor::of(w), Tensor::of(g5)}}); })
                .find("parameter 'fc1.w' is f32[4] on cpu but its gradient is f32[5] on cpu"),
            std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("adam", {}, {{"fc1.w", Tensor::of(w), Tensor::of(gd)}}); })
                .find("but its gradient is f64[4] on cpu"),
            std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("sgd", {}, {{"steps", Tensor::of(ints), Tensor::of(ints)}}); })
                .find("parameter 'steps' is i32[4]"),
            std::string::npos);
  EXPECT_NE(message([&] {
              ronde::optim::make_optimizer("sgd", {}, {{"a", Tensor::of(w), Tensor::of(g)}, {"a", Tensor::of(w), Tensor::of(g)}});
            }).find("'a' appears twice"),
            std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("adam", {{"betas", "0.9"}}, {}); })
                .find("unknown option 'betas' (valid options: beta1, beta2, eps, lr, master_weights, weight_decay)"),
            std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("adam", {{"lr", "fast"}}, {}); }).find("adam option 'lr'='fast'"),
            std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("adamax", {}, {}); }).find("unknown optimizer 'adamax'"),
            std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("adam", {{"beta2", "1"}}, {}); }).find("beta2=1"), std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("sgd", {{"nesterov", "1"}}, {}); }).find("nesterov"),
            std::string::npos);
  auto sgd = ronde::optim::make_optimizer("sgd", {}, {{"w", Tensor::of(w), Tensor::of(g)}});
  EXPECT_NE(message([&] { sgd->set_lr(std::nan("")); }).find("learning rate"), std::string::npos);
  EXPECT_NE(message([&] { sgd->set_lr(INFINITY); }).find("learning rate"), std::string::npos);
  EXPECT_NE(message([&] { ronde::optim::make_optimizer("sgd", {{"lr", "-1"}}, {}); }).find("learning rate"),
            std::string::npos);
}

}  // namespace
