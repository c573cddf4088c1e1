#include "bridge.h"

#include <cstdio>
#include <map>

#include "json.h"
#include "mac.h"
#include "secret.h"

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

const char* const kUntilRequired = "until is required";
const char* const kUntilFormat = "until must be a local time such as 2026-01-12T07:30, on the hour or half hour";
const char* const kUntilPast = "until must be in the future";
const char* const kUntilTooFar = "until must be at most 7 days ahead";
const char* const kDays = "days must be an object with one or more of mon, tue, wed, thu, fri, sat, sun";
const int64_t kAwayMaxAheadS = 7 * 24 * 3600;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int digits(const std::string& text, size_t from, size_t count) {
  int value = 0;
  for (size_t i = from; i < from + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

bool real_date(int year, int month, int day, int hour, int minute) {
  static const int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDaysIn[month - 1] + (month == 2 && leap ? 1 : 0);
}

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t wall_seconds(const eq3::LocalTime& t) {
  return days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

// "YYYY-MM-DDTHH:MM" on a full or half hour; false otherwise.
bool parse_away_until(const json::Value* value, eq3::LocalTime& out) {
  if (!value || value->type != json::Type::String) return false;
  const std::string& t = value->text;
  if (t.size() != 16 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15})
    if (!is_digit(t[i])) return false;
  out.year = digits(t, 0, 4);
  out.month = digits(t, 5, 2);
  out.day = digits(t, 8, 2);
  out.hour = digits(t, 11, 2);
  out.minute = digits(t, 14, 2);
  out.second = 0;
  return real_date(out.year, out.month, out.day, out.hour, out.minute) && (out.minute == 0 || out.minute == 30);
}

// Minutes since 00:00 of "HH:MM" in 10-minute steps up to 24:00; -1 otherwise.
int program_minute(const json::Value* value) {
  if (!value || value->type != json::Type::String) return -1;
  const std::string& t = value->text;
  if (t.size() != 5 || t[2] != ':' || !is_digit(t[0]) || !is_digit(t[1]) || !is_digit(t[3]) || !is_digit(t[4]))
    return -1;
  int hours = digits(t, 0, 2), minutes = digits(t, 3, 2), minute = hours * 60 + minutes;
  if (minutes > 59 || minute % 10 != 0 || minute > 1440) return -1;
  return minute;
}

bool valve_temperature(const json::Value* value) {
  uint8_t unused;
  return value && value->type == json::Type::Number && eq3::temp_to_byte(value->number, unused);
}

int day_byte(const std::string& name) {
  for (int day = 0; day < 7; ++day)
    if (name == eq3::kDayNames[day]) return day;
  return -1;
}

// The day programs of a program write, in the week order; the first fault found is the message.
bool week_program(const std::map<std::string, json::Value>& request, std::vector<eq3::DayProgram>& out,
                  std::string& message) {
  auto days = request.find("days");
  if (days == request.end() || days->second.type != json::Type::Object || days->second.keys.empty()) {
    message = kDays;
    return false;
  }
  for (const std::string& key : days->second.keys) {
    if (day_byte(key) < 0) {
      message = kDays;
      return false;
    }
  }
  for (int day : eq3::kWeekOrder) {
    const std::string name = eq3::kDayNames[day];
    const json::Value* points = json::member(days->second, name);
    if (!points) continue;
    if (points->type != json::Type::Array || points->items.empty() || points->items.size() > 7) {
      message = name + " must be a list of 1 to 7 points";
      return false;
    }
    const std::string bad_time =
        "until in " + name + " must be HH:MM in steps of 10 minutes, increasing, the last \"24:00\"";
    eq3::DayProgram program;
    program.day = day;
    int previous = 0;
    for (const json::Value& point : points->items) {
      int minute = point.type == json::Type::Object ? program_minute(json::member(point, "until")) : -1;
      if (minute < 0 || minute <= previous) {
        message = bad_time;
        return false;
      }
      const json::Value* temp = json::member(point, "temperature_c");
      if (!valve_temperature(temp)) {
        message = "temperature_c in " + name + " must be a number from 4.5 to 30.0 in steps of 0.5";
        return false;
      }
      program.points.push_back({minute, temp->number});
      previous = minute;
    }
    if (previous != 1440) {
      message = bad_time;
      return false;
    }
    out.push_back(program);
  }
  return true;
}

std::string program_json(const eq3::DayProgram& program) {
  std::string out = "[";
  for (size_t i = 0; i < program.points.size(); ++i) {
    const eq3::ProgramPoint& p = program.points[i];
    out += std::string(i ? ", " : "") + "{\"until\": \"" + two_digits(p.until_minute / 60) + ":" +
           two_digits(p.until_minute % 60) + "\", \"temperature_c\": " + json::one_decimal(p.temp_c) + "}";
  }
  return out + "]";
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

Response BridgeCore::handle(const std::string& method, const std::string& target, const std::string& body,
                            const std::string& authorization) {
  if (!secret::bearer_matches(token_, authorization)) {
    Response refused;
    refused.status = 401;
    refused.body = "{\"error\": \"unauthorized\", \"message\": \"send Authorization: Bearer <bridge token>\"}";
    return refused;
  }
  return handle(method, target, body);
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
  if (parts.size() == 3 && parts[0] == "valves" && parts[2] == "program") {
    if (method != "GET" && method != "POST") {
      error = {405, "method_not_allowed", "use GET or POST on this endpoint"};
      return false;
    }
    Slot* slot;
    if (!slot_for(parts[1], slot, error)) return false;
    if (method == "GET") return read_program(*slot, out, error);
    std::map<std::string, json::Value> request;
    if (!json::parse_object(body, request)) {
      error = {400, "bad_request", "the body is not a JSON object"};
      return false;
    }
    std::vector<eq3::DayProgram> programs;
    if (!week_program(request, programs, error.message)) {
      error = {400, "bad_request", error.message};
      return false;
    }
    for (const eq3::DayProgram& program : programs) {
      eq3::Frame frame, answer;
      eq3::encode_program_write(program, frame);
      if (!send(*slot, frame, answer, error)) return false;
      int confirmed;
      if (!eq3::decode_program_written(answer.data(), answer.size(), confirmed) || confirmed != program.day) {
        error = {502, "bad_response", "valve " + slot->mac + " answered, but did not confirm the program write"};
        return false;
      }
    }
    return read_program(*slot, out, error);
  }
  if (parts.size() == 3 && parts[0] == "valves" && parts[2] == "pair") {
    if (!allow("POST")) return false;
    Slot* slot;
    if (!slot_for(parts[1], slot, error)) return false;
    std::map<std::string, json::Value> request;
    if (!json::parse_object(body, request)) {
      error = {400, "bad_request", "the body is not a JSON object"};
      return false;
    }
    auto pin = request.find("pin");
    uint32_t passkey;
    if (pin == request.end() || pin->second.type != json::Type::String || !parse_pin(pin->second.text, passkey)) {
      error = {400, "bad_request", "pin must be the 6 digits shown on the valve's display"};
      return false;
    }
    switch (link_.pair(slot->mac, passkey, timeout_ms_)) {
      case PairResult::Paired:
        out = "{\"mac\": " + json::quote(slot->mac) + ", \"paired\": true}";
        return true;
      case PairResult::WrongPin:
        error = {403, "wrong_pin", "valve " + slot->mac + " refused the PIN: enter the 6 digits its display shows"};
        return false;
      case PairResult::Timeout:
        break;
    }
    error = {504, "bluetooth_timeout", "valve " + slot->mac + " did not answer over Bluetooth"};
    return false;
  }
  if (parts.size() == 3 && parts[0] == "valves" &&
      (parts[2] == "target" || parts[2] == "mode" || parts[2] == "boost" || parts[2] == "away")) {
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
    if (parts[2] == "away") {
      if (!temperature(request, "temperature_c", true, present, temp_c, error.message)) {
        error = {400, "bad_request", error.message};
        return false;
      }
      auto until_field = request.find("until");
      eq3::LocalTime until, now;
      if (until_field == request.end()) {
        error = {400, "bad_request", kUntilRequired};
        return false;
      }
      if (!parse_away_until(&until_field->second, until)) {
        error = {400, "bad_request", kUntilFormat};
        return false;
      }
      if (!clock_.local_time(now)) {
        error = {503, "busy", "the bridge's clock is not set yet"};
        return false;
      }
      int64_t ahead_s = wall_seconds(until) - wall_seconds(now);
      if (ahead_s <= 0) {
        error = {400, "bad_request", kUntilPast};
        return false;
      }
      if (ahead_s > kAwayMaxAheadS) {
        error = {400, "bad_request", kUntilTooFar};
        return false;
      }
      eq3::encode_away(temp_c, until, frame);
    } else if (parts[2] == "target") {
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

bool BridgeCore::send(Slot& slot, const eq3::Frame& frame, eq3::Frame& answer, Error& error) {
  switch (link_.exchange(slot.mac, frame, timeout_ms_, answer)) {
    case LinkResult::Answered:
      return true;
    case LinkResult::NotPaired:
      error = {409, "not_paired", "valve " + slot.mac + " is not paired: enter the PIN shown on its display"};
      return false;
    case LinkResult::Timeout:
      break;
  }
  error = {504, "bluetooth_timeout", "valve " + slot.mac + " did not answer over Bluetooth"};
  return false;
}

void PendingPasskey::offer(const std::string& mac, uint32_t passkey) {
  mac_ = mac;
  passkey_ = passkey;
  pending_ = true;
}

bool PendingPasskey::take(const std::string& mac, uint32_t& passkey) {
  if (!pending_ || mac != mac_) return false;
  passkey = passkey_;
  clear();
  return true;
}

void PendingPasskey::clear() {
  pending_ = false;
  passkey_ = 0;
  mac_.clear();
}

bool parse_pin(const std::string& text, uint32_t& passkey) {
  if (text.size() != 6) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  passkey = value;
  return true;
}

bool BridgeCore::read_program(Slot& slot, std::string& out, Error& error) {
  std::string days;
  for (int i = 0; i < 7; ++i) {
    int day = eq3::kWeekOrder[i];
    eq3::Frame frame, answer;
    eq3::encode_program_read(day, frame);
    if (!send(slot, frame, answer, error)) return false;
    eq3::DayProgram program;
    std::string why;
    if (!eq3::decode_program(answer.data(), answer.size(), program, why) || program.day != day) {
      error = {502, "bad_response", "valve " + slot.mac + " answered, but not with its week program"};
      return false;
    }
    days += std::string(i ? ", " : "") + json::quote(eq3::kDayNames[day]) + ": " + program_json(program);
  }
  std::string read_at = clock_.utc_iso();
  out = "{\"mac\": " + json::quote(slot.mac) + ", \"days\": {" + days + "}, \"read_at\": " +
        (read_at.empty() ? std::string("null") : json::quote(read_at)) + "}";
  return true;
}

bool BridgeCore::exchange(Slot& slot, const eq3::Frame& frame, Error& error) {
  eq3::Frame answer;
  if (!send(slot, frame, answer, error)) return false;
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
