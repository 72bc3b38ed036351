#include "routeros_client.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "mono_time.hpp"
#include "secret.hpp"

namespace wanctl {
namespace {

// Maximum router response size kept; RouterOS objects are a few hundred bytes.
constexpr std::size_t kMaxResponseBytes = 1 << 20;
constexpr std::size_t kErrorBodyChars = 200;

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  std::size_t bytes = size * count;
  if (body->size() + bytes > kMaxResponseBytes) {
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  body->append(data, bytes);
  return bytes;
}

std::string normalize_fingerprint(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != ':') {
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return hex;
}

// Checks the leaf certificate against the pinned fingerprint during the
// handshake. Certificates above the leaf are not consulted, because the pin
// names the one certificate that is trusted.
int verify_pinned_leaf(int /*preverify_ok*/, X509_STORE_CTX* store) {
  if (X509_STORE_CTX_get_error_depth(store) != 0) {
    return 1;
  }
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* pinned = static_cast<RouterOsClient::PinnedCertificate*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  X509* certificate = X509_STORE_CTX_get_current_cert(store);

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_bytes = 0;
  if (pinned == nullptr || certificate == nullptr ||
      X509_digest(certificate, EVP_sha256(), digest, &digest_bytes) != 1) {
    return 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  pinned->seen_hex.clear();
  for (unsigned int i = 0; i < digest_bytes; ++i) {
    pinned->seen_hex += kHex[digest[i] >> 4];
    pinned->seen_hex += kHex[digest[i] & 0xf];
  }
  pinned->mismatch = pinned->seen_hex != pinned->fingerprint_hex;
  return pinned->mismatch ? 0 : 1;
}

CURLcode install_pin_check(CURL* /*curl*/, void* ssl_context, void* user) {
  auto* context = static_cast<SSL_CTX*>(ssl_context);
  SSL_CTX_set_app_data(context, user);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, verify_pinned_leaf);
  return CURLE_OK;
}

bool transport_retryable(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool certificate_problem(CURLcode code) {
  return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CERTPROBLEM;
}

// "HTTP 400 Bad Request: no such command" from RouterOS's error object, or
// the start of whatever else the router sent.
std::string describe_http_error(long status, const std::string& body) {
  std::string text = "HTTP " + std::to_string(status);
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    auto message = parsed.find("message");
    auto detail = parsed.find("detail");
    if (message != parsed.end() && message->is_string()) {
      text += " " + message->get<std::string>();
    }
    if (detail != parsed.end() && detail->is_string()) {
      text += ": " + detail->get<std::string>();
    }
    return text;
  }
  if (!body.empty()) {
    text += ": " + body.substr(0, kErrorBodyChars);
  }
  return text;
}

void global_curl_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

RouterOsClient::RouterOsClient(const RouterOsConfig& config, RetryPolicy retry)
    : config_(config), retry_(retry) {
  std::string url = config.url;
  while (url.ends_with("/")) {
    url.pop_back();
  }
  base_url_ = url + "/rest";
  global_curl_init();
  password_ = read_router_password(config_);

  curl_ = curl_easy_init();
  if (curl_ == nullptr) {
    throw std::runtime_error("cannot create a libcurl session");
  }
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, "Accept: application/json");

  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl_, CURLOPT_MAXCONNECTS, 1L);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout_ms));
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.request_timeout_ms));
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response_body_);
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(curl_, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(curl_, CURLOPT_USERNAME, config_.user.c_str());
  curl_easy_setopt(curl_, CURLOPT_PASSWORD, password_.c_str());

  if (!config_.fingerprint_sha256.empty()) {
    const curl_version_info_data* version = curl_version_info(CURLVERSION_NOW);
    if (version->ssl_version == nullptr || std::string(version->ssl_version).find("OpenSSL") == std::string::npos) {
      curl_easy_cleanup(curl_);
      curl_slist_free_all(headers_);
      throw std::runtime_error("actuator.routeros.fingerprint_sha256 needs libcurl built with OpenSSL");
    }
    pinned_.fingerprint_hex = normalize_fingerprint(config_.fingerprint_sha256);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);  // the pin replaces chain checks
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(curl_, CURLOPT_SSL_CTX_FUNCTION, install_pin_check);
    curl_easy_setopt(curl_, CURLOPT_SSL_CTX_DATA, &pinned_);
  } else if (!config_.verify_tls) {
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!config_.ca_file.empty()) {
      curl_easy_setopt(curl_, CURLOPT_CAINFO, config_.ca_file.c_str());
    }
  }
}

RouterOsClient::~RouterOsClient() {
  curl_easy_cleanup(curl_);
  curl_slist_free_all(headers_);
}

void RouterOsClient::reload_password() {
  password_ = read_router_password(config_);
  curl_easy_setopt(curl_, CURLOPT_PASSWORD, password_.c_str());
}

std::string RouterOsClient::escape(const std::string& text) {
  char* escaped = curl_easy_escape(curl_, text.c_str(), static_cast<int>(text.size()));
  std::string result = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return result;
}

RestResult RouterOsClient::get(const std::string& path) { return perform("GET", path, nullptr); }

RestResult RouterOsClient::patch(const std::string& path, const nlohmann::json& body) {
  std::string text = body.dump();
  return perform("PATCH", path, &text);
}

RestResult RouterOsClient::perform(const char* method, const std::string& path, const std::string* body) {
  std::string url = base_url_ + path;
  std::int64_t backoff_ms = retry_.initial_backoff_ms;
  RestResult result;
  for (int attempt = 1;; ++attempt) {
    result = perform_once(method, url, body);
    result.attempts = attempt;
    if (!result.retryable || attempt >= retry_.attempts) {
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(2 * backoff_ms, retry_.max_backoff_ms);
  }
}

RestResult RouterOsClient::perform_once(const char* method, const std::string& url, const std::string* body) {
  RestResult result;
  response_body_.clear();
  error_buffer_[0] = '\0';
  pinned_.mismatch = false;

  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  if (body == nullptr) {
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, nullptr);
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }

  CURLcode code = curl_easy_perform(curl_);
  ++requests_sent_;
  result.done_mono_ns = monotonic_now_ns();
  std::string request = std::string(method) + " " + url;

  if (code != CURLE_OK) {
    std::string reason = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code);
    if (pinned_.mismatch) {
      result.status = ShaperStatus::rejected;
      result.error = request + ": the router's certificate has SHA-256 fingerprint " + pinned_.seen_hex +
                     ", not the pinned " + pinned_.fingerprint_hex + " (actuator.routeros.fingerprint_sha256)";
    } else if (certificate_problem(code)) {
      result.status = ShaperStatus::rejected;
      result.error = request + ": TLS certificate verification failed: " + reason +
                     "; set actuator.routeros.ca_file or fingerprint_sha256";
    } else {
      result.retryable = transport_retryable(code);
      result.status = result.retryable ? ShaperStatus::transient : ShaperStatus::rejected;
      result.error = request + ": " + reason;
    }
    return result;
  }

  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.http_status);
  long status = result.http_status;
  if (status >= 200 && status < 300) {
    if (response_body_.empty()) {
      return result;  // e.g. 204 No Content
    }
    result.body = nlohmann::json::parse(response_body_, nullptr, false);
    if (result.body.is_discarded()) {
      result.body = nullptr;
      result.status = ShaperStatus::transient;
      result.error = request + ": HTTP " + std::to_string(status) + " with a body that is not JSON: " +
                     response_body_.substr(0, kErrorBodyChars);
    }
    return result;
  }

  result.error = request + ": " + describe_http_error(status, response_body_);
  if (status == 401 || status == 403) {
    result.status = ShaperStatus::unauthorized;
    result.error += "; check actuator.routeros.user, the password and the user's group policy";
  } else if (status == 404) {
    result.status = ShaperStatus::missing;
  } else if (status >= 500) {
    result.status = ShaperStatus::transient;
    result.retryable = true;
  } else {
    result.status = ShaperStatus::rejected;
  }
  return result;
}

}  // namespace wanctl
