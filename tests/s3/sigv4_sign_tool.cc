// Test helper for sigv4_differential.py: reads a JSON array of requests on stdin, signs each with
// ronde's SigV4 signer, and writes a JSON array of {"signature", "canonical_request"}.
#include <iostream>
#include <nlohmann/json.hpp>

#include "s3/sigv4.h"

int main() {
  const nlohmann::json requests = nlohmann::json::parse(std::cin);
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : requests) {
    ronde::s3::RequestToSign request;
    request.method = r.at("method");
    request.host = r.at("host");
    request.path = r.at("path");
    for (const auto& pair : r.at("query")) request.query.emplace_back(pair.at(0), pair.at(1));
    for (const auto& pair : r.at("headers")) request.headers.emplace_back(pair.at(0), pair.at(1));
    request.payload_sha256 = r.at("payload_sha256");
    const ronde::s3::Credentials credentials{r.at("access_key"), r.at("secret_key"), r.at("token")};
    const auto signature = ronde::s3::sign_v4(request, credentials, r.at("region").get<std::string>(), "s3",
                                              r.at("date").get<std::string>());
    results.push_back({{"signature", signature.signature}, {"canonical_request", signature.canonical_request}});
  }
  std::cout << results.dump() << "\n";
  return 0;
}
