// The ESP32 valve bridge: the bridge contract (docs/bridge-api.md) over HTTP,
// eQ-3 valves over Bluetooth (NimBLE-Arduino 2.x). All protocol and
// request/response logic lives in src/core (portable, tested on a PC); this
// file is only the board's glue: Wi-Fi, clock, settings in flash, the radio.
#include <Arduino.h>
#include <NimBLEDevice.h>
#include <Preferences.h>
#include <WebServer.h>
#include <WiFi.h>
#include <time.h>

#include <map>
#include <string>

#include "core/bridge.h"
#include "core/eq3.h"
#include "core/json.h"
#include "core/mac.h"
#include "core/secret.h"
#include "settings.h"

namespace {

const char* const kServiceUuid = "3e135142-654f-9090-134a-a6ff5bb77046";

struct Config {
  String ssid, password, valves, tz, token, ap_password, bridge_token;
};

Preferences preferences;
Config config;
WebServer server(BRIDGE_HTTP_PORT);

uint32_t hardware_random() { return esp_random(); }

// An example or empty config token, or a setup network without a passphrase
// (WPA2 needs at least 8 characters), would let anyone nearby take the
// bridge: such a board makes its own once, keeps them in flash and prints
// them on its USB serial console (only someone holding the board reads it).
void ensure_secrets() {
  bool changed = false;
  preferences.begin("bridge", false);
  if (secret::is_placeholder(config.token.c_str())) {
    config.token = secret::generate(hardware_random, 24).c_str();
    preferences.putString("token", config.token);
    changed = true;
  }
  if (secret::is_placeholder(config.bridge_token.c_str())) {
    config.bridge_token = secret::generate(hardware_random, 24).c_str();
    preferences.putString("bridge_token", config.bridge_token);
    changed = true;
  }
  if (secret::is_placeholder(config.ap_password.c_str()) || config.ap_password.length() < 8) {
    config.ap_password = secret::generate(hardware_random, 16).c_str();
    preferences.putString("ap_password", config.ap_password);
    changed = true;
  }
  preferences.end();
  if (changed) Serial.println("Made new secrets for this bridge (kept in flash):");
  Serial.printf("Config token: %s\nBridge token (for the page's bridge setup): %s\nSetup network passphrase: %s\n",
                config.token.c_str(), config.bridge_token.c_str(), config.ap_password.c_str());
}

void load_config() {
  preferences.begin("bridge", true);
  config.ssid = preferences.getString("ssid", BRIDGE_WIFI_SSID);
  config.password = preferences.getString("password", BRIDGE_WIFI_PASSWORD);
  config.valves = preferences.getString("valves", BRIDGE_VALVES);
  config.tz = preferences.getString("tz", BRIDGE_TZ);
  config.token = preferences.getString("token", BRIDGE_CONFIG_TOKEN);
  config.ap_password = preferences.getString("ap_password", BRIDGE_SETUP_AP_PASSWORD);
  config.bridge_token = preferences.getString("bridge_token", BRIDGE_TOKEN);
  preferences.end();
  ensure_secrets();
}

// One connection at a time: the WebServer handles one request at a time, so
// exchanges never overlap.
// The passkey for the pairing under way (bridge::PendingPasskey: once, for that valve only).
bridge::PendingPasskey pending_passkey;

// Passkey entry as the eQ-3 (firmware 1.48 and later) asks for it: the valve displays, the bridge types.
class PairingCallbacks : public NimBLEClientCallbacks {
 public:
  void onPassKeyEntry(NimBLEConnInfo& info) override {
    std::string upper;
    uint32_t passkey = 0;
    if (mac::parse(info.getAddress().toString(), upper) && pending_passkey.take(upper, passkey)) {
      NimBLEDevice::injectPassKey(info, passkey);
    } else {
      NimBLEDevice::injectPassKey(info, 0);  // nobody is pairing this device: a passkey that fails
    }
  }
};
PairingCallbacks pairing_callbacks;

class NimBleLink : public bridge::ValveLink {
 public:
  bridge::LinkResult exchange(const std::string& mac, const eq3::Frame& frame, uint32_t timeout_ms,
                              eq3::Frame& answer) override {
    for (int attempt = 1; attempt <= BRIDGE_BLE_ATTEMPTS; ++attempt) {
      bool needs_bond = false;
      if (try_once(mac, frame, timeout_ms, answer, needs_bond)) return bridge::LinkResult::Answered;
      if (needs_bond) {
        Serial.printf("Valve %s refuses commands until it is paired with the PIN on its display.\n", mac.c_str());
        return bridge::LinkResult::NotPaired;
      }
      Serial.printf("Valve %s: attempt %d of %d got no answer.\n", mac.c_str(), attempt, BRIDGE_BLE_ATTEMPTS);
    }
    Serial.printf("Valve %s did not answer; the control loop will try again later.\n", mac.c_str());
    return bridge::LinkResult::Timeout;
  }

  bridge::PairResult pair(const std::string& mac, uint32_t passkey, uint32_t timeout_ms) override {
    NimBLEAddress address(mac, BLE_ADDR_PUBLIC);
    if (NimBLEDevice::isBonded(address)) NimBLEDevice::deleteBond(address);  // a new PIN replaces an old bond
    NimBLEClient* client = NimBLEDevice::createClient();
    client->setClientCallbacks(&pairing_callbacks, false);
    client->setConnectTimeout(timeout_ms);
    bridge::PairResult result = bridge::PairResult::Timeout;
    pending_passkey.offer(mac, passkey);
    if (client->connect(address)) {
      if (client->secureConnection()) {
        result = bridge::PairResult::Paired;
        Serial.printf("Paired with valve %s; the bond is kept in flash.\n", mac.c_str());
      } else if (client->isConnected() || client->getLastError() != BLE_HS_ETIMEOUT) {
        result = bridge::PairResult::WrongPin;
        Serial.printf("Valve %s refused the PIN.\n", mac.c_str());
      }
      client->disconnect();
    }
    pending_passkey.clear();
    NimBLEDevice::deleteClient(client);
    return result;
  }

 private:
  static volatile bool answered_;
  static eq3::Frame notification_;

  static void on_notify(NimBLERemoteCharacteristic*, uint8_t* data, size_t length, bool) {
    if (answered_) return;
    notification_.assign(data, data + length);
    answered_ = true;
  }

  bool try_once(const std::string& mac, const eq3::Frame& frame, uint32_t timeout_ms, eq3::Frame& answer,
                bool& needs_bond) {
    NimBLEClient* client = NimBLEDevice::createClient();
    client->setClientCallbacks(&pairing_callbacks, false);
    client->setConnectTimeout(timeout_ms);
    bool ok = false;
    NimBLEAddress address(mac, BLE_ADDR_PUBLIC);
    if (client->connect(address)) {
      // A bonded valve wants the link encrypted with the stored keys before it takes a write.
      if (NimBLEDevice::isBonded(address)) client->secureConnection();
      NimBLERemoteService* service = client->getService(kServiceUuid);
      NimBLERemoteCharacteristic* write =
          service ? service->getCharacteristic(eq3::kWriteCharacteristicUuid) : nullptr;
      NimBLERemoteCharacteristic* notify =
          service ? service->getCharacteristic(eq3::kNotifyCharacteristicUuid) : nullptr;
      answered_ = false;
      bool subscribed = write && notify && notify->subscribe(true, on_notify);
      bool written = subscribed && write->writeValue(frame.data(), frame.size(), true);
      int rc = client->getLastError();
      needs_bond = subscribed && !written &&
                   (rc == BLE_HS_ERR_ATT_BASE + BLE_ATT_ERR_INSUFFICIENT_AUTHEN ||
                    rc == BLE_HS_ERR_ATT_BASE + BLE_ATT_ERR_INSUFFICIENT_ENC);
      if (written) {
        uint32_t start = millis();
        while (!answered_ && millis() - start < timeout_ms) delay(10);
        if (answered_) {
          answer = notification_;
          ok = true;
        }
      }
      client->disconnect();
    }
    NimBLEDevice::deleteClient(client);
    return ok;
  }
};
volatile bool NimBleLink::answered_ = false;
eq3::Frame NimBleLink::notification_;

class BoardClock : public bridge::BridgeClock {
 public:
  bool local_time(eq3::LocalTime& out) override {
    time_t now = time(nullptr);
    if (now < 1700000000) return false;  // not synchronised by NTP yet
    struct tm local;
    localtime_r(&now, &local);
    out.year = local.tm_year + 1900;
    out.month = local.tm_mon + 1;
    out.day = local.tm_mday;
    out.hour = local.tm_hour;
    out.minute = local.tm_min;
    out.second = local.tm_sec;
    return true;
  }
  std::string utc_iso() override {
    time_t now = time(nullptr);
    if (now < 1700000000) return "";
    struct tm utc;
    gmtime_r(&now, &utc);
    char text[24];
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
  }
  uint32_t uptime_s() override { return millis() / 1000; }
};

NimBleLink link_;
BoardClock clock_;
bridge::BridgeCore core(link_, clock_, "esp32", BRIDGE_BLE_TIMEOUT_MS);

const char* method_name(HTTPMethod method) {
  switch (method) {
    case HTTP_GET: return "GET";
    case HTTP_POST: return "POST";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_DELETE: return "DELETE";
    default: return "OTHER";
  }
}

String request_target() {
  String target = server.uri();
  for (int i = 0; i < server.args(); ++i) {
    if (server.argName(i) == "plain") continue;
    target += (target.indexOf('?') < 0 ? "?" : "&") + server.argName(i) + "=" + server.arg(i);
  }
  return target;
}

void send_json(int status, const std::string& body) { server.send(status, "application/json", body.c_str()); }

// POST /config {"wifi_ssid", "wifi_password", "valves", "tz", "token", "bridge_token", "ap_password"}: stored in
// flash, then a restart.
void handle_config() {
  if (!secret::bearer_matches(config.token.c_str(), server.header("Authorization").c_str())) {
    send_json(401, "{\"error\": \"unauthorized\", \"message\": \"send Authorization: Bearer <config token>\"}");
    return;
  }
  std::map<std::string, json::Value> fields;
  if (!json::parse_object(server.arg("plain").c_str(), fields)) {
    send_json(400, "{\"error\": \"bad_request\", \"message\": \"the body is not a JSON object\"}");
    return;
  }
  std::vector<std::string> macs;
  if (fields.count("valves") && (fields["valves"].type != json::Type::String ||
                                 !mac::parse_list(fields["valves"].text, macs))) {
    send_json(400, "{\"error\": \"bad_request\", \"message\": \"valves must be MACs separated by commas\"}");
    return;
  }
  preferences.begin("bridge", false);
  const char* keys[][2] = {{"wifi_ssid", "ssid"}, {"wifi_password", "password"}, {"valves", "valves"},
                           {"tz", "tz"}, {"token", "token"}, {"ap_password", "ap_password"},
                           {"bridge_token", "bridge_token"}};
  for (auto& key : keys) {
    auto it = fields.find(key[0]);
    if (it != fields.end() && it->second.type == json::Type::String)
      preferences.putString(key[1], it->second.text.c_str());
  }
  preferences.end();
  send_json(200, "{\"ok\": true, \"message\": \"stored; the bridge restarts now\"}");
  delay(500);
  ESP.restart();
}

void handle_contract() {
  bridge::Response response = core.handle(method_name(server.method()), request_target().c_str(),
                                         server.arg("plain").c_str(), server.header("Authorization").c_str());
  send_json(response.status, response.body);
}

}  // namespace

void setup() {
  Serial.begin(115200);
  load_config();
  std::vector<std::string> macs;
  if (!mac::parse_list(config.valves.c_str(), macs)) {
    Serial.println("The valve list is not MACs separated by commas; serving no valves until /config fixes it.");
    macs.clear();
  }
  core.set_valves(macs);
  core.set_token(config.bridge_token.c_str());

  if (config.ssid.isEmpty()) {
    WiFi.softAP(BRIDGE_SETUP_AP_NAME, config.ap_password.c_str());
    Serial.printf("No Wi-Fi configured: join %s (passphrase above) and POST /config to http://192.168.4.1\n",
                  BRIDGE_SETUP_AP_NAME);
  } else {
    WiFi.mode(WIFI_STA);
    WiFi.begin(config.ssid.c_str(), config.password.c_str());
    Serial.printf("Joining Wi-Fi %s ...\n", config.ssid.c_str());
    for (int i = 0; i < 60 && WiFi.status() != WL_CONNECTED; ++i) delay(500);
    Serial.printf("Wi-Fi: %s, address %s\n", WiFi.status() == WL_CONNECTED ? "connected" : "not connected yet",
                  WiFi.localIP().toString().c_str());
  }
  configTzTime(config.tz.c_str(), BRIDGE_NTP_SERVER);

  NimBLEDevice::init("");
  // Bond (kept in flash, so restarts keep it), with MITM protection by passkey entry: the eQ-3
  // shows the PIN, the bridge types it (KeyboardOnly).
  NimBLEDevice::setSecurityAuth(true, true, true);
  NimBLEDevice::setSecurityIOCap(BLE_HS_IO_KEYBOARD_ONLY);
  const char* headers[] = {"Authorization"};  // /config's token and the contract's bridge token
  server.collectHeaders(headers, 1);
  server.on("/config", HTTP_POST, handle_config);
  server.onNotFound(handle_contract);
  server.begin();
  Serial.printf("Valve bridge serving %u valves on port %d\n", static_cast<unsigned>(core.valve_count()),
                BRIDGE_HTTP_PORT);
}

void loop() {
  server.handleClient();
  if (!config.ssid.isEmpty() && WiFi.status() != WL_CONNECTED) {
    static uint32_t last_try = 0;
    if (millis() - last_try > 30000) {
      last_try = millis();
      Serial.println("Wi-Fi lost; reconnecting.");
      WiFi.reconnect();
    }
  }
  delay(2);
}
