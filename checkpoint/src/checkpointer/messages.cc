#include "checkpointer/messages.h"

#include <nlohmann/json.hpp>

namespace ronde::checkpoint::detail {
namespace {

using nlohmann::json;

json tensor_to_json(const TensorEntry& tensor) {
  json pieces = json::array();
  for (const auto& p : tensor.pieces) {
    pieces.push_back({{"shard", p.shard}, {"offset", p.offset}, {"length", p.length},
                      {"tensor_offset", p.tensor_offset}, {"checksum", p.checksum}});
  }
  return {{"name", tensor.name}, {"dtype", std::string(to_string(tensor.dtype))}, {"shape", tensor.shape},
          {"pieces", std::move(pieces)}};
}

TensorEntry tensor_from_json(const json& j) {
  TensorEntry tensor;
  tensor.name = j.at("name").get<std::string>();
  tensor.dtype = parse_dtype(j.at("dtype").get<std::string>());
  tensor.shape = j.at("shape").get<std::vector<std::int64_t>>();
  for (const auto& p : j.at("pieces")) {
    tensor.pieces.push_back({p.at("shard").get<std::string>(), p.at("offset").get<std::uint64_t>(),
                             p.at("length").get<std::uint64_t>(), p.at("tensor_offset").get<std::uint64_t>(),
                             p.at("checksum").get<std::string>()});
  }
  return tensor;
}

template <class Fn>
auto decoding(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const json::exception& error) {
    throw Error(ErrorCode::Internal, std::string("checkpointer: malformed ") + what + " message: " + error.what());
  }
}

}  // namespace

std::string encode(const RankReport& report) {
  json shards = json::array();
  for (const auto& s : report.shards) {
    json entry = {{"key", s.key}, {"rank", s.rank}, {"size", s.size}, {"checksum", s.checksum}};
    if (s.encryption) entry["encryption"] = {{"salt", s.encryption->salt}, {"plaintext_size", s.encryption->plaintext_size}};
    shards.push_back(std::move(entry));
  }
  json per_rank = json::array();
  for (const auto& t : report.per_rank) per_rank.push_back(tensor_to_json(t));
  return json{{"rank", report.rank},
              {"ok", report.ok},
              {"code", static_cast<int>(report.code)},
              {"error", report.error},
              {"layout", report.layout_digest},
              {"encryption", report.encryption},
              {"shards", std::move(shards)},
              {"pieces", report.piece_checksums},
              {"per_rank", std::move(per_rank)}}
      .dump();
}

RankReport decode_report(const std::string& text) {
  return decoding("rank report", [&] {
    const json j = json::parse(text);
    RankReport report;
    report.rank = j.at("rank").get<int>();
    report.ok = j.at("ok").get<bool>();
    report.code = static_cast<ErrorCode>(j.at("code").get<int>());
    report.error = j.at("error").get<std::string>();
    report.layout_digest = j.at("layout").get<std::string>();
    report.encryption = j.at("encryption").get<std::string>();
    for (const auto& s : j.at("shards")) {
      ShardEntry shard;
      shard.key = s.at("key").get<std::string>();
      shard.rank = s.at("rank").get<int>();
      shard.size = s.at("size").get<std::uint64_t>();
      shard.checksum = s.at("checksum").get<std::string>();
      if (s.contains("encryption")) {
        shard.encryption = ShardEncryption{s.at("encryption").at("salt").get<std::string>(),
                                           s.at("encryption").at("plaintext_size").get<std::uint64_t>()};
      }
      report.shards.push_back(std::move(shard));
    }
    report.piece_checksums = j.at("pieces").get<std::vector<std::string>>();
    for (const auto& t : j.at("per_rank")) report.per_rank.push_back(tensor_from_json(t));
    return report;
  });
}

std::string encode(const Outcome& outcome) {
  return json{{"ok", outcome.ok}, {"code", static_cast<int>(outcome.code)}, {"error", outcome.error},
              {"checkpoint", outcome.checkpoint}, {"candidates", outcome.candidates}}
      .dump();
}

Outcome decode_outcome(const std::string& text) {
  return decoding("outcome", [&] {
    const json j = json::parse(text);
    return Outcome{j.at("ok").get<bool>(), static_cast<ErrorCode>(j.at("code").get<int>()),
                   j.at("error").get<std::string>(), j.at("checkpoint").get<std::string>(),
                   j.at("candidates").get<std::vector<std::string>>()};
  });
}

Outcome combine(const std::vector<RankReport>& reports) {
  for (const auto& report : reports) {
    if (!report.ok) return Outcome::failed(report.code, "rank " + std::to_string(report.rank) + ": " + report.error);
  }
  return {};
}

}  // namespace ronde::checkpoint::detail
