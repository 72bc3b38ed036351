// One keep-alive HTTP(S) session with a RouterOS router's REST API
// (https://<router>/rest/...), with HTTP Basic authentication.
//
// TLS: the certificate is verified against the system CAs or ca_file by
// default; with fingerprint_sha256 the leaf certificate must have that
// SHA-256 fingerprint instead (for self-signed routers), checked during the
// handshake, before the credentials are sent; verify_tls = false turns checks
// off. Requests that time out, lose the connection or get a 5xx response are
// retried with a doubling backoff; 4xx responses are not.
#pragma once

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "actuator_config.hpp"
#include "shaper.hpp"

namespace wanctl {

struct RestResult {
  ShaperStatus status = ShaperStatus::ok;
  long http_status = 0;           // 0 when no HTTP response arrived
  nlohmann::json body;            // the parsed response body for 2xx
  std::string error;              // request, status and the router's message when not ok
  std::int64_t done_mono_ns = 0;  // when the response (or the last failure) arrived
  int attempts = 0;
  bool retryable = false;         // a timeout, reset or 5xx: worth another try at once
};

struct RetryPolicy {
  int attempts = 3;
  std::int64_t initial_backoff_ms = 200;
  std::int64_t max_backoff_ms = 10000;
};

class RouterOsClient {
 public:
  // Sets up the session; throws std::runtime_error when curl cannot start or
  // the password cannot be read.
  RouterOsClient(const RouterOsConfig& config, RetryPolicy retry);
  ~RouterOsClient();
  RouterOsClient(const RouterOsClient&) = delete;
  RouterOsClient& operator=(const RouterOsClient&) = delete;

  // `path` is below /rest, e.g. "/queue/tree?name=wan1-down".
  RestResult get(const std::string& path);
  RestResult patch(const std::string& path, const nlohmann::json& body);

  // Reads the password again (after a 401, the file may have been updated).
  void reload_password();

  // Percent-encodes a query value or id ("*1A" keeps its '*').
  std::string escape(const std::string& text);

  const std::string& base_url() const { return base_url_; }
  std::uint64_t requests_sent() const { return requests_sent_; }

  // Fingerprint check state, used by the TLS callback.
  struct PinnedCertificate {
    std::string fingerprint_hex;   // 64 lowercase hex digits, empty when not pinned
    std::string seen_hex;          // the fingerprint the router presented last
    bool mismatch = false;
  };

 private:
  RestResult perform(const char* method, const std::string& path, const std::string* body);
  RestResult perform_once(const char* method, const std::string& url, const std::string* body);

  RouterOsConfig config_;
  RetryPolicy retry_;
  std::string base_url_;   // config url + "/rest"
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string password_;
  std::string response_body_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  PinnedCertificate pinned_;
  std::uint64_t requests_sent_ = 0;
};

}  // namespace wanctl
