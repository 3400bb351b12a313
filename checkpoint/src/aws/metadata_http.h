// Plain HTTP requests to the credential endpoints (container endpoint, EC2 instance metadata):
// small bodies, short timeouts, never a proxy, no redirects.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace ronde::aws {

struct HttpTimeouts {
  std::chrono::milliseconds connect{1000};  // a laptop without the endpoint gives up this fast
  std::chrono::milliseconds total{3000};    // the whole request, connection included
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

// Sends `method` to `url` with `headers` ("Name: value") and an empty body; returns any HTTP
// status. A failure to connect, a timeout or a body over 1 MiB is Error(Unavailable) naming the
// method, the URL and the cause.
HttpResponse metadata_request(std::string_view method, const std::string& url, const std::vector<std::string>& headers,
                              const HttpTimeouts& timeouts);

}  // namespace ronde::aws
