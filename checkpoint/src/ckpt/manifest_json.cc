// The manifest's JSON form (docs/CHECKPOINT_FORMAT.md): to_json writes the fields in the
// documented order; parse_manifest reads every field strictly (strict_json.h), then applies the
// semantic checks of validate_manifest (manifest_check.cc).
#include <nlohmann/json.hpp>

#include "ckpt/strict_json.h"
#include "ckpt/timestamp.h"
#include "ronde/checkpoint/manifest.h"

namespace ronde::checkpoint {

namespace {

using Ordered = nlohmann::ordered_json;

// Limits of the numbers the format allows.
constexpr std::uint64_t kMaxWorldSize = 100'000;  // shard_name() writes five rank digits
constexpr std::uint64_t kMaxDimension = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// ---- writing ----

Ordered write_tensor(const TensorEntry& tensor) {
  Ordered pieces = Ordered::array();
  for (const auto& piece : tensor.pieces) {
    pieces.push_back({{"shard", piece.shard},
                      {"offset", piece.offset},
                      {"length", piece.length},
                      {"tensor_offset", piece.tensor_offset},
                      {"checksum", piece.checksum}});
  }
  return {{"name", tensor.name}, {"dtype", std::string(to_string(tensor.dtype))}, {"shape", tensor.shape},
          {"pieces", std::move(pieces)}};
}

Ordered write_tensors(const std::vector<TensorEntry>& tensors) {
  Ordered out = Ordered::array();
  for (const auto& tensor : tensors) out.push_back(write_tensor(tensor));
  return out;
}

Ordered write_manifest(const Manifest& m) {
  Ordered shards = Ordered::array();
  for (const auto& shard : m.shards) {
    Ordered entry = {{"key", shard.key}, {"rank", shard.rank}, {"size", shard.size}, {"checksum", shard.checksum}};
    if (shard.encryption) {
      entry["encryption"] = {{"salt", shard.encryption->salt}, {"plaintext_size", shard.encryption->plaintext_size}};
    }
    shards.push_back(std::move(entry));
  }
  Ordered per_rank = Ordered::array();
  for (const auto& rank : m.per_rank) per_rank.push_back({{"rank", rank.rank}, {"tensors", write_tensors(rank.tensors)}});
  Ordered optimizers = Ordered::array();
  for (const auto& optimizer : m.optimizers) {
    optimizers.push_back({{"name", optimizer.name}, {"metadata", optimizer.metadata}, {"tensors", optimizer.tensors}});
  }
  Ordered out;
  out["format"] = kManifestFormat;
  out["version"] = kManifestVersion;
  out["checkpoint"] = m.id.name();
  out["step"] = m.id.step;
  out["nonce"] = m.id.nonce;
  out["created"] = format_utc_millis(m.created);
  out["world_size"] = m.world_size;
  if (m.encryption) {
    out["encryption"] = {{"algorithm", m.encryption->algorithm},
                         {"frame_bytes", m.encryption->frame_bytes},
                         {"key_id", m.encryption->key_id}};
  }
  out["shards"] = std::move(shards);
  out["tensors"] = write_tensors(m.tensors);
  out["per_rank"] = std::move(per_rank);
  out["optimizers"] = std::move(optimizers);
  out["metadata"] = m.metadata;
  out["user"] = m.user_json.empty() ? Ordered(nullptr) : Ordered::parse(m.user_json);
  return out;
}

// ---- reading ----

std::map<std::string, std::string> read_string_map(JsonValue value) {
  JsonObject object(value);
  std::map<std::string, std::string> out;
  for (const auto& item : value.json().items()) out[item.key()] = object.field(item.key()).as_string();
  return out;
}

std::vector<std::string> read_strings(const JsonValue& value) {
  std::vector<std::string> out(value.array_size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = value.element(i).as_string();
  return out;
}

TensorPiece read_piece(const JsonValue& value) {
  JsonObject object(value);
  TensorPiece piece;
  piece.shard = object.field("shard").as_string();
  piece.offset = object.field("offset").as_unsigned();
  piece.length = object.field("length").as_unsigned();
  piece.tensor_offset = object.field("tensor_offset").as_unsigned();
  piece.checksum = object.field("checksum").as_string();
  object.finish();
  return piece;
}

TensorEntry read_tensor(const JsonValue& value) {
  JsonObject object(value);
  TensorEntry tensor;
  tensor.name = object.field("name").as_string();
  object.rename(value.path() + " ('" + tensor.name + "')");
  const JsonValue dtype = object.field("dtype");
  try {
    tensor.dtype = parse_dtype(dtype.as_string());
  } catch (const Error&) {
    dtype.fail("unknown dtype '" + dtype.as_string() + "'");
  }
  const JsonValue shape = object.field("shape");
  tensor.shape.resize(shape.array_size());
  for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
    tensor.shape[i] = static_cast<std::int64_t>(shape.element(i).as_unsigned(kMaxDimension));
  }
  const JsonValue pieces = object.field("pieces");
  tensor.pieces.resize(pieces.array_size());
  for (std::size_t i = 0; i < tensor.pieces.size(); ++i) tensor.pieces[i] = read_piece(pieces.element(i));
  object.finish();
  return tensor;
}

std::vector<TensorEntry> read_tensors(const JsonValue& value) {
  std::vector<TensorEntry> out(value.array_size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = read_tensor(value.element(i));
  return out;
}

Manifest read_manifest(const nlohmann::json& document, std::string_view origin) {
  JsonObject top(JsonValue(document, "", origin));
  const JsonValue format = top.field("format");
  if (format.as_string() != kManifestFormat) {
    format.fail("'" + format.as_string() + "' is not a " + std::string(kManifestFormat) + " manifest");
  }
  const JsonValue version = top.field("version");
  if (!version.json().is_number_integer() || version.json() != kManifestVersion) {
    version.fail("unsupported manifest version " + version.json().dump() + " (this build reads version " +
                 std::to_string(kManifestVersion) + ")");
  }

  Manifest m;
  m.id.step = static_cast<std::int64_t>(top.field("step").as_unsigned(static_cast<std::uint64_t>(kMaxStep)));
  const JsonValue nonce = top.field("nonce");
  m.id.nonce = nonce.as_string();
  const JsonValue name = top.field("checkpoint");
  std::string expected;
  try {
    expected = m.id.name();
  } catch (const Error&) {
    nonce.fail("'" + m.id.nonce + "' is not 8 lowercase hex digits");
  }
  if (name.as_string() != expected) {
    name.fail("'" + name.as_string() + "' does not match step and nonce (expected '" + expected + "')");
  }
  const JsonValue created = top.field("created");
  const auto time = parse_utc_millis(created.as_string());
  if (!time) created.fail("'" + created.as_string() + "' is not a UTC time like 2024-11-24T22:20:00.123Z");
  m.created = *time;
  m.world_size = static_cast<int>(top.field("world_size").as_unsigned(kMaxWorldSize, 1));
  if (top.has("encryption")) {
    JsonObject encryption(top.field("encryption"));
    ManifestEncryption entry;
    entry.algorithm = encryption.field("algorithm").as_string();
    entry.frame_bytes = encryption.field("frame_bytes").as_unsigned();
    entry.key_id = encryption.field("key_id").as_string();
    encryption.finish();
    m.encryption = std::move(entry);
  }

  const JsonValue shards = top.field("shards");
  m.shards.resize(shards.array_size());
  for (std::size_t i = 0; i < m.shards.size(); ++i) {
    JsonObject shard(shards.element(i));
    m.shards[i].key = shard.field("key").as_string();
    m.shards[i].rank = static_cast<int>(shard.field("rank").as_unsigned(kMaxWorldSize - 1));
    m.shards[i].size = shard.field("size").as_unsigned();
    m.shards[i].checksum = shard.field("checksum").as_string();
    if (shard.has("encryption")) {
      JsonObject encryption(shard.field("encryption"));
      ShardEncryption entry;
      entry.salt = encryption.field("salt").as_string();
      entry.plaintext_size = encryption.field("plaintext_size").as_unsigned();
      encryption.finish();
      m.shards[i].encryption = std::move(entry);
    }
    shard.finish();
  }
  m.tensors = read_tensors(top.field("tensors"));

  const JsonValue per_rank = top.field("per_rank");
  m.per_rank.resize(per_rank.array_size());
  for (std::size_t i = 0; i < m.per_rank.size(); ++i) {
    JsonObject rank(per_rank.element(i));
    m.per_rank[i].rank = static_cast<int>(rank.field("rank").as_unsigned(kMaxWorldSize - 1));
    m.per_rank[i].tensors = read_tensors(rank.field("tensors"));
    rank.finish();
  }

  const JsonValue optimizers = top.field("optimizers");
  m.optimizers.resize(optimizers.array_size());
  for (std::size_t i = 0; i < m.optimizers.size(); ++i) {
    JsonObject optimizer(optimizers.element(i));
    m.optimizers[i].name = optimizer.field("name").as_string();
    m.optimizers[i].metadata = read_string_map(optimizer.field("metadata"));
    m.optimizers[i].tensors = read_strings(optimizer.field("tensors"));
    optimizer.finish();
  }
  m.metadata = read_string_map(top.field("metadata"));
  const JsonValue user = top.field("user");
  if (!user.json().is_null()) m.user_json = user.json().dump();
  top.finish();
  return m;
}

}  // namespace

std::string to_json(const Manifest& manifest) {
  validate_manifest(manifest, "manifest of checkpoint step " + std::to_string(manifest.id.step),
                    ErrorCode::InvalidArgument);
  try {
    return write_manifest(manifest).dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {
    // dump() refuses strings that are not UTF-8 (tensor names, metadata).
    throw Error(ErrorCode::InvalidArgument,
                "manifest of checkpoint " + manifest.id.name() + " cannot be written as JSON: " + e.what());
  }
}

Manifest parse_manifest(std::string_view json, std::string_view origin) {
  Manifest manifest = read_manifest(parse_strict_json(json, origin), origin);
  validate_manifest(manifest, origin, ErrorCode::Corrupt);
  return manifest;
}

}  // namespace ronde::checkpoint
