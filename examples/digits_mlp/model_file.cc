#include "model_file.h"

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ronde/core/error.h"

namespace digits {

static_assert(std::endian::native == std::endian::little, "the model file stores float32 little-endian");

void write_model_file(const std::string& path, int hidden, std::span<const ronde::optim::Parameter> parameters) {
  const std::filesystem::path target(path);
  const auto fail = [&](const std::string& what) {
    throw ronde::Error(ronde::ErrorCode::Storage, "cannot write the model to '" + path + "': " + what);
  };
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  if (error) fail("cannot create " + target.parent_path().string() + ": " + error.message());

  const std::filesystem::path temp = target.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) fail(std::string("cannot create ") + temp.string() + ": " + std::strerror(errno));
    out << "digits_mlp model v1 hidden=" << hidden << "\n";
    for (const auto& parameter : parameters) {
      out.write(static_cast<const char*>(parameter.value.data()),
                static_cast<std::streamsize>(parameter.value.nbytes()));
    }
    out.flush();
    if (!out) fail("write error on " + temp.string());
  }
  std::filesystem::rename(temp, target, error);
  if (error) fail("cannot rename " + temp.string() + ": " + error.message());
}

}  // namespace digits
