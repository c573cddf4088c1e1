#include "bridge.h"

#include <cstdio>
#include <map>

#include "json.h"
#include "mac.h"

namespace bridge {

const char* const kContractVersion = "1.0";

namespace {

std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string form_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() + 0 && hexval(text[i + 1]) >= 0 && hexval(text[i + 2]) >= 0) {
      out += static_cast<char>(hexval(text[i + 1]) * 16 + hexval(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The last non-empty value of name in a query string ("" when absent).
std::string query_value(const std::string& query, const std::string& name) {
  std::string found;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(start, amp - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && form_decode(pair.substr(0, eq)) == name) {
      std::string value = form_decode(pair.substr(eq + 1));
      if (!value.empty()) found = value;
    }
    start = amp + 1;
  }
  return found;
}

std::string two_digits(int value) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d", value);
  return text;
}

std::string boolean(bool value) { return value ? "true" : "false"; }

bool temperature(const std::map<std::string, json::Value>& body, const std::string& field, bool required,
                 bool& present, double& out, std::string& message) {
  auto it = body.find(field);
  present = it != body.end();
  if (!present) {
    if (required) message = field + " is required";
    return !required;
  }
  const json::Value& value = it->second;
  uint8_t unused;
  if (value.type != json::Type::Number || !eq3::temp_to_byte(value.number, unused)) {
    message = field + " must be a number from 4.5 to 30.0 in steps of 0.5";
    return false;
  }
  out = value.number;
  return true;
}

}  // namespace

BridgeCore::BridgeCore(ValveLink& link, BridgeClock& clock, const char* kind, uint32_t timeout_ms)
    : link_(link), clock_(clock), kind_(kind), timeout_ms_(timeout_ms) {}

void BridgeCore::set_valves(const std::vector<std::string>& macs) {
  std::vector<Slot> next;
  for (const std::string& mac : macs) {
    bool seen = false;
    for (const Slot& slot : next) seen = seen || slot.mac == mac;
    if (seen) continue;
    Slot slot;
    slot.mac = mac;
    for (const Slot& old : slots_)
      if (old.mac == mac) slot = old;
    next.push_back(slot);
  }
  slots_ = next;
}

Response BridgeCore::handle(const std::string& method, const std::string& target, const std::string& body) {
  Response response;
  Error error{200, "", ""};
  std::string upper;
  for (char c : method) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  if (route(upper, target, body, response.body, error)) return response;
  response.status = error.status;
  response.body = std::string("{\"error\": ") + json::quote(error.error) + ", \"message\": " +
                  json::quote(error.message) + "}";
  return response;
}

bool BridgeCore::route(const std::string& method, const std::string& target, const std::string& body,
                       std::string& out, Error& error) {
  size_t cut = target.find_first_of("?#");
  std::string path = target.substr(0, cut);
  std::string query;
  if (cut != std::string::npos && target[cut] == '?') {
    size_t hash = target.find('#', cut);
    query = target.substr(cut + 1, hash == std::string::npos ? std::string::npos : hash - cut - 1);
  }
  std::vector<std::string> parts = path_parts(path);
  auto allow = [&](const char* allowed) {
    if (method == allowed) return true;
    error = {405, "method_not_allowed", std::string("use ") + allowed + " on this endpoint"};
    return false;
  };

  if (parts.size() == 1 && parts[0] == "health") {
    if (!allow("GET")) return false;
    out = std::string("{\"ok\": true, \"kind\": ") + json::quote(kind_) + ", \"version\": " +
          json::quote(kContractVersion) + ", \"valves\": " + std::to_string(slots_.size()) +
          ", \"uptime_s\": " + std::to_string(clock_.uptime_s()) + "}";
    return true;
  }
  if (parts.size() == 1 && parts[0] == "valves") {
    if (!allow("GET")) return false;
    out = "{\"valves\": [";
    for (size_t i = 0; i < slots_.size(); ++i) out += (i ? ", " : "") + status_json(slots_[i]);
    out += "]}";
    return true;
  }
  if (parts.size() == 2 && parts[0] == "valves") {
    if (!allow("GET")) return false;
    Slot* slot;
    if (!slot_for(parts[1], slot, error)) return false;
    std::string refresh = query_value(query, "refresh");
    if ((refresh == "1" || refresh == "true") && !status_request(*slot, error)) return false;
    out = status_json(*slot);
    return true;
  }
  if (parts.size() == 3 && parts[0] == "valves" &&
      (parts[2] == "target" || parts[2] == "mode" || parts[2] == "boost")) {
    if (!allow("POST")) return false;
    Slot* slot;
    if (!slot_for(parts[1], slot, error)) return false;
    std::map<std::string, json::Value> request;
    if (!json::parse_object(body, request)) {
      error = {400, "bad_request", "the body is not a JSON object"};
      return false;
    }
    eq3::Frame frame;
    bool present;
    double temp_c = 0;
    if (parts[2] == "target") {
      if (!temperature(request, "temperature_c", true, present, temp_c, error.message)) {
        error = {400, "bad_request", error.message};
        return false;
      }
      eq3::encode_target(temp_c, frame);
    } else if (parts[2] == "mode") {
      auto mode = request.find("mode");
      bool is_auto = mode != request.end() && mode->second.type == json::Type::String && mode->second.text == "auto";
      bool is_manual =
          mode != request.end() && mode->second.type == json::Type::String && mode->second.text == "manual";
      if (!is_auto && !is_manual) {
        error = {400, "bad_request", "mode must be \"auto\" or \"manual\""};
        return false;
      }
      if (is_auto) {
        eq3::encode_mode_auto(frame);
      } else {
        if (!temperature(request, "temperature_c", false, present, temp_c, error.message)) {
          error = {400, "bad_request", error.message};
          return false;
        }
        if (!present) {
          // Manual mode is sent with the valve's own target, which must be known first.
          if (!slot->heard && !status_request(*slot, error)) return false;
          temp_c = slot->status.target_c;
        }
        eq3::encode_mode_manual(temp_c, frame);
      }
    } else {
      auto on = request.find("on");
      if (on == request.end() || on->second.type != json::Type::Bool) {
        error = {400, "bad_request", "on must be true or false"};
        return false;
      }
      eq3::encode_boost(on->second.boolean, frame);
    }
    if (!exchange(*slot, frame, error)) return false;
    out = status_json(*slot);
    return true;
  }
  error = {404, "not_found", "no such endpoint"};
  return false;
}

bool BridgeCore::slot_for(const std::string& raw_mac, Slot*& slot, Error& error) {
  std::string upper;
  if (!mac::parse(raw_mac, upper)) {
    error = {400, "bad_request", "the valve must be a Bluetooth MAC such as 00:1A:22:0C:3B:5D"};
    return false;
  }
  for (Slot& candidate : slots_) {
    if (candidate.mac == upper) {
      slot = &candidate;
      return true;
    }
  }
  error = {404, "unknown_valve", "valve " + upper + " is not one of this bridge's valves"};
  return false;
}

bool BridgeCore::status_request(Slot& slot, Error& error) {
  eq3::LocalTime now;
  eq3::Frame frame;
  if (!clock_.local_time(now) || !eq3::encode_status_request(now, frame)) {
    error = {503, "busy", "the bridge's clock is not set yet"};
    return false;
  }
  return exchange(slot, frame, error);
}

bool BridgeCore::exchange(Slot& slot, const eq3::Frame& frame, Error& error) {
  eq3::Frame answer;
  if (link_.exchange(slot.mac, frame, timeout_ms_, answer) != LinkResult::Answered) {
    error = {504, "bluetooth_timeout", "valve " + slot.mac + " did not answer over Bluetooth"};
    return false;
  }
  eq3::Status decoded;
  std::string why;
  if (!eq3::decode_status(answer.data(), answer.size(), decoded, why)) {
    error = {502, "bad_response", "valve " + slot.mac + " answered, but not with a status notification"};
    return false;
  }
  slot.status = decoded;
  slot.heard = true;
  slot.last_seen = clock_.utc_iso();
  return true;
}

std::string BridgeCore::status_json(const Slot& slot) const {
  std::string out = "{\"mac\": " + json::quote(slot.mac);
  if (!slot.heard) {
    return out + ", \"mode\": null, \"valve_pct\": null, \"target_c\": null, \"boost\": null, \"away\": null, "
                 "\"away_until\": null, \"window_open\": null, \"locked\": null, \"low_battery\": null, "
                 "\"dst\": null, \"presets\": null, \"last_seen\": null}";
  }
  const eq3::Status& s = slot.status;
  out += ", \"mode\": " + json::quote(s.manual ? "manual" : "auto");
  out += ", \"valve_pct\": " + std::to_string(s.valve_pct);
  out += ", \"target_c\": " + json::one_decimal(s.target_c);
  out += ", \"boost\": " + boolean(s.boost) + ", \"away\": " + boolean(s.away);
  if (s.has_away_until) {
    const eq3::LocalTime& t = s.away_until;
    out += ", \"away_until\": \"" + std::to_string(t.year) + "-" + two_digits(t.month) + "-" + two_digits(t.day) +
           "T" + two_digits(t.hour) + ":" + two_digits(t.minute) + "\"";
  } else {
    out += ", \"away_until\": null";
  }
  out += ", \"window_open\": " + boolean(s.window_open) + ", \"locked\": " + boolean(s.locked) +
         ", \"low_battery\": " + boolean(s.low_battery) + ", \"dst\": " + boolean(s.dst);
  if (s.has_presets) {
    const eq3::Presets& p = s.presets;
    out += ", \"presets\": {\"comfort_c\": " + json::one_decimal(p.comfort_c) +
           ", \"eco_c\": " + json::one_decimal(p.eco_c) + ", \"window_open_c\": " + json::one_decimal(p.window_open_c) +
           ", \"window_open_minutes\": " + std::to_string(p.window_open_minutes) +
           ", \"offset_c\": " + json::one_decimal(p.offset_c) + "}";
  } else {
    out += ", \"presets\": null";
  }
  out += ", \"last_seen\": " + (slot.last_seen.empty() ? std::string("null") : json::quote(slot.last_seen));
  return out + "}";
}

}  // namespace bridge
