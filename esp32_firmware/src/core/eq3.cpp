#include "eq3.h"

#include <cstdio>

namespace eq3 {

const char* const kWriteCharacteristicUuid = "3fa4585a-ce4a-3bad-db4b-b8df8179ea09";
const char* const kNotifyCharacteristicUuid = "d0e8434d-cd29-0996-af41-6c90f4e0eb2a";

namespace {

const uint8_t kProgramWrite = 0x10, kProgramRead = 0x20, kProgramAnswer = 0x21;
const int kProgramPoints = 7, kDayEndMinute = 1440, kProgramFrameLength = 16;
const uint8_t kStatusRequest = 0x03, kComfortEcoConfigure = 0x11, kOffsetConfigure = 0x13,
              kWindowConfigure = 0x14, kMode = 0x40, kTarget = 0x41, kComfort = 0x43, kEco = 0x44,
              kBoost = 0x45, kLock = 0x80;

struct FlagBit {
  bool Status::*field;
  uint8_t bit;
};
// The status flags byte, one row per flag (0x40 has no known meaning).
const FlagBit kFlags[] = {
    {&Status::manual, 0x01}, {&Status::away, 0x02},        {&Status::boost, 0x04},
    {&Status::dst, 0x08},    {&Status::window_open, 0x10}, {&Status::locked, 0x20},
    {&Status::low_battery, 0x80},
};

bool offset_to_byte(double offset_c, uint8_t& out) {
  if (!(offset_c >= -3.5 && offset_c <= 3.5)) return false;
  double doubled = (offset_c + 3.5) * 2;
  if (doubled != static_cast<double>(static_cast<int>(doubled))) return false;
  out = static_cast<uint8_t>(doubled);
  return true;
}

bool valid_date(int year, int month, int day, int hour, int minute) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int days = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= days;
}

bool away_time_to_bytes(const LocalTime& until, Frame& out) {
  if ((until.minute != 0 && until.minute != 30) || until.second != 0) return false;
  if (until.year < 2000 || until.year > 2099) return false;
  if (!valid_date(until.year, until.month, until.day, until.hour, until.minute)) return false;
  out.push_back(static_cast<uint8_t>(until.day));
  out.push_back(static_cast<uint8_t>(until.year - 2000));
  out.push_back(static_cast<uint8_t>(until.hour * 2 + (until.minute == 30 ? 1 : 0)));
  out.push_back(static_cast<uint8_t>(until.month));
  return true;
}

std::string hex(const uint8_t* data, size_t length) {
  std::string text;
  char pair[3];
  for (size_t i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", data[i]);
    text += pair;
  }
  return text.empty() ? "empty" : text;
}

bool byte_to_temp(uint8_t value, double& out, std::string& error) {
  if (value < 9 || value > 60) {
    error = "temperature byte is outside 4.5 to 30.0 C";
    return false;
  }
  out = value / 2.0;
  return true;
}

}  // namespace

const char* const kDayNames[7] = {"sat", "sun", "mon", "tue", "wed", "thu", "fri"};
const int kWeekOrder[7] = {2, 3, 4, 5, 6, 0, 1};

bool temp_to_byte(double temp_c, uint8_t& out) {
  if (!(temp_c >= 4.5 && temp_c <= 30.0)) return false;
  double doubled = temp_c * 2;
  if (doubled != static_cast<double>(static_cast<int>(doubled))) return false;
  out = static_cast<uint8_t>(doubled);
  return true;
}

bool encode_status_request(const LocalTime& t, Frame& out) {
  out.clear();
  if (t.year < 2000 || t.year > 2099 || !valid_date(t.year, t.month, t.day, t.hour, t.minute) || t.second < 0 ||
      t.second > 59)
    return false;
  out = {kStatusRequest, static_cast<uint8_t>(t.year - 2000), static_cast<uint8_t>(t.month),
         static_cast<uint8_t>(t.day), static_cast<uint8_t>(t.hour), static_cast<uint8_t>(t.minute),
         static_cast<uint8_t>(t.second)};
  return true;
}

bool encode_target(double temp_c, Frame& out) {
  out.clear();
  uint8_t t;
  if (!temp_to_byte(temp_c, t)) return false;
  out = {kTarget, t};
  return true;
}

void encode_mode_auto(Frame& out) { out = {kMode, 0x00}; }

bool encode_mode_manual(double temp_c, Frame& out) {
  out.clear();
  uint8_t t;
  if (!temp_to_byte(temp_c, t)) return false;
  out = {kMode, static_cast<uint8_t>(0x40 | t)};
  return true;
}

bool encode_away(double temp_c, const LocalTime& until, Frame& out) {
  out.clear();
  uint8_t t;
  if (!temp_to_byte(temp_c, t)) return false;
  out = {kMode, static_cast<uint8_t>(0x80 | t)};
  if (!away_time_to_bytes(until, out)) {
    out.clear();
    return false;
  }
  return true;
}

void encode_boost(bool on, Frame& out) { out = {kBoost, static_cast<uint8_t>(on ? 1 : 0)}; }
void encode_comfort(Frame& out) { out = {kComfort}; }
void encode_eco(Frame& out) { out = {kEco}; }

bool encode_comfort_eco_config(double comfort_c, double eco_c, Frame& out) {
  out.clear();
  uint8_t comfort, eco;
  if (!temp_to_byte(comfort_c, comfort) || !temp_to_byte(eco_c, eco)) return false;
  out = {kComfortEcoConfigure, comfort, eco};
  return true;
}

bool encode_offset(double offset_c, Frame& out) {
  out.clear();
  uint8_t code;
  if (!offset_to_byte(offset_c, code)) return false;
  out = {kOffsetConfigure, code};
  return true;
}

bool encode_window_config(double temp_c, int minutes, Frame& out) {
  out.clear();
  uint8_t t;
  if (!temp_to_byte(temp_c, t) || minutes < 0 || minutes > 60 || minutes % 5 != 0) return false;
  out = {kWindowConfigure, t, static_cast<uint8_t>(minutes / 5)};
  return true;
}

void encode_lock(bool on, Frame& out) { out = {kLock, static_cast<uint8_t>(on ? 1 : 0)}; }

bool encode_program_read(int day, Frame& out) {
  out.clear();
  if (day < 0 || day > 6) return false;
  out = {kProgramRead, static_cast<uint8_t>(day)};
  return true;
}

bool encode_program_write(const DayProgram& program, Frame& out) {
  out.clear();
  if (program.day < 0 || program.day > 6 || program.points.empty() ||
      program.points.size() > static_cast<size_t>(kProgramPoints))
    return false;
  Frame frame = {kProgramWrite, static_cast<uint8_t>(program.day)};
  int previous = 0;
  for (const ProgramPoint& point : program.points) {
    uint8_t t;
    if (point.until_minute <= previous || point.until_minute > kDayEndMinute || point.until_minute % 10 != 0 ||
        !temp_to_byte(point.temp_c, t))
      return false;
    frame.push_back(t);
    frame.push_back(static_cast<uint8_t>(point.until_minute / 10));
    previous = point.until_minute;
  }
  if (previous != kDayEndMinute) return false;
  // All 7 pairs, always: the valve overwrites only the bytes it is sent.
  frame.resize(kProgramFrameLength, 0);
  out = frame;
  return true;
}

bool decode_program(const uint8_t* data, size_t length, DayProgram& out, std::string& error) {
  out = DayProgram();
  const std::string frame = hex(data, length);
  if (length != static_cast<size_t>(kProgramFrameLength) || data[0] != kProgramAnswer || data[1] > 6) {
    error = "not a program answer: " + frame;
    return false;
  }
  out.day = data[1];
  int previous = 0;
  for (size_t i = 2; i < length; i += 2) {
    ProgramPoint point;
    point.until_minute = data[i + 1] * 10;
    if (point.until_minute <= previous || point.until_minute > kDayEndMinute ||
        !byte_to_temp(data[i], point.temp_c, error)) {
      error = "program times or temperatures out of range: " + frame;
      return false;
    }
    out.points.push_back(point);
    previous = point.until_minute;
    if (previous == kDayEndMinute) {
      for (size_t rest = i + 2; rest < length; ++rest) {
        if (data[rest] != 0) {
          error = "program has bytes after its 24:00 period: " + frame;
          return false;
        }
      }
      return true;
    }
  }
  error = "program does not end at 24:00: " + frame;
  return false;
}

bool decode_program_written(const uint8_t* data, size_t length, int& day) {
  if (length != 3 || data[0] != 0x02 || data[1] != 0x02 || data[2] > 6) return false;
  day = data[2];
  return true;
}

bool decode_status(const uint8_t* data, size_t length, Status& out, std::string& error) {
  out = Status();
  const std::string frame = hex(data, length);
  if (length < 6) {
    error = "status notification too short: " + frame;
    return false;
  }
  if (data[0] != 0x02 || data[1] != 0x01) {
    error = "not a status notification: " + frame;
    return false;
  }
  if ((length > 6 && length < 10) || (length > 10 && length < 15)) {
    error = "status notification of unknown length: " + frame;
    return false;
  }
  if (data[4] != 0x04) {
    error = "status notification without target marker 04: " + frame;
    return false;
  }
  if (data[3] > 100) {
    error = "valve position is above 100: " + frame;
    return false;
  }
  for (const FlagBit& flag : kFlags) out.*(flag.field) = (data[2] & flag.bit) != 0;
  out.valve_pct = data[3];
  if (!byte_to_temp(data[5], out.target_c, error)) return false;
  if (length >= 10 && out.away) {
    LocalTime& t = out.away_until;
    t.day = data[6];
    t.year = 2000 + data[7];
    t.hour = data[8] / 2;
    t.minute = data[8] % 2 ? 30 : 0;
    t.month = data[9];
    t.second = 0;
    if (!valid_date(t.year, t.month, t.day, t.hour, t.minute)) {
      error = "away end is not a date and time: " + frame;
      return false;
    }
    out.has_away_until = true;
  }
  if (length >= 15) {
    Presets& p = out.presets;
    if (data[11] * 5 > 60) {
      error = "window-open duration byte is above 60 min: " + frame;
      return false;
    }
    if (data[14] > 14) {
      error = "offset byte is outside -3.5 to +3.5 C: " + frame;
      return false;
    }
    if (!byte_to_temp(data[10], p.window_open_c, error) || !byte_to_temp(data[12], p.comfort_c, error) ||
        !byte_to_temp(data[13], p.eco_c, error))
      return false;
    p.window_open_minutes = data[11] * 5;
    p.offset_c = data[14] / 2.0 - 3.5;
    out.has_presets = true;
  }
  return true;
}

}  // namespace eq3
