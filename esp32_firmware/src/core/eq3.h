// The eQ-3 eqiva Bluetooth Smart radiator valve (CC-RT-BLE): a pure codec.
// Portable C++ (no Arduino headers): compiled for the ESP32 and, in the
// tests, on the host. Mirrors protocols/eq3.py; tests/esp32_firmware checks
// both on the same recorded frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eq3 {

using Frame = std::vector<uint8_t>;

extern const char* const kWriteCharacteristicUuid;
extern const char* const kNotifyCharacteristicUuid;

// A wall-clock time of the valve (its local time, no zone).
struct LocalTime {
  int year = 2000, month = 1, day = 1, hour = 0, minute = 0, second = 0;
};

struct Presets {
  double window_open_c = 0;
  int window_open_minutes = 0;
  double comfort_c = 0;
  double eco_c = 0;
  double offset_c = 0;
};

struct Status {
  bool manual = false, away = false, boost = false, dst = false;
  bool window_open = false, locked = false, low_battery = false;
  int valve_pct = 0;
  double target_c = 0;
  bool has_away_until = false;  // only while the away flag is set
  LocalTime away_until;
  bool has_presets = false;     // newer firmware only
  Presets presets;
};

// One period of a day's week program: temp_c holds until until_minute (0..1440, 1440 = 24:00).
struct ProgramPoint {
  int until_minute = 0;
  double temp_c = 0;
};

// One day of the valve's week program; day is the valve's day byte (0 = Saturday .. 6 = Friday).
struct DayProgram {
  int day = 0;
  std::vector<ProgramPoint> points;  // 1..7, increasing, the last ending at 1440
};

// Day names by the valve's day byte ("sat" .. "fri"), and the valve's day bytes in the
// order the bridge reads and answers them (mon .. sun).
extern const char* const kDayNames[7];
extern const int kWeekOrder[7];

// t x 2 for 4.5..30.0 in 0.5 steps; false otherwise.
bool temp_to_byte(double temp_c, uint8_t& out);

// Each encoder returns false (and leaves out empty) for a value the valve cannot take.
bool encode_status_request(const LocalTime& valve_time, Frame& out);
bool encode_target(double temp_c, Frame& out);
void encode_mode_auto(Frame& out);
bool encode_mode_manual(double temp_c, Frame& out);
bool encode_away(double temp_c, const LocalTime& until, Frame& out);
void encode_boost(bool on, Frame& out);
void encode_comfort(Frame& out);
void encode_eco(Frame& out);
bool encode_comfort_eco_config(double comfort_c, double eco_c, Frame& out);
bool encode_offset(double offset_c, Frame& out);
bool encode_window_config(double temp_c, int minutes, Frame& out);
void encode_lock(bool on, Frame& out);

// Week program: read one day (20 <day>), write one day (10 <day> and 7 pairs of t x 2 and
// end / 10 min, zero-filled after the 24:00 one). Mirrors protocols/eq3.py.
bool encode_program_read(int day, Frame& out);
bool encode_program_write(const DayProgram& program, Frame& out);
// The valve's answer to a read (21 <day> and 7 pairs, 16 bytes) and to a write (02 02 <day>).
bool decode_program(const uint8_t* data, size_t length, DayProgram& out, std::string& error);
bool decode_program_written(const uint8_t* data, size_t length, int& day);

// Decodes a status notification (6 bytes, 10 with an away end, 15 with
// presets; longer is accepted, the rest ignored). On failure returns false and
// says why in error.
bool decode_status(const uint8_t* data, size_t length, Status& out, std::string& error);

}  // namespace eq3
