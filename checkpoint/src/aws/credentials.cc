#include "aws/credentials.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>

#include "aws/credential_chain.h"
#include "aws/credential_sources.h"
#include "aws/shared_files.h"
#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

// Every variable the chain reads. The chain keeps a copy of them, so that it does not depend on
// the lifetime of the Environment it was made from.
constexpr std::string_view kChainVariables[] = {
    "HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT"};

MapEnvironment snapshot(const Environment& env) {
  MapEnvironment copy;
  for (const auto name : kChainVariables) {
    if (auto value = env.get(name)) copy.set(std::string(name), std::move(*value));
  }
  return copy;
}

class StaticProvider final : public CredentialsProvider {
 public:
  StaticProvider(s3::Credentials credentials, std::string description)
      : credentials_(std::move(credentials)), description_(std::move(description)) {}
  s3::Credentials current() override { return credentials_; }
  std::string describe() const override { return description_; }

 private:
  const s3::Credentials credentials_;
  const std::string description_;
};

class ChainProvider final : public CredentialsProvider {
 public:
  ChainProvider(const Environment& env, std::string_view profile, ChainSettings settings)
      : env_(snapshot(env)), profile_(profile_name(env_, profile)), settings_(std::move(settings)) {}

  s3::Credentials current() override {
    std::unique_lock lock(mutex_);
    const auto now = settings_.clock();
    if (cached_ && !needs_refresh(now)) return cached_->credentials;

    if (refreshing_) {
      if (cached_ && !expired(now)) return cached_->credentials;  // someone else refreshes
      const auto generation = generation_;
      changed_.wait(lock, [&] { return generation_ != generation; });
      if (cached_ && (!last_failure_ || !expired(settings_.clock()))) return cached_->credentials;
      std::rethrow_exception(last_failure_);
    }

    refreshing_ = true;
    last_attempt_ = now;
    lock.unlock();
    std::optional<TimedCredentials> fresh;
    std::exception_ptr failure;
    try {
      fresh = probe_chain();
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    refreshing_ = false;
    ++generation_;
    if (fresh) cached_ = std::move(fresh);
    last_failure_ = failure;
    changed_.notify_all();
    // Fresh credentials are used as the source gave them; after a failure, the old ones while valid.
    if (!failure || (cached_ && !expired(settings_.clock()))) return cached_->credentials;
    std::rethrow_exception(failure);
  }

  std::string describe() const override {
    std::lock_guard lock(mutex_);
    if (cached_) return cached_->source;
    return "the default credential chain (profile '" + profile_ + "'; not probed yet)";
  }

 private:
  bool expired(std::chrono::system_clock::time_point now) const {
    return cached_->expiration && now >= *cached_->expiration;
  }
  // Temporary credentials inside the refresh window, unless a refresh failed only just now.
  bool needs_refresh(std::chrono::system_clock::time_point now) const {
    if (!cached_->expiration) return false;
    if (expired(now)) return true;
    return now + settings_.refresh_window >= *cached_->expiration && now >= last_attempt_ + settings_.retry_interval;
  }

  // Probes the sources in order; the first with credentials wins, a broken one ends the search.
  TimedCredentials probe_chain() const {
    std::string tried;
    const auto give_up = [&](const std::string& ending) {
      throw Error(ErrorCode::Unauthenticated, "no AWS credentials for profile '" + profile_ + "': " + tried + ending);
    };
    const auto consider = [&](std::string_view name, const std::function<Probe()>& probe) -> std::optional<TimedCredentials> {
      Probe result;
      try {
        result = probe();
      } catch (const Error& error) {
        result = Probe::broken(error.message());
      }
      if (result.credentials) return std::move(result.credentials);
      tried += (tried.empty() ? "" : "; ") + std::string(name) + ": " + result.why_not;
      if (result.fatal) give_up(" (the chain stops at a source that is configured but broken)");
      return std::nullopt;
    };
    const auto& timeouts = settings_.metadata_timeouts;
    if (auto found = consider("environment", [&] { return probe_environment(env_); })) return *found;
    if (auto found = consider("shared files", [&] { return probe_profile(env_, profile_, /*named=*/profile_ != "default"); })) {
      return *found;
    }
    if (auto found = consider("container endpoint",
                              [&] { return probe_container(env_, timeouts, settings_.container_host); })) {
      return *found;
    }
    if (auto found = consider("EC2 instance metadata", [&] { return probe_instance_metadata(env_, timeouts); })) {
      return *found;
    }
    give_up("");
    return {};  // not reached
  }

  const MapEnvironment env_;
  const std::string profile_;
  const ChainSettings settings_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<TimedCredentials> cached_;
  bool refreshing_ = false;
  std::uint64_t generation_ = 0;  // counts finished refreshes
  std::exception_ptr last_failure_;
  std::chrono::system_clock::time_point last_attempt_{};
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_credentials_chain(const Environment& env, std::string_view profile,
                                                            ChainSettings settings) {
  return std::make_unique<ChainProvider>(env, profile, std::move(settings));
}

std::unique_ptr<CredentialsProvider> default_credentials_chain(const Environment& env, std::string_view profile) {
  return make_credentials_chain(env, profile, ChainSettings{});
}

std::unique_ptr<CredentialsProvider> static_credentials(s3::Credentials credentials, std::string description) {
  return std::make_unique<StaticProvider>(std::move(credentials), std::move(description));
}

}  // namespace ronde::aws
