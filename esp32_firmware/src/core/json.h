// Just enough JSON for the bridge contract: a strict parser for a request body
// (a top-level object; nested values are checked and skipped) and helpers
// to write answers. Portable C++, no Arduino headers.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace json {

enum class Type { Null, Bool, Number, String, Array, Object };

struct Value {
  Type type = Type::Null;
  bool boolean = false;
  double number = 0;
  std::string text;            // a String's decoded UTF-8
  std::vector<Value> items;    // an Array's elements; an Object's member values
  std::vector<std::string> keys;  // an Object's member names, in body order (parallel to items)
};

// The member `key` of an Object (the last one when the body repeats it), else null.
const Value* member(const Value& object, const std::string& key);

// Parses text as one JSON object (RFC 8259: strict grammar, valid UTF-8, no
// control characters in strings). Duplicate keys: the last one wins. Returns
// false for anything else, including a top level that is not an object.
bool parse_object(const std::string& text, std::map<std::string, Value>& members);

// A JSON string literal for text (quotes and control characters escaped).
std::string quote(const std::string& text);

// A number with exactly one decimal (temperatures are in 0.5 steps).
std::string one_decimal(double value);

}  // namespace json
