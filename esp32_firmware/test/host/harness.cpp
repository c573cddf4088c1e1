// Host harness for the contract tests: the ESP32 bridge core with the radio
// and the clock on stdin/stdout, so a test can play the valve.
//
//   harness MAC [MAC ...]
//
// Lines in (one per line):
//   time <YYYY-MM-DDTHH:MM:SS local> <YYYY-MM-DDTHH:MM:SSZ utc>   set the clock
//   request <METHOD> <TARGET> <BODY-HEX or ->                      handle one request
//   quit
// While handling a request the harness may ask the test for the valve's answer:
//   out: ble <MAC> <FRAME-HEX>      in: reply <HEX> | timeout | not_paired
//   out: pair <MAC> <PASSKEY>       in: paired | wrong_pin | timeout
// When done:
//   out: response <STATUS> <JSON>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "../../src/core/bridge.h"
#include "../../src/core/mac.h"

namespace {

std::string to_hex(const eq3::Frame& frame) {
  std::string text;
  char pair[3];
  for (uint8_t b : frame) {
    std::snprintf(pair, sizeof pair, "%02x", b);
    text += pair;
  }
  return text;
}

bool from_hex(const std::string& text, std::string& out) {
  if (text.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < text.size(); i += 2) {
    unsigned value;
    if (std::sscanf(text.substr(i, 2).c_str(), "%2x", &value) != 1) return false;
    out += static_cast<char>(value);
  }
  return true;
}

class StdioLink : public bridge::ValveLink {
 public:
  bridge::LinkResult exchange(const std::string& mac, const eq3::Frame& frame, uint32_t, eq3::Frame& answer) override {
    std::cout << "ble " << mac << " " << to_hex(frame) << std::endl;
    std::string line;
    if (!std::getline(std::cin, line)) return bridge::LinkResult::Timeout;
    std::istringstream words(line);
    std::string kind, hex, bytes;
    words >> kind >> hex;
    if (kind == "not_paired") return bridge::LinkResult::NotPaired;
    if (kind != "reply" || !from_hex(hex, bytes)) return bridge::LinkResult::Timeout;
    answer.assign(bytes.begin(), bytes.end());
    return bridge::LinkResult::Answered;
  }

  bridge::PairResult pair(const std::string& mac, uint32_t passkey, uint32_t) override {
    // As on the board: the passkey waits for the stack's request, which takes it once.
    pending.offer(mac, passkey);
    uint32_t asked = 0;
    if (!pending.take(mac, asked)) return bridge::PairResult::Timeout;
    char digits[7];
    std::snprintf(digits, sizeof digits, "%06u", static_cast<unsigned>(asked));
    std::cout << "pair " << mac << " " << digits << std::endl;
    std::string line;
    if (!std::getline(std::cin, line)) return bridge::PairResult::Timeout;
    if (line == "paired") return bridge::PairResult::Paired;
    if (line == "wrong_pin") return bridge::PairResult::WrongPin;
    return bridge::PairResult::Timeout;
  }

  bridge::PendingPasskey pending;
};

class FixedClock : public bridge::BridgeClock {
 public:
  eq3::LocalTime local;
  bool known = false;
  std::string utc;
  bool local_time(eq3::LocalTime& out) override {
    out = local;
    return known;
  }
  std::string utc_iso() override { return utc; }
  uint32_t uptime_s() override { return 0; }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> macs;
  for (int i = 1; i < argc; ++i) {
    std::string upper;
    if (!mac::parse(argv[i], upper)) {
      std::cerr << "not a MAC: " << argv[i] << std::endl;
      return 2;
    }
    macs.push_back(upper);
  }
  StdioLink link;
  FixedClock clock;
  bridge::BridgeCore core(link, clock, "esp32", 10000);
  core.set_valves(macs);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command;
    words >> command;
    if (command == "quit") break;
    if (command == "time") {
      std::string local;
      words >> local >> clock.utc;
      eq3::LocalTime& t = clock.local;
      clock.known = std::sscanf(local.c_str(), "%d-%d-%dT%d:%d:%d", &t.year, &t.month, &t.day, &t.hour, &t.minute,
                                &t.second) == 6;
      continue;
    }
    if (command == "token") {  // token <text>: the bridge token the core expects
      std::string token;
      words >> token;
      core.set_token(token);
      continue;
    }
    if (command == "request") {  // request METHOD TARGET BODY-HEX|- [AUTHORIZATION-HEX]
      std::string method, target, body_hex, body, authorization_hex, authorization;
      words >> method >> target >> body_hex >> authorization_hex;
      if ((body_hex != "-" && !from_hex(body_hex, body)) ||
          (!authorization_hex.empty() && !from_hex(authorization_hex, authorization))) {
        std::cerr << "body or authorization is not hex" << std::endl;
        return 2;
      }
      bridge::Response response = core.handle(method, target, body, authorization);
      std::cout << "response " << response.status << " " << response.body << std::endl;
      continue;
    }
    std::cerr << "unknown harness command: " << line << std::endl;
    return 2;
  }
  return 0;
}
