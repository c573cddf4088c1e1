// The bridge contract's request/response logic (docs/bridge-api.md), without
// HTTP or radio: one request (method, target, body) in, one answer (HTTP
// status, JSON body) out. Mirrors thermostat_reader/valve_bridge/core.py;
// tests/contract holds the two to identical answers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eq3.h"

namespace bridge {

extern const char* const kContractVersion;

// NotPaired: the valve refused the write for want of a bond (ATT Insufficient Authentication):
// eQ-3 firmware 1.48 and later take commands only once paired with the PIN on their display.
enum class LinkResult { Answered, Timeout, NotPaired };
enum class PairResult { Paired, WrongPin, Timeout };

// Writes one frame to one valve and waits for its notification; pairs with a valve.
class ValveLink {
 public:
  virtual ~ValveLink() {}
  virtual LinkResult exchange(const std::string& mac, const eq3::Frame& frame, uint32_t timeout_ms,
                              eq3::Frame& answer) = 0;
  // Bonds with the valve by passkey entry of `passkey` (the 6 digits on its display); the radio's
  // stack stores the bond (on the board: in flash), so it outlives a restart.
  virtual PairResult pair(const std::string& mac, uint32_t passkey, uint32_t timeout_ms) = 0;
};

// The passkey for the pairing under way: the radio stack asks for it from its security callback, on
// another task, with only the connection at hand. It is given out once, for that valve only, so
// a stray request (another device, a second ask) never gets the household's PIN.
class PendingPasskey {
 public:
  void offer(const std::string& mac, uint32_t passkey);
  // The passkey offered for `mac` (upper case), once; false when none is pending for it.
  bool take(const std::string& mac, uint32_t& passkey);
  void clear();

 private:
  std::string mac_;
  uint32_t passkey_ = 0;
  bool pending_ = false;
};

// "428715" -> 428715; false unless exactly six ASCII digits.
bool parse_pin(const std::string& text, uint32_t& passkey);

class BridgeClock {
 public:
  virtual ~BridgeClock() {}
  // The home's wall-clock time (what the valve's clock is set to); false while unknown.
  virtual bool local_time(eq3::LocalTime& out) = 0;
  // Now in UTC as "YYYY-MM-DDTHH:MM:SSZ" (empty while unknown).
  virtual std::string utc_iso() = 0;
  virtual uint32_t uptime_s() = 0;
};

struct Response {
  int status = 200;
  std::string body;
};

class BridgeCore {
 public:
  BridgeCore(ValveLink& link, BridgeClock& clock, const char* kind, uint32_t timeout_ms);

  // Serve exactly these (upper-case) MACs, in this order; kept valves keep their cache.
  void set_valves(const std::vector<std::string>& macs);
  size_t valve_count() const { return slots_.size(); }

  // The bridge token every request must carry ("Authorization: Bearer <token>"); empty: none is let in.
  void set_token(const std::string& token) { token_ = token; }

  // A request as it came over the network: 401 unless `authorization` carries the token, then
  // the contract's answer. The check stands in front of every route.
  Response handle(const std::string& method, const std::string& target, const std::string& body,
                  const std::string& authorization);

  // Never fails for anything a client sends: every error is a contract error body.
  Response handle(const std::string& method, const std::string& target, const std::string& body);

 private:
  struct Slot {
    std::string mac;
    bool heard = false;
    eq3::Status status;
    std::string last_seen;
  };
  struct Error {
    int status;
    const char* error;
    std::string message;
  };

  ValveLink& link_;
  BridgeClock& clock_;
  const char* kind_;
  uint32_t timeout_ms_;
  std::vector<Slot> slots_;
  std::string token_;

  bool route(const std::string& method, const std::string& target, const std::string& body, std::string& out,
             Error& error);
  bool slot_for(const std::string& raw_mac, Slot*& slot, Error& error);
  bool exchange(Slot& slot, const eq3::Frame& frame, Error& error);
  bool send(Slot& slot, const eq3::Frame& frame, eq3::Frame& answer, Error& error);
  bool read_program(Slot& slot, std::string& out, Error& error);
  bool status_request(Slot& slot, Error& error);
  std::string status_json(const Slot& slot) const;
};

}  // namespace bridge
