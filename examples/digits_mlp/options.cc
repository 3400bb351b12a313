#include "options.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <string_view>
#include <vector>

#include "digits_data.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/error.h"

namespace digits {

namespace {

// One flag: "--name VALUE". `set` parses the text into the options (throwing UsageError through
// the parse_* helpers), `show` prints the current value (for defaults and checkpoint records).
struct Flag {
  std::string_view name;
  std::string_view value;
  std::string_view help;
  bool shapes_trajectory = false;  // recorded in checkpoints (see trajectory())
  std::string_view default_text;   // shown by --help instead of the empty default, when set
  std::function<void(Options&, const std::string&)> set;
  std::function<std::string(const Options&)> show;
};

std::int64_t parse_int(std::string_view flag, const std::string& text, std::int64_t min) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min) {
    throw UsageError("--" + std::string(flag) + ": expected an integer >= " + std::to_string(min) + ", got '" + text +
                     "'");
  }
  return value;
}

double parse_number(std::string_view flag, const std::string& text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0) {
    throw UsageError("--" + std::string(flag) + ": expected a number >= 0, got '" + text + "'");
  }
  return value;
}

// Shortest text that reads back as the same double.
std::string exact(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

Flag int_flag(std::string_view name, std::int64_t Options::*field, std::int64_t min, bool shapes_trajectory,
              std::string_view help) {
  return {.name = name,
          .value = "N",
          .help = help,
          .shapes_trajectory = shapes_trajectory,
          .default_text = "",
          .set = [=](Options& o, const std::string& text) { o.*field = parse_int(name, text, min); },
          .show = [=](const Options& o) { return std::to_string(o.*field); }};
}

Flag number_flag(std::string_view name, double Options::*field, std::string_view help) {
  return {.name = name,
          .value = "X",
          .help = help,
          .shapes_trajectory = true,
          .default_text = "",
          .set = [=](Options& o, const std::string& text) { o.*field = parse_number(name, text); },
          .show = [=](const Options& o) { return exact(o.*field); }};
}

Flag text_flag(std::string_view name, std::string Options::*field, std::string_view value, std::string_view help,
               std::string_view default_text = "") {
  return {.name = name,
          .value = value,
          .help = help,
          .shapes_trajectory = false,
          .default_text = default_text,
          .set = [=](Options& o, const std::string& text) { o.*field = text; },
          .show = [=](const Options& o) { return o.*field; }};
}

// The seed is unsigned; the other integers are signed.
Flag seed_flag() {
  return {.name = "seed",
          .value = "N",
          .help = "seed of the initial weights and of the sample order",
          .shapes_trajectory = true,
          .default_text = "",
          .set = [](Options& o,
                    const std::string& text) { o.seed = static_cast<std::uint64_t>(parse_int("seed", text, 0)); },
          .show = [](const Options& o) { return std::to_string(o.seed); }};
}

const std::vector<Flag>& flags() {
  static const std::vector<Flag> table = {
      int_flag("steps", &Options::steps, 1, true, "optimizer steps of the whole run"),
      int_flag("batch", &Options::batch, 1, true,
               "global batch: samples per step over all ranks (each rank takes its share)"),
      int_flag("hidden", &Options::hidden, 1, true, "hidden units of the perceptron (64 -> hidden -> 10)"),
      number_flag("lr", &Options::lr, "peak learning rate of AdamW"),
      number_flag("min-lr", &Options::min_lr, "final learning rate of the cosine schedule"),
      int_flag("warmup", &Options::warmup, 0, true, "steps of linear warmup before the cosine decay"),
      number_flag("weight-decay", &Options::weight_decay, "AdamW's decoupled weight decay"),
      seed_flag(),
      text_flag("data", &Options::data, "PATH", "the digits CSV, gzip-compressed or plain", kDefaultDataPath),
      text_flag("checkpoint", &Options::checkpoint, "URI",
                "checkpoint storage: a directory, file:///abs/dir or s3://bucket/prefix[?endpoint=URL]", "runs/digits"),
      int_flag("checkpoint-every", &Options::checkpoint_every, 0, false,
               "steps between periodic checkpoints (0: only the final one)"),
      int_flag("keep-last", &Options::keep_last, 0, false, "checkpoints kept (0: all)"),
      int_flag("log-every", &Options::log_every, 1, false, "steps between progress lines"),
      text_flag("model-out", &Options::model_out, "FILE", "write the final parameters here (format below)"),
      int_flag("stop-after-step", &Options::stop_after_step, 0, false,
               "test aid: exit abruptly (status 3, no final save) after this step, as if killed (0: off)"),
  };
  return table;
}

const Flag* find_flag(std::string_view name) {
  for (const Flag& flag : flags()) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// "checkpoint_every" -> "checkpoint-every": SageMaker users tend to write hyperparameters with
// underscores.
std::string flag_name_of(std::string key) {
  for (char& c : key) {
    if (c == '_') c = '-';
  }
  return key;
}

// Hyperparameters meant for others: train.sh's and those the SageMaker SDK adds in script mode.
bool for_someone_else(const std::string& key) { return key == "processes_per_host" || key.starts_with("sagemaker_"); }

void apply_sagemaker(const ronde::SageMakerConfig& sagemaker, const std::set<std::string>& given, Options& options) {
  for (const auto& [key, value] : sagemaker.hyperparameters.all()) {
    if (for_someone_else(key)) continue;
    const std::string name = flag_name_of(key);
    const Flag* flag = find_flag(name);
    if (flag == nullptr) {
      throw UsageError((sagemaker.root / "input/config/hyperparameters.json").string() + ": unknown hyperparameter '" +
                       key + "' (digits_mlp --help lists the flags; hyperparameters use their names)");
    }
    if (!given.count(name)) flag->set(options, value);
  }
  if (options.data.empty()) {
    if (!sagemaker.channels.count("train")) {
      throw ronde::Error(ronde::ErrorCode::NotFound,
                         "digits_mlp needs the SageMaker data channel 'train' holding digits.csv.gz, and " +
                             (sagemaker.root / "input/config/inputdataconfig.json").string() +
                             " lists no such channel (or pass the hyperparameter data)");
    }
    options.data = (sagemaker.channel_dir("train") / "digits.csv.gz").string();
  }
  if (options.model_out.empty()) options.model_out = (sagemaker.model_dir() / "digits_mlp.model").string();
  // <root>/checkpoints, which SageMaker syncs with the job's checkpoint S3 URI.
  if (options.checkpoint.empty()) options.checkpoint = ronde::checkpoint::resolve_checkpoint_uri("", sagemaker);
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv, const ronde::SageMakerConfig* sagemaker) {
  CommandLine line;
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    if (argument == "--help" || argument == "-h") {
      line.help = true;
      return line;
    }
    if (!argument.starts_with("--")) throw UsageError("unexpected argument '" + argument + "' (flags start with --)");
    std::string name = argument.substr(2), value;
    if (const auto equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw UsageError("--" + name + " needs a value");
    }
    const Flag* flag = find_flag(name);
    if (flag == nullptr) throw UsageError("unknown flag --" + name);
    flag->set(line.options, value);
    given.insert(name);
  }
  if (sagemaker != nullptr) apply_sagemaker(*sagemaker, given, line.options);
  if (line.options.data.empty()) line.options.data = kDefaultDataPath;
  if (line.options.checkpoint.empty() && sagemaker == nullptr) line.options.checkpoint = "runs/digits";
  return line;
}

std::string usage() {
  std::string text =
      "usage: mpirun -np N digits_mlp [--flag VALUE | --flag=VALUE]...\n"
      "\n"
      "Data-parallel training of a small perceptron on scikit-learn's handwritten digits, with\n"
      "checkpoints: every rank takes its share of each global batch, gradients are averaged through\n"
      "ronde's engine, the job resumes from the newest checkpoint at --checkpoint, and SIGTERM or\n"
      "SIGINT stops every rank at the same step after a final checkpoint.\n"
      "\n"
      "flags (default in brackets):\n";
  const Options defaults;
  for (const Flag& flag : flags()) {
    std::string head = "  --" + std::string(flag.name) + " " + std::string(flag.value);
    if (head.size() < 26)
      head.resize(26, ' ');
    else
      head += "\n" + std::string(26, ' ');
    const std::string shown = flag.default_text.empty() ? flag.show(defaults) : std::string(flag.default_text);
    text += head + std::string(flag.help) + (shown.empty() ? "" : " [" + shown + "]") + "\n";
  }
  text +=
      "  --help                  this text\n"
      "\n"
      "Data: rows 4, 9, 14, ... (every 5th) are the test set, the others the training set. Each\n"
      "epoch visits the training rows in a permutation drawn from (seed, epoch), so a resumed run\n"
      "sees exactly the batches an uninterrupted one would, and ends with the same bits.\n"
      "\n"
      "Checkpoints hold the parameters, AdamW's state and the data position; a run resumes from\n"
      "the newest valid one and refuses one written with other steps, batch, hidden, lr, min-lr,\n"
      "warmup, weight-decay or seed (use another --checkpoint for a new run). The ronde knobs of\n"
      "docs/KNOBS.md apply (storage, RONDE_TERMINATION_GRACE_S, ...).\n"
      "\n"
      "In a SageMaker container (RONDE_SAGEMAKER_ROOT, default /opt/ml) every hyperparameter sets\n"
      "the flag of the same name (underscores allowed) unless the command line sets it; --data\n"
      "defaults to <channel train>/digits.csv.gz, --checkpoint to /opt/ml/checkpoints, --model-out\n"
      "to /opt/ml/model/digits_mlp.model, and errors are written to /opt/ml/output/failure.\n"
      "\n"
      "Model file (--model-out): the line \"digits_mlp model v1 hidden=H\\n\", then the float32\n"
      "values (little-endian, row-major [out][in]) of fc1.w (H x 64), fc1.b (H), fc2.w (10 x H)\n"
      "and fc2.b (10). Two runs that trained alike write identical files.\n"
      "\n"
      "exit status: 0 finished, or interrupted with the final checkpoint committed (restart to\n"
      "resume); 1 error; 2 bad flag or hyperparameter; 3 --stop-after-step reached;\n"
      "74 interrupted and the final checkpoint failed (a restart resumes from an older one).\n";
  return text;
}

std::map<std::string, std::string> trajectory(const Options& options) {
  std::map<std::string, std::string> values;
  for (const Flag& flag : flags()) {
    if (flag.shapes_trajectory) values[std::string(flag.name)] = flag.show(options);
  }
  return values;
}

}  // namespace digits
