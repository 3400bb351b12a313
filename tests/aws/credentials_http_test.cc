// The container endpoint and EC2 instance metadata (IMDSv2) over real HTTP, against fakes on
// 127.0.0.1: headers, token handling, refresh before expiry, no refresh stampede, and bounded
// failure time when the endpoint refuses, never accepts or stays silent. Every connection stays
// on 127.0.0.1: no test here may reach 169.254.169.254, 169.254.170.2 or any other address.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <set>
#include <thread>

#include "aws/credential_chain.h"
#include "aws/credentials.h"
#include "aws/metadata_http.h"
#include "support/fake_http_server.h"
#include "ronde/core/error.h"
#include "environments.h"
#include "support/temp_dir.h"
#include "support/test_helpers.h"

namespace ronde::aws {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::system_clock;
using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;

constexpr char kRolePath[] = "/latest/meta-data/iam/security-credentials/trainer";
constexpr char kRolesPath[] = "/latest/meta-data/iam/security-credentials/";

std::string iso8601(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The JSON both endpoints answer with; key ids count up so that a refresh is visible.
std::string credentials_json(int serial, Clock::time_point expiration, bool with_code) {
  return std::string("{") + (with_code ? "\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", " : "") +
         "\"AccessKeyId\": \"ASIA" + std::to_string(serial) + "\", \"SecretAccessKey\": \"secret" +
         std::to_string(serial) + "\", \"Token\": \"session" + std::to_string(serial) + "\", \"Expiration\": \"" +
         iso8601(expiration) + "\"}";
}

std::string unauthenticated_from(CredentialsProvider& provider) {
  return ronde::testing::error_message(ErrorCode::Unauthenticated, [&] { provider.current(); });
}

// A clock the test moves forward.
struct TestClock {
  std::atomic<Clock::duration::rep> offset{0};
  void advance(Clock::duration by) { offset += by.count(); }
  std::function<Clock::time_point()> function() {
    return [this] { return Clock::now() + Clock::duration(offset.load()); };
  }
};

// A fake EC2 instance metadata service with one role, "trainer", that insists on IMDSv2 tokens.
// Expiration times are computed on `now`, the clock of the provider under test.
class FakeInstanceMetadata {
 public:
  explicit FakeInstanceMetadata(std::function<Clock::time_point()> now = [] { return Clock::now(); })
      : now_(std::move(now)) {}
  std::atomic<int> lifetime_s{3600};       // of the credentials it serves
  std::atomic<bool> refuse_tokens{false};  // PUT /latest/api/token answers 403
  std::atomic<bool> fail_credentials{false};
  std::atomic<int> credentials_delay_ms{0};

  std::string url() const { return server_.url(); }
  const FakeHttpServer& server() const { return server_; }
  int credential_fetches() const { return server_.count("GET", kRolePath); }

 private:
  FakeResponse handle(const FakeRequest& request) {
    if (request.method == "PUT" && request.path == "/latest/api/token") {
      if (refuse_tokens) return {403, "IMDSv2 disabled"};
      if (request.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) return {400, "no TTL"};
      std::lock_guard lock(mutex_);
      const std::string token = "token-" + std::to_string(tokens_.size() + 1);
      tokens_.insert(token);
      return {200, token};
    }
    {
      std::lock_guard lock(mutex_);
      if (tokens_.count(request.header("x-aws-ec2-metadata-token")) == 0) return {401, "missing or unknown token"};
    }
    if (request.method != "GET") return {405, ""};
    if (request.path == kRolesPath) return {200, "trainer\n"};
    if (request.path == kRolePath) {
      std::this_thread::sleep_for(std::chrono::milliseconds(credentials_delay_ms.load()));
      if (fail_credentials) return {500, "broken"};
      return {200, credentials_json(++served_, now_() + std::chrono::seconds(lifetime_s.load()), true)};
    }
    return {404, "not found"};
  }

  const std::function<Clock::time_point()> now_;
  std::mutex mutex_;
  std::set<std::string> tokens_;
  std::atomic<int> served_{0};
  FakeHttpServer server_{[this](const FakeRequest& request) { return handle(request); }};
};

// Points the chain at `imds` and at nothing else.
MapEnvironment imds_environment(const FakeInstanceMetadata& imds) {
  return testing::env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url() + "/"}});
}

TEST(InstanceMetadata, FetchesWithAnImdsV2Token) {
  FakeInstanceMetadata imds;
  auto chain = default_credentials_chain(imds_environment(imds));
  const s3::Credentials credentials = chain->current();
  EXPECT_EQ(credentials.access_key_id, "ASIA1");
  EXPECT_EQ(credentials.secret_access_key, "secret1");
  EXPECT_EQ(credentials.session_token, "session1");
  EXPECT_EQ(chain->describe(), "EC2 instance metadata (role 'trainer')");

  const auto requests = imds.server().requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].path, "/latest/api/token");
  EXPECT_EQ(requests[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(requests[1].path, kRolesPath);
  EXPECT_EQ(requests[2].path, kRolePath);
  for (int i : {1, 2}) EXPECT_EQ(requests[i].header("x-aws-ec2-metadata-token"), "token-1");
}

// The S3 backend passes the resolved profile ("default" when none was chosen): on an instance
// without ~/.aws files that must still reach the instance's role.
TEST(InstanceMetadata, TheDefaultProfileWithoutFilesFallsThrough) {
  FakeInstanceMetadata imds;
  testing::TempDir home;
  MapEnvironment env = imds_environment(imds);
  env.set("HOME", home.path());
  EXPECT_EQ(default_credentials_chain(env, "default")->current().access_key_id, "ASIA1");
  env.set("AWS_PROFILE", "default");
  EXPECT_EQ(default_credentials_chain(env)->current().access_key_id, "ASIA2");
}

TEST(InstanceMetadata, TheFakeRefusesRequestsWithoutAToken) {
  FakeInstanceMetadata imds;
  EXPECT_EQ(metadata_request("GET", imds.url() + kRolePath, {}, HttpTimeouts{}).status, 401);
  EXPECT_EQ(metadata_request("PUT", imds.url() + "/latest/api/token", {}, HttpTimeouts{}).status, 400);
}

TEST(InstanceMetadata, NoFallbackToImdsV1WhenTokensAreRefused) {
  FakeInstanceMetadata imds;
  imds.refuse_tokens = true;
  auto chain = default_credentials_chain(imds_environment(imds));
  EXPECT_THAT(unauthenticated_from(*chain),
              HasSubstr("EC2 instance metadata at " + imds.url() + ": PUT /latest/api/token answered HTTP 403"));
  EXPECT_EQ(imds.server().count("GET", kRolesPath), 0);
}

TEST(InstanceMetadata, DisabledMeansNoRequest) {
  FakeInstanceMetadata imds;
  MapEnvironment env = imds_environment(imds);
  env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  auto chain = default_credentials_chain(env);
  EXPECT_THAT(unauthenticated_from(*chain), HasSubstr("AWS_EC2_METADATA_DISABLED is true"));
  EXPECT_TRUE(imds.server().requests().empty());
}

TEST(InstanceMetadata, CachedUntilTheRefreshWindowThenRefreshed) {
  TestClock clock;
  FakeInstanceMetadata imds(clock.function());  // credentials live one hour
  auto chain = make_credentials_chain(imds_environment(imds), "", {.clock = clock.function()});
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");
  clock.advance(50min);
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");
  EXPECT_EQ(imds.credential_fetches(), 1);
  clock.advance(6min);  // 4 minutes left: inside the 5-minute window
  EXPECT_EQ(chain->current().access_key_id, "ASIA2");
  EXPECT_EQ(imds.credential_fetches(), 2);
}

TEST(InstanceMetadata, NearExpiryCredentialsAreRefreshedOnTheNextCall) {
  FakeInstanceMetadata imds;
  imds.lifetime_s = 240;  // already inside the 5-minute window when served
  auto chain = make_credentials_chain(imds_environment(imds), "", {.retry_interval = 0s});
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");
  EXPECT_EQ(chain->current().access_key_id, "ASIA2");
  // With the default retry interval the same credentials are not fetched again at once.
  auto throttled = default_credentials_chain(imds_environment(imds));
  EXPECT_EQ(throttled->current().access_key_id, "ASIA3");
  EXPECT_EQ(throttled->current().access_key_id, "ASIA3");
}

TEST(InstanceMetadata, AFailedRefreshKeepsValidCredentialsAndFailsOnceExpired) {
  TestClock clock;
  FakeInstanceMetadata imds(clock.function());
  auto chain = make_credentials_chain(imds_environment(imds), "", {.retry_interval = 0s, .clock = clock.function()});
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");
  imds.fail_credentials = true;
  clock.advance(57min);
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");  // refresh failed, still valid
  clock.advance(4min);                                  // now expired
  EXPECT_THAT(unauthenticated_from(*chain), HasSubstr("answered HTTP 500"));
  imds.fail_credentials = false;
  EXPECT_EQ(chain->current().access_key_id, "ASIA2");  // failed fetches serve no keys
}

// Many threads needing a refresh at once cause one fetch: in the window they keep using the
// current credentials, after expiry they wait for the one refresh.
TEST(InstanceMetadata, ConcurrentCallersDoNotStampede) {
  TestClock clock;
  FakeInstanceMetadata imds(clock.function());
  imds.credentials_delay_ms = 100;
  auto chain = make_credentials_chain(imds_environment(imds), "", {.retry_interval = 0s, .clock = clock.function()});
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");

  const auto hammer = [&](std::vector<std::string>& seen) {
    std::vector<std::thread> threads;
    seen.assign(8, "");
    for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { seen[i] = chain->current().access_key_id; });
    for (auto& thread : threads) thread.join();
  };
  std::vector<std::string> seen;
  clock.advance(57min);  // inside the window, not expired
  hammer(seen);
  EXPECT_EQ(imds.credential_fetches(), 2);
  for (const auto& key : seen) EXPECT_TRUE(key == "ASIA1" || key == "ASIA2") << key;
  EXPECT_EQ(chain->current().access_key_id, "ASIA2");

  clock.advance(2h);  // expired: everyone waits for the one refresh
  hammer(seen);
  EXPECT_EQ(imds.credential_fetches(), 3);
  for (const auto& key : seen) EXPECT_EQ(key, "ASIA3");
}

TEST(InstanceMetadata, ARefusedConnectionFailsFast) {
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(testing::closed_port());
  auto chain = default_credentials_chain(testing::env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint}}));
  const auto start = std::chrono::steady_clock::now();
  const std::string message = unauthenticated_from(*chain);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_THAT(message, HasSubstr("EC2 instance metadata: PUT " + endpoint + "/latest/api/token"));
}

TEST(InstanceMetadata, ASilentEndpointTimesOutWithTheDefaults) {
  testing::SilentListener silent;
  auto chain = default_credentials_chain(testing::env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", silent.url()}}));
  const auto start = std::chrono::steady_clock::now();
  const std::string message = unauthenticated_from(*chain);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_THAT(message, HasSubstr("PUT " + silent.url() + "/latest/api/token"));
  EXPECT_THAT(message, HasSubstr("imed out"));
}

// connect() hangs, as towards an unroutable address (on 127.0.0.1: no packet leaves the machine).
// The default connect timeout (1 s) ends it, well before the total one (3 s).
TEST(InstanceMetadata, AnEndpointThatNeverAcceptsGivesUpWithinTheConnectTimeout) {
  testing::UnansweredListener unanswered;
  auto chain = default_credentials_chain(testing::env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", unanswered.url()}}));
  const auto start = std::chrono::steady_clock::now();
  const std::string message = unauthenticated_from(*chain);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 900ms) << "the connection did not hang: " << message;
  EXPECT_LT(elapsed, 2500ms);
  EXPECT_THAT(message, HasSubstr("EC2 instance metadata: PUT " + unanswered.url() + "/latest/api/token"));
  EXPECT_THAT(message, ::testing::ContainsRegex("imed out|Timeout was reached"));  // libcurl's words vary
}

// ---- container endpoint ----

// A fake container credentials endpoint at /v2/credentials/id that wants `expected_token`.
class FakeContainerEndpoint {
 public:
  explicit FakeContainerEndpoint(std::string expected_token) : expected_token_(std::move(expected_token)) {}
  std::string uri() const { return server_.url() + "/v2/credentials/id"; }
  const FakeHttpServer& server() const { return server_; }
  void expect_token(std::string token) {
    std::lock_guard lock(mutex_);
    expected_token_ = std::move(token);
  }
  std::atomic<bool> bad_json{false};

 private:
  FakeResponse handle(const FakeRequest& request) {
    {
      std::lock_guard lock(mutex_);
      if (request.header("authorization") != expected_token_) return {401, "bad token"};
    }
    if (request.method != "GET" || request.path != "/v2/credentials/id") return {404, ""};
    if (bad_json) return {200, "{\"AccessKeyId\": \"A\"}"};
    return {200, credentials_json(++served_, Clock::now() + 1h, false)};
  }

  std::mutex mutex_;
  std::string expected_token_;
  std::atomic<int> served_{0};
  FakeHttpServer server_{[this](const FakeRequest& request) { return handle(request); }};
};

TEST(ContainerEndpoint, FullUriWithAuthorizationToken) {
  FakeContainerEndpoint endpoint("secret-token");
  auto chain = default_credentials_chain(testing::env_with({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.uri()},
                                                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-token"},
                                                         {"AWS_EC2_METADATA_DISABLED", "true"}}));
  const s3::Credentials credentials = chain->current();
  EXPECT_EQ(credentials.access_key_id, "ASIA1");
  EXPECT_EQ(credentials.session_token, "session1");
  EXPECT_EQ(chain->describe(), "container endpoint " + endpoint.uri());
  EXPECT_EQ(endpoint.server().requests().at(0).header("accept"), "application/json");
}

TEST(ContainerEndpoint, TokenFileBeatsTheVariableAndIsReadOnEveryRefresh) {
  testing::TempDir dir;
  FakeContainerEndpoint endpoint("from-file-1");
  const std::string token_file = dir.write("token", "from-file-1\n");
  TestClock clock;
  auto chain = make_credentials_chain(testing::env_with({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.uri()},
                                                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-variable"},
                                                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}),
                                      "", {.clock = clock.function()});
  EXPECT_EQ(chain->current().access_key_id, "ASIA1");
  dir.write("token", "from-file-2");  // rotated
  endpoint.expect_token("from-file-2");
  clock.advance(58min);
  EXPECT_EQ(chain->current().access_key_id, "ASIA2");
}

TEST(ContainerEndpoint, ARefusedTokenStopsTheChain) {
  FakeContainerEndpoint endpoint("right");
  FakeInstanceMetadata imds;
  auto chain = default_credentials_chain(testing::env_with({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.uri()},
                                                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"},
                                                         {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}));
  const std::string message = unauthenticated_from(*chain);
  EXPECT_THAT(message, HasSubstr("container endpoint " + endpoint.uri() + " answered HTTP 401"));
  EXPECT_THAT(message, Not(HasSubstr("wrong")));  // the token is not quoted
  EXPECT_TRUE(imds.server().requests().empty());  // no fall-through to the instance's identity
}

TEST(ContainerEndpoint, AnIncompleteDocumentNamesTheMissingField) {
  FakeContainerEndpoint endpoint("");
  endpoint.bad_json = true;
  auto chain = default_credentials_chain(testing::env_with({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.uri()}}));
  EXPECT_THAT(unauthenticated_from(*chain), HasSubstr("no string field \"SecretAccessKey\""));
}

// A relative URI is resolved against the container host: here a fake on 127.0.0.1, given as
// ChainSettings::container_host; the next test checks that the default host is ECS's address.
TEST(ContainerEndpoint, RelativeUriIsResolvedAgainstTheContainerHost) {
  FakeContainerEndpoint endpoint("");
  const std::string host = endpoint.server().url();
  for (const std::string relative : {"/v2/credentials/id", "v2/credentials/id"}) {
    auto chain = make_credentials_chain(testing::env_with({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", relative},
                                                           {"AWS_EC2_METADATA_DISABLED", "true"}}),
                                        "", {.container_host = host});
    EXPECT_THAT(chain->current().access_key_id, ::testing::StartsWith("ASIA"));
    EXPECT_EQ(chain->describe(), "container endpoint " + host + "/v2/credentials/id") << relative;
  }
  EXPECT_EQ(endpoint.server().count("GET", "/v2/credentials/id"), 2);
}

// Without connecting anywhere: the default chain resolves relative URIs against
// http://169.254.170.2 (the address ECS, SageMaker and the AWS SDKs use).
TEST(ContainerEndpoint, TheDefaultContainerHostIs169_254_170_2) {
  EXPECT_EQ(ChainSettings{}.container_host, "http://169.254.170.2");
}

}  // namespace
}  // namespace ronde::aws
