// Defaults of the ESP32 valve bridge. Every one of these can be changed
// without rebuilding: POST /config (see README.md) stores new values in the
// board's flash (NVS), which win over these defaults.
#pragma once

// Wi-Fi network to join. Empty SSID: the bridge opens its own access point
// BRIDGE_SETUP_AP_NAME so you can POST /config to it (http://192.168.4.1).
#define BRIDGE_WIFI_SSID ""
#define BRIDGE_WIFI_PASSWORD ""
#define BRIDGE_SETUP_AP_NAME "heating-valve-bridge"

// The valves this bridge serves: MACs separated by commas.
#define BRIDGE_VALVES ""

// The home's time zone as a POSIX TZ string (the valves' clocks are set to it).
// Europe/Amsterdam: "CET-1CEST,M3.5.0,M10.5.0/3".
#define BRIDGE_TZ "CET-1CEST,M3.5.0,M10.5.0/3"
#define BRIDGE_NTP_SERVER "pool.ntp.org"

// HTTP port of the bridge contract.
#define BRIDGE_HTTP_PORT 80

// How long one valve may take to connect and answer, milliseconds.
#define BRIDGE_BLE_TIMEOUT_MS 10000
// Connection attempts per command before answering bluetooth_timeout.
#define BRIDGE_BLE_ATTEMPTS 3

// Token POST /config needs (header "Authorization: Bearer <token>"). Left at
// the example (or empty), the board makes a random one at its first start
// and prints it on the USB serial console; /config can change it.
#define BRIDGE_CONFIG_TOKEN "change-me"
// Token the control loop sends with every contract request ("Authorization:
// Bearer <token>"), also entered in this bridge's setup on the page. Left at
// the example, the board makes a random one like the config token and prints it.
#define BRIDGE_TOKEN "change-me"
// Passphrase of the setup network (WPA2, at least 8 characters). Left at the
// example, the board makes a random one like the token and prints it.
#define BRIDGE_SETUP_AP_PASSWORD "change-me"
