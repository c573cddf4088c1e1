// Host unit tests of the ESP32 bridge's portable core (eQ-3 codec, MACs,
// JSON, the contract's answers). Built and run by tests/esp32_firmware.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../../src/core/bridge.h"
#include "../../src/core/eq3.h"
#include "../../src/core/json.h"
#include "../../src/core/mac.h"
#include "../../src/core/secret.h"

namespace {

int failures = 0, checks = 0;

#define CHECK(cond)                                                      \
  do {                                                                   \
    ++checks;                                                            \
    if (!(cond)) {                                                       \
      ++failures;                                                        \
      std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
    }                                                                    \
  } while (0)

eq3::Frame bytes(const char* hex) {
  eq3::Frame out;
  unsigned value;
  for (const char* p = hex; p[0] && p[1]; p += 2) {
    std::sscanf(p, "%2x", &value);
    out.push_back(static_cast<uint8_t>(value));
  }
  return out;
}

bool decode(const char* hex, eq3::Status& status) {
  eq3::Frame frame = bytes(hex);
  std::string error;
  return eq3::decode_status(frame.data(), frame.size(), status, error);
}

void test_recorded_status() {
  // rytilahti/python-eq3bt eq3bt/tests/test_thermostat.py STATUS_RESPONSES.
  eq3::Status s;
  CHECK(decode("020100000428", s) && !s.manual && s.valve_pct == 0 && s.target_c == 20.0 && !s.has_presets);
  CHECK(decode("020101000428", s) && s.manual);
  CHECK(decode("020110000428", s) && s.window_open && !s.manual);
  CHECK(decode("0201020004231d132e03", s) && s.away && s.target_c == 17.5 && s.has_away_until &&
        s.away_until.year == 2019 && s.away_until.month == 3 && s.away_until.day == 29 && s.away_until.hour == 23 &&
        s.away_until.minute == 0);
  CHECK(decode("020104000428", s) && s.boost);
  CHECK(decode("020180000428", s) && s.low_battery && !s.boost);
  CHECK(decode("020100160428", s) && s.valve_pct == 22);
}

void test_newer_layout() {
  // Field order: EuleMitKeule/eq3btsmart eq3btsmart/_structures.py; values: its tests/mock_client.py.
  eq3::Status s;
  CHECK(decode("02010110042a00000000180" "12a2207", s) && s.manual && s.valve_pct == 16 && s.target_c == 21.0 &&
        s.has_presets && s.presets.window_open_c == 12.0 && s.presets.window_open_minutes == 5 &&
        s.presets.comfort_c == 21.0 && s.presets.eco_c == 17.0 && s.presets.offset_c == 0.0 && !s.has_away_until);
  // Offset byte 9 = +1.0: eq3btsmart tests/test_eq3_temperature_offset.py.
  CHECK(decode("02010110042a00000000180a2a2209", s) && s.presets.offset_c == 1.0 &&
        s.presets.window_open_minutes == 50);
  CHECK(decode("02010110042a00000000180" "12a2207ff", s));
}

void test_bad_status() {
  eq3::Status s;
  const char* bad[] = {"", "0201000004", "030100000428", "020200000428", "020100650428", "020100000528",
                       "020100000400", "02010000043d", "02010000042800", "0201000004280000000000",
                       "0201020004230013" "2e03", "02010110042a00000000180d2a2207", "02010110042a00000000180" "12a220f"};
  for (const char* hex : bad) CHECK(!decode(hex, s));
}

void test_encoders() {
  // /work/shared/docs/protocols.md command table; time bytes from eq3btsmart tests/test_eq3_time.py;
  // away end bytes from tests/test_eq3_away_time.py.
  eq3::Frame f;
  eq3::LocalTime t;
  t.year = 2022; t.month = 6; t.day = 15; t.hour = 10; t.minute = 45; t.second = 30;
  CHECK(eq3::encode_status_request(t, f) && f == bytes("03160" "60f0a2d1e"));
  CHECK(eq3::encode_target(22.0, f) && f == bytes("412c"));
  CHECK(eq3::encode_target(30.0, f) && f == bytes("413c"));
  CHECK(eq3::encode_target(4.5, f) && f == bytes("4109"));
  CHECK(!eq3::encode_target(4.0, f) && f.empty());
  CHECK(!eq3::encode_target(21.3, f));
  CHECK(!eq3::encode_target(NAN, f));
  eq3::encode_mode_auto(f);
  CHECK(f == bytes("4000"));
  CHECK(eq3::encode_mode_manual(22.0, f) && f == bytes("406c"));
  eq3::LocalTime away;
  away.year = 2022; away.month = 6; away.day = 15; away.hour = 10; away.minute = 30; away.second = 0;
  CHECK(eq3::encode_away(17.5, away, f) && f == bytes("40a30f161506"));
  away.minute = 45;
  CHECK(!eq3::encode_away(17.5, away, f));
  eq3::encode_boost(true, f);
  CHECK(f == bytes("4501"));
  eq3::encode_boost(false, f);
  CHECK(f == bytes("4500"));
  eq3::encode_comfort(f);
  CHECK(f == bytes("43"));
  eq3::encode_eco(f);
  CHECK(f == bytes("44"));
  CHECK(eq3::encode_comfort_eco_config(21.0, 17.0, f) && f == bytes("112a22"));
  CHECK(eq3::encode_offset(1.0, f) && f == bytes("1309"));
  CHECK(!eq3::encode_offset(4.0, f));
  CHECK(eq3::encode_window_config(12.0, 25, f) && f == bytes("141805"));
  CHECK(!eq3::encode_window_config(12.0, 7, f));
  eq3::encode_lock(true, f);
  CHECK(f == bytes("8001"));
}

void test_mac() {
  std::string upper;
  CHECK(mac::parse("00:1a:22:0c:3b:5d", upper) && upper == "00:1A:22:0C:3B:5D");
  CHECK(!mac::parse("00:1A:22:0C:3B", upper));
  CHECK(!mac::parse("00-1A-22-0C-3B-5D", upper));
  CHECK(!mac::parse("00:1A:22:0C:3B:5G", upper));
  std::vector<std::string> list;
  CHECK(mac::parse_list(" 00:1a:22:0c:3b:5d, 00:1A:22:0C:3B:5E ,", list) && list.size() == 2 &&
        list[1] == "00:1A:22:0C:3B:5E");
  CHECK(!mac::parse_list("00:1a:22:0c:3b:5d,nope", list));
}

void test_json() {
  std::map<std::string, json::Value> m;
  CHECK(json::parse_object(" {\"temperature_c\": 21.5, \"x\": [1, {\"y\": null}], \"m\": \"a\\u0075to\"} ", m) &&
        m["temperature_c"].type == json::Type::Number && m["temperature_c"].number == 21.5 && m["m"].text == "auto");
  CHECK(json::parse_object("{\"a\":1,\"a\":true}", m) && m["a"].type == json::Type::Bool);
  const char* bad[] = {"", "[]", "21", "{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}",
                       "{\"a\":NaN}", "{\"a\":1} x", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":tru}"};
  for (const char* text : bad) CHECK(!json::parse_object(text, m));
  CHECK(json::quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(json::one_decimal(-3.5) == "-3.5" && json::one_decimal(30) == "30.0");
}

class OneReplyLink : public bridge::ValveLink {
 public:
  eq3::Frame reply;
  bool answer = true;
  std::vector<eq3::Frame> sent;
  bool paired = true;
  uint32_t valve_pin = 428715;
  std::vector<uint32_t> passkeys;
  bridge::LinkResult exchange(const std::string&, const eq3::Frame& frame, uint32_t, eq3::Frame& out) override {
    sent.push_back(frame);
    if (!paired) return bridge::LinkResult::NotPaired;
    if (!answer) return bridge::LinkResult::Timeout;
    out = reply;
    return bridge::LinkResult::Answered;
  }
  bridge::PairResult pair(const std::string&, uint32_t passkey, uint32_t) override {
    passkeys.push_back(passkey);
    if (!answer) return bridge::PairResult::Timeout;
    if (passkey != valve_pin) return bridge::PairResult::WrongPin;
    paired = true;
    return bridge::PairResult::Paired;
  }
};

class StillClock : public bridge::BridgeClock {
 public:
  bool local_time(eq3::LocalTime& out) override {
    out.year = 2026; out.month = 1; out.day = 12; out.hour = 7; out.minute = 0; out.second = 3;
    return true;
  }
  std::string utc_iso() override { return "2026-01-12T06:00:03Z"; }
  uint32_t uptime_s() override { return 5; }
};

void test_bridge() {
  OneReplyLink link;
  StillClock clock;
  bridge::BridgeCore core(link, clock, "esp32", 1000);
  core.set_valves({"00:1A:22:0C:3B:5D"});
  bridge::Response r = core.handle("GET", "/health", "");
  CHECK(r.status == 200 && r.body.find("\"valves\": 1") != std::string::npos);
  r = core.handle("GET", "/valves/00:1a:22:0c:3b:5d", "");
  CHECK(r.status == 200 && r.body.find("\"last_seen\": null") != std::string::npos);
  link.reply = bytes("020101640428");
  r = core.handle("POST", "/valves/00:1a:22:0c:3b:5d/target", "{\"temperature_c\": 30}");
  // The answer is what the valve reported (20.0 here), not what was asked.
  CHECK(r.status == 200 && r.body.find("\"target_c\": 20.0") != std::string::npos && link.sent.back() == bytes("413c"));
  link.answer = false;
  r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/boost", "{\"on\": true}");
  CHECK(r.status == 504 && r.body.find("bluetooth_timeout") != std::string::npos);
  r = core.handle("GET", "/valves/00:1A:22:0C:3B:5D", "");
  CHECK(r.status == 200 && r.body.find("\"valve_pct\": 100") != std::string::npos);
  link.answer = true;
  link.reply = bytes("0201");
  r = core.handle("GET", "/valves/00:1A:22:0C:3B:5D?refresh=1", "");
  CHECK(r.status == 502 && link.sent.back() == bytes("031a010c070003"));
  CHECK(core.handle("GET", "/valves/00:1A:22:0C:3B:5E", "").status == 404);
  CHECK(core.handle("GET", "/valves/nope", "").status == 400);
  CHECK(core.handle("POST", "/valves", "").status == 405);
  CHECK(core.handle("GET", "/nothing", "").status == 404);
  CHECK(core.handle("POST", "/valves/00:1A:22:0C:3B:5D/target", "{\"temperature_c\": 31}").status == 400);
}

void test_program_codec() {
  // Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Timers": the write for
  // Friday (0x22 = 17.0 C until 16:30, 21.0 until 22:50, 17.0 until 24:00) and the read answer for
  // Monday (19.5 until 06:00, 20.5 until 22:00, 19.5 until 24:00); same vectors as tests/protocols.
  eq3::DayProgram friday;
  friday.day = 6;
  friday.points = {{990, 17.0}, {1370, 21.0}, {1440, 17.0}};
  eq3::Frame f;
  CHECK(eq3::encode_program_write(friday, f) && f == bytes("100622632a8922900000000000000000"));
  CHECK(eq3::encode_program_read(2, f) && f == bytes("2002"));
  CHECK(!eq3::encode_program_read(7, f) && f.empty());
  eq3::DayProgram p;
  std::string error;
  eq3::Frame monday = bytes("21022724298427900000000000000000");
  CHECK(eq3::decode_program(monday.data(), monday.size(), p, error) && p.day == 2 && p.points.size() == 3 &&
        p.points[0].until_minute == 360 && p.points[0].temp_c == 19.5 && p.points[1].until_minute == 1320 &&
        p.points[1].temp_c == 20.5 && p.points[2].until_minute == 1440);
  const char* bad[] = {"21022724298427800000000000000000", "21022724298427902790000000000000",
                       "210227242984279000000000000000", "21072724298427900000000000000000",
                       "100622632a8922900000000000000000"};
  for (const char* hex : bad) {
    eq3::Frame frame = bytes(hex);
    CHECK(!eq3::decode_program(frame.data(), frame.size(), p, error));
  }
  int day = -1;
  eq3::Frame written = bytes("020206");
  CHECK(eq3::decode_program_written(written.data(), written.size(), day) && day == 6);
  eq3::Frame status = bytes("020100000428");
  CHECK(!eq3::decode_program_written(status.data(), status.size(), day));
  eq3::DayProgram bad_program;
  bad_program.day = 2;
  bad_program.points = {{365, 17.0}, {1440, 21.0}};
  CHECK(!eq3::encode_program_write(bad_program, f));
  bad_program.points = {{600, 17.0}, {1430, 21.0}};
  CHECK(!eq3::encode_program_write(bad_program, f));
  bad_program.points = {{600, 17.0}, {1440, 30.5}};
  CHECK(!eq3::encode_program_write(bad_program, f));
}

void test_json_nesting_is_kept() {
  std::map<std::string, json::Value> body;
  CHECK(json::parse_object("{\"days\": {\"mon\": [{\"until\": \"24:00\", \"temperature_c\": 17}], "
                           "\"mon\": [{\"until\": \"06:00\"}, 1]}}", body));
  const json::Value& days = body["days"];
  CHECK(days.type == json::Type::Object && days.keys.size() == 2);
  const json::Value* mon = json::member(days, "mon");  // the last "mon" wins
  CHECK(mon && mon->type == json::Type::Array && mon->items.size() == 2);
  const json::Value* until = mon ? json::member(mon->items[0], "until") : nullptr;
  CHECK(until && until->type == json::Type::String && until->text == "06:00");
  CHECK(json::member(days, "tue") == nullptr && json::member(mon->items[1], "until") == nullptr);
}

void test_bridge_away_and_program() {
  OneReplyLink link;
  StillClock clock;  // 2026-01-12 07:00:03 local
  bridge::BridgeCore core(link, clock, "esp32", 1000);
  core.set_valves({"00:1A:22:0C:3B:5D"});
  // Heckie75 "Set vacation mode": the valve's answer for 17.5 C until 2017-03-31 21:30.
  link.reply = bytes("0201020004231f112b03");
  bridge::Response r =
      core.handle("POST", "/valves/00:1A:22:0C:3B:5D/away", "{\"temperature_c\": 17.5, \"until\": \"2026-01-12T21:30\"}");
  CHECK(r.status == 200 && link.sent.back() == bytes("40a30c1a2b01") &&
        r.body.find("\"away_until\": \"2017-03-31T21:30\"") != std::string::npos);
  size_t sent = link.sent.size();
  r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/away", "{\"temperature_c\": 17.5, \"until\": \"2026-01-12T07:00\"}");
  CHECK(r.status == 400 && r.body.find("until must be in the future") != std::string::npos);
  r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/away", "{\"temperature_c\": 17.5, \"until\": \"2026-01-19T07:00\"}");
  CHECK(r.status == 200);
  r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/away", "{\"temperature_c\": 17.5, \"until\": \"2026-01-19T07:30\"}");
  CHECK(r.status == 400 && r.body.find("at most 7 days") != std::string::npos && link.sent.size() == sent + 1);
  link.reply = bytes("020206");
  r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/program",
                  "{\"days\": {\"fri\": [{\"until\": \"16:30\", \"temperature_c\": 17}, "
                  "{\"until\": \"22:50\", \"temperature_c\": 21}, {\"until\": \"24:00\", \"temperature_c\": 17}]}}");
  // Written, then the read-back of Monday gets 02 02 06 again: not a program answer.
  CHECK(r.status == 502 && link.sent[sent + 1] == bytes("100622632a8922900000000000000000") &&
        link.sent.back() == bytes("2002") && r.body.find("not with its week program") != std::string::npos);
  r = core.handle("PUT", "/valves/00:1A:22:0C:3B:5D/program", "");
  CHECK(r.status == 405 && r.body.find("use GET or POST on this endpoint") != std::string::npos);
}

}  // namespace

uint32_t counter_word() {
  static uint32_t state = 12345;
  state = state * 1664525u + 1013904223u;  // a fixed sequence: the test sees the same secret every run
  return state;
}

void test_secret() {
  CHECK(secret::equal("s3cret-token", "s3cret-token"));
  CHECK(!secret::equal("s3cret-token", "s3cret-tokeN"));
  CHECK(!secret::equal("s3cret-token", "s3cret-token-and-more"));
  CHECK(!secret::equal("s3cret-token", "s3cret"));
  CHECK(!secret::equal("s3cret-token", ""));
  CHECK(!secret::equal("", ""));  // no token configured lets nobody in
  CHECK(!secret::equal("abcabc", "abc"));
  CHECK(secret::bearer_matches("s3cret-token", "Bearer s3cret-token"));
  CHECK(!secret::bearer_matches("s3cret-token", "bearer s3cret-token"));
  CHECK(!secret::bearer_matches("s3cret-token", "s3cret-token"));
  CHECK(!secret::bearer_matches("", "Bearer "));
  CHECK(secret::is_placeholder("") && secret::is_placeholder("change-me") &&
        secret::is_placeholder("Change-Me-bridge"));
  CHECK(!secret::is_placeholder("change") && !secret::is_placeholder("x7Kq2-change-me"));
  std::string a = secret::generate(counter_word, 24), b = secret::generate(counter_word, 24);
  CHECK(a.size() == 24 && b.size() == 24 && a != b && !secret::is_placeholder(a));
  for (char c : a) CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                         c == '_');
}

void test_pairing_by_passkey_entry() {
  OneReplyLink link;
  StillClock clock;
  bridge::BridgeCore core(link, clock, "esp32", 1000);
  core.set_valves({"00:1A:22:0C:3B:5D"});
  link.paired = false;
  link.reply = bytes("020101640428");
  bridge::Response r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/target", "{\"temperature_c\": 21}");
  CHECK(r.status == 409 && r.body.find("\"not_paired\"") != std::string::npos);
  // A PIN that is not six digits never reaches the radio.
  const char* malformed[] = {"{}", "{\"pin\": 428715}", "{\"pin\": \"42871\"}", "{\"pin\": \"4287150\"}",
                             "{\"pin\": \"42871a\"}", "{\"pin\": \" 428715\"}"};
  for (const char* body : malformed) CHECK(core.handle("POST", "/valves/00:1A:22:0C:3B:5D/pair", body).status == 400);
  CHECK(link.passkeys.empty());
  r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/pair", "{\"pin\": \"428716\"}");
  CHECK(r.status == 403 && r.body.find("\"wrong_pin\"") != std::string::npos && !link.paired);
  r = core.handle("POST", "/valves/00:1A:22:0C:3B:5D/pair", "{\"pin\": \"028715\"}");
  CHECK(r.status == 403 && link.passkeys.back() == 28715);  // leading zero: passkey 028715
  r = core.handle("POST", "/valves/00:1a:22:0c:3b:5d/pair", "{\"pin\": \"428715\"}");
  CHECK(r.status == 200 && r.body == "{\"mac\": \"00:1A:22:0C:3B:5D\", \"paired\": true}");
  CHECK(core.handle("POST", "/valves/00:1A:22:0C:3B:5D/target", "{\"temperature_c\": 21}").status == 200);
  CHECK(core.handle("GET", "/valves/00:1A:22:0C:3B:5D/pair", "").status == 405);
  link.answer = false;
  CHECK(core.handle("POST", "/valves/00:1A:22:0C:3B:5D/pair", "{\"pin\": \"428715\"}").status == 504);

  // The stack's passkey request gets the PIN once, and only for the valve being paired.
  bridge::PendingPasskey pending;
  uint32_t passkey = 0;
  CHECK(!pending.take("00:1A:22:0C:3B:5D", passkey));
  pending.offer("00:1A:22:0C:3B:5D", 428715);
  CHECK(!pending.take("00:1A:22:0C:3B:5E", passkey));
  CHECK(pending.take("00:1A:22:0C:3B:5D", passkey) && passkey == 428715);
  CHECK(!pending.take("00:1A:22:0C:3B:5D", passkey));
  uint32_t parsed = 1;
  CHECK(bridge::parse_pin("000000", parsed) && parsed == 0 && !bridge::parse_pin("-12345", parsed));
}

int main() {
  test_recorded_status();
  test_newer_layout();
  test_bad_status();
  test_encoders();
  test_mac();
  test_json();
  test_bridge();
  test_program_codec();
  test_json_nesting_is_kept();
  test_bridge_away_and_program();
  test_secret();
  test_pairing_by_passkey_entry();
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
