#include "state_dict_layout.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ronde/core/error.h"

namespace ronde::training {
namespace {

// Format: magic, then little-endian-as-the-host u64 counts and lengths (every rank of a job runs on
// the same architecture):
//   "RSDL1" | n_meta | (key, value)* | n_tensors | (name, u8 dtype, u64 ndim, i64 dims...)*
// where a string is its u64 length and bytes.
constexpr std::string_view kMagic = "RSDL1";

class Writer {
 public:
  void bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::byte*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  void u64(std::uint64_t value) { bytes(&value, sizeof value); }
  void string(std::string_view text) {
    u64(text.size());
    bytes(text.data(), text.size());
  }
  std::vector<std::byte> take() { return std::move(out_); }

 private:
  std::vector<std::byte> out_;
};

class Reader {
 public:
  explicit Reader(const std::vector<std::byte>& in) : in_(in) {}
  void bytes(void* data, std::size_t size) {
    if (size > in_.size() - at_) fail("truncated");
    if (size != 0) std::memcpy(data, in_.data() + at_, size);
    at_ += size;
  }
  std::uint64_t u64() {
    std::uint64_t value = 0;
    bytes(&value, sizeof value);
    return value;
  }
  std::string string() {
    const std::uint64_t size = u64();
    if (size > in_.size() - at_) fail("truncated string");
    std::string text(static_cast<std::size_t>(size), '\0');
    bytes(text.data(), text.size());
    return text;
  }
  bool at_end() const { return at_ == in_.size(); }
  [[noreturn]] static void fail(const std::string& why) {
    throw Error(ErrorCode::Corrupt, "optimizer state layout received from the root rank: " + why);
  }

 private:
  const std::vector<std::byte>& in_;
  std::size_t at_ = 0;
};

}  // namespace

std::vector<std::byte> encode_layout(const optim::StateDict& dict) {
  Writer out;
  out.bytes(kMagic.data(), kMagic.size());
  out.u64(dict.metadata.size());
  for (const auto& [key, value] : dict.metadata) {
    out.string(key);
    out.string(value);
  }
  out.u64(dict.tensors.size());
  for (const auto& tensor : dict.tensors) {
    out.string(tensor.name);
    const auto dtype = static_cast<std::uint8_t>(tensor.dtype);
    out.bytes(&dtype, 1);
    out.u64(tensor.shape.size());
    for (std::int64_t dim : tensor.shape) out.bytes(&dim, sizeof dim);
  }
  return out.take();
}

optim::StateDict decode_layout(const std::vector<std::byte>& encoded) {
  Reader in(encoded);
  std::string magic(kMagic.size(), '\0');
  in.bytes(magic.data(), magic.size());
  if (magic != kMagic) Reader::fail("bad magic");
  optim::StateDict dict;
  const std::uint64_t metadata = in.u64();
  for (std::uint64_t i = 0; i < metadata; ++i) {
    std::string key = in.string();
    dict.metadata[key] = in.string();
  }
  const std::uint64_t tensors = in.u64();
  if (tensors > encoded.size()) Reader::fail("impossible tensor count");
  for (std::uint64_t i = 0; i < tensors; ++i) {
    optim::StateTensor tensor;
    tensor.name = in.string();
    std::uint8_t dtype = 0;
    in.bytes(&dtype, 1);
    if (dtype > static_cast<std::uint8_t>(DType::U8)) Reader::fail("bad dtype of '" + tensor.name + "'");
    tensor.dtype = static_cast<DType>(dtype);
    const std::uint64_t ndim = in.u64();
    if (ndim > 64) Reader::fail("bad rank of '" + tensor.name + "'");
    std::uint64_t elements = 1;
    for (std::uint64_t d = 0; d < ndim; ++d) {
      std::int64_t dim = 0;
      in.bytes(&dim, sizeof dim);
      if (dim < 0 || (dim != 0 && elements > (std::uint64_t{1} << 48) / static_cast<std::uint64_t>(dim))) {
        Reader::fail("bad shape of '" + tensor.name + "'");
      }
      elements *= static_cast<std::uint64_t>(dim);
      tensor.shape.push_back(dim);
    }
    tensor.bytes.resize(static_cast<std::size_t>(elements) * dtype_size(tensor.dtype));
    dict.tensors.push_back(std::move(tensor));
  }
  if (!in.at_end()) Reader::fail("trailing bytes");
  return dict;
}

}  // namespace ronde::training
