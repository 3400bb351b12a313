// validate_manifest: the semantic rules of a manifest (docs/CHECKPOINT_FORMAT.md, "Rules"), shared
// by parse_manifest (a broken manifest is Corrupt) and to_json (writing one is InvalidArgument).
#include <algorithm>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "ckpt/frame_cipher.h"
#include "ronde/checkpoint/checksum.h"
#include "ronde/checkpoint/encryption.h"
#include "ronde/checkpoint/manifest.h"

namespace ronde::checkpoint {

namespace {

constexpr int kMaxWorldSize = 100'000;
constexpr std::size_t kMaxNameBytes = 1024;

// Names of shard objects: [A-Za-z0-9._-]{1,255}, not starting with '.', never the manifest's name.
bool is_object_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.' || name == kManifestName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

// Tensor and optimizer names: 1..1024 bytes, no control characters.
bool is_entry_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string range(std::uint64_t offset, std::uint64_t length) {
  return "[" + std::to_string(offset) + ", " + std::to_string(offset + length) + ")";
}

// A byte range of a shard and who claims it, for the overlap check.
struct Claim {
  std::uint64_t offset;
  std::uint64_t length;
  std::string owner;  // "tensor 'fc1.w' piece 0"
};

class Checker {
 public:
  Checker(const Manifest& manifest, std::string_view origin, ErrorCode code)
      : m_(manifest), origin_(origin), code_(code) {}

  void run() {
    check_header();
    check_shards();
    std::set<std::string, std::less<>> names;
    for (const auto& tensor : m_.tensors) check_tensor(tensor, "tensor " + in_quotes(tensor.name), names);
    all_names_ = names;
    std::set<int> ranks;
    for (const auto& state : m_.per_rank) {
      const std::string who = "per_rank entry of rank " + std::to_string(state.rank);
      if (state.rank < 0 || state.rank >= m_.world_size) fail(who + ": rank is outside world size " + std::to_string(m_.world_size));
      if (!ranks.insert(state.rank).second) fail(who + ": rank " + std::to_string(state.rank) + " appears twice");
      std::set<std::string, std::less<>> rank_names;
      for (const auto& tensor : state.tensors) {
        check_tensor(tensor, "rank " + std::to_string(state.rank) + " tensor " + in_quotes(tensor.name), rank_names);
      }
      all_names_.insert(rank_names.begin(), rank_names.end());
    }
    check_overlaps();
    check_optimizers();
    check_user_data();
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const { throw Error(code_, std::string(origin_) + ": " + problem); }

  void check_header() const {
    try {
      (void)m_.id.name();
    } catch (const Error& e) {
      fail(e.message());
    }
    if (m_.world_size < 1 || m_.world_size > kMaxWorldSize) {
      fail("world size " + std::to_string(m_.world_size) + " is outside 1.." + std::to_string(kMaxWorldSize));
    }
  }

  void check_checksum(std::string_view checksum, const std::string& what) const {
    try {
      (void)parse_checksum(checksum, what);
    } catch (const Error& e) {
      fail(e.message());
    }
  }

  static bool is_lower_hex(std::string_view text, std::size_t digits) {
    return text.size() == digits &&
           std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  }

  void check_encryption() const {
    if (!m_.encryption) return;
    const ManifestEncryption& e = *m_.encryption;
    if (e.algorithm != detail::kFramedAlgorithm) {
      fail("encryption: unknown algorithm " + in_quotes(e.algorithm) + " (this build reads " +
           in_quotes(detail::kFramedAlgorithm) + ")");
    }
    if (e.frame_bytes < 1 || e.frame_bytes > kMaxEncryptionFrameBytes) {
      fail("encryption: frame_bytes " + std::to_string(e.frame_bytes) + " is outside 1.." +
           std::to_string(kMaxEncryptionFrameBytes));
    }
    if (!is_lower_hex(e.key_id, 16)) fail("encryption: key_id " + in_quotes(e.key_id) + " is not 16 lowercase hex digits");
  }

  void check_shard_encryption(const ShardEntry& shard, const std::string& who) const {
    if (!m_.encryption) {
      if (shard.encryption) fail(who + ": has encryption parameters but the checkpoint is not encrypted");
      return;
    }
    if (!shard.encryption) fail(who + ": the checkpoint is encrypted but the shard has no encryption parameters");
    if (!is_lower_hex(shard.encryption->salt, 2 * detail::kSaltBytes)) {
      fail(who + ": salt " + in_quotes(shard.encryption->salt) + " is not " + std::to_string(2 * detail::kSaltBytes) +
           " lowercase hex digits");
    }
    const std::uint64_t plain = shard.encryption->plaintext_size;
    const std::uint64_t frame = m_.encryption->frame_bytes;
    if (plain > std::numeric_limits<std::uint64_t>::max() / 2 ||
        detail::encrypted_size(plain, frame) != shard.size) {
      fail(who + ": " + std::to_string(shard.size) + " stored bytes do not hold " + std::to_string(plain) +
           " plaintext bytes in frames of " + std::to_string(frame) + " bytes");
    }
  }

  void check_shards() {
    check_encryption();
    for (const auto& shard : m_.shards) {
      const std::string who = "shard " + in_quotes(shard.key);
      check_shard_encryption(shard, who);
      if (!is_object_name(shard.key)) fail(who + ": not a valid object name ([A-Za-z0-9._-], not starting with '.')");
      if (!shards_.emplace(shard.key, &shard).second) fail(who + " is listed twice");
      if (shard.rank < 0 || shard.rank >= m_.world_size) {
        fail(who + ": rank " + std::to_string(shard.rank) + " is outside world size " + std::to_string(m_.world_size));
      }
      check_checksum(shard.checksum, "checksum of " + who);
    }
  }

  void check_tensor(const TensorEntry& tensor, const std::string& who, std::set<std::string, std::less<>>& names) {
    if (!is_entry_name(tensor.name)) fail(who + ": a tensor name must be 1..1024 bytes without control characters");
    if (!names.insert(tensor.name).second) fail(who + " is listed twice");
    std::uint64_t bytes = 0;
    try {
      bytes = tensor.nbytes();
    } catch (const Error& e) {
      fail(who + ": " + e.message());
    }
    std::uint64_t covered = 0;
    for (std::size_t i = 0; i < tensor.pieces.size(); ++i) {
      const TensorPiece& piece = tensor.pieces[i];
      const std::string piece_who = who + " piece " + std::to_string(i);
      if (piece.length == 0) fail(piece_who + ": length is 0");
      if (piece.tensor_offset != covered) {
        fail(piece_who + ": starts at tensor byte " + std::to_string(piece.tensor_offset) + ", expected " +
             std::to_string(covered) + " (pieces must cover the tensor in order, without gaps or overlaps)");
      }
      if (piece.length > bytes - covered) {
        fail(piece_who + ": tensor bytes " + range(piece.tensor_offset, piece.length) + " go beyond the tensor's " +
             std::to_string(bytes) + " bytes");
      }
      covered += piece.length;
      const auto shard = shards_.find(piece.shard);
      if (shard == shards_.end()) fail(piece_who + ": shard " + in_quotes(piece.shard) + " is not in the shard list");
      const std::uint64_t size = shard->second->plaintext_size();
      if (piece.offset > size || piece.length > size - piece.offset) {
        fail(piece_who + ": bytes " + range(piece.offset, piece.length) + " are beyond the end of shard " +
             in_quotes(piece.shard) + " (" + std::to_string(size) + (shard->second->encryption ? " plaintext" : "") +
             " bytes)");
      }
      check_checksum(piece.checksum, "checksum of " + piece_who);
      claims_[piece.shard].push_back({piece.offset, piece.length, piece_who});
    }
    if (covered != bytes) {
      fail(who + ": pieces cover " + std::to_string(covered) + " of its " + std::to_string(bytes) + " bytes (" +
           std::string(to_string(tensor.dtype)) + shape_text(tensor.shape) + ")");
    }
  }

  static std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
    return text + "]";
  }

  void check_overlaps() {
    for (auto& [shard, claims] : claims_) {
      std::sort(claims.begin(), claims.end(), [](const Claim& a, const Claim& b) { return a.offset < b.offset; });
      for (std::size_t i = 1; i < claims.size(); ++i) {
        const Claim& before = claims[i - 1];
        const Claim& after = claims[i];
        if (after.offset < before.offset + before.length) {
          fail("shard " + in_quotes(shard) + ": " + before.owner + " bytes " + range(before.offset, before.length) +
               " overlap " + after.owner + " bytes " + range(after.offset, after.length));
        }
      }
    }
  }

  void check_optimizers() const {
    std::set<std::string_view> names;
    for (const auto& optimizer : m_.optimizers) {
      const std::string who = "optimizer " + in_quotes(optimizer.name);
      if (!is_entry_name(optimizer.name)) fail(who + ": an optimizer name must be 1..1024 bytes without control characters");
      if (!names.insert(optimizer.name).second) fail(who + " is listed twice");
      std::set<std::string_view> listed;
      for (const auto& tensor : optimizer.tensors) {
        if (!listed.insert(tensor).second) fail(who + ": tensor " + in_quotes(tensor) + " is listed twice");
        if (!all_names_.contains(tensor)) fail(who + ": tensor " + in_quotes(tensor) + " is not in the manifest");
      }
    }
  }

  void check_user_data() const {
    for (const auto& [key, value] : m_.metadata) {
      if (key.empty()) fail("metadata: a key is empty");
    }
    if (!m_.user_json.empty() && !nlohmann::json::accept(m_.user_json)) fail("user: the user JSON is not valid JSON");
  }

  const Manifest& m_;
  std::string_view origin_;
  ErrorCode code_;
  std::map<std::string, const ShardEntry*, std::less<>> shards_;
  std::map<std::string, std::vector<Claim>, std::less<>> claims_;
  std::set<std::string, std::less<>> all_names_;
};

}  // namespace

void validate_manifest(const Manifest& manifest, std::string_view origin, ErrorCode code) {
  Checker(manifest, origin, code).run();
}

std::uint64_t TensorEntry::nbytes() const {
  std::uint64_t elements = 1;
  for (std::int64_t dimension : shape) {
    if (dimension < 0) {
      throw Error(ErrorCode::InvalidArgument, "tensor '" + name + "' has a negative dimension " + std::to_string(dimension));
    }
    const auto d = static_cast<std::uint64_t>(dimension);
    if (d != 0 && elements > std::numeric_limits<std::uint64_t>::max() / d) {
      throw Error(ErrorCode::InvalidArgument, "tensor '" + name + "' has more elements than 2^64");
    }
    elements *= d;
  }
  const std::uint64_t size = dtype_size(dtype);
  if (elements != 0 && elements > std::numeric_limits<std::uint64_t>::max() / size) {
    throw Error(ErrorCode::InvalidArgument, "tensor '" + name + "' has more bytes than 2^64");
  }
  return elements * size;
}

const TensorEntry* Manifest::find_tensor(std::string_view tensor_name) const {
  for (const auto& tensor : tensors) {
    if (tensor.name == tensor_name) return &tensor;
  }
  return nullptr;
}

const ShardEntry* Manifest::find_shard(std::string_view key) const {
  for (const auto& shard : shards) {
    if (shard.key == key) return &shard;
  }
  return nullptr;
}

std::uint64_t Manifest::total_bytes() const {
  std::uint64_t total = 0;
  for (const auto& shard : shards) total += shard.size;
  return total;
}

}  // namespace ronde::checkpoint
