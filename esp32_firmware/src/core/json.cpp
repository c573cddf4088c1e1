#include "json.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace json {

namespace {

const int kMaxDepth = 32;

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  bool object(std::map<std::string, Value>& members) {
    skip_ws();
    if (!peek('{')) return false;
    ++pos_;
    skip_ws();
    if (peek('}')) {
      ++pos_;
      return at_end();
    }
    for (;;) {
      std::string key;
      skip_ws();
      if (!string(key)) return false;
      skip_ws();
      if (!peek(':')) return false;
      ++pos_;
      Value value;
      if (!any(value, 1)) return false;
      members[key] = value;
      skip_ws();
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (peek('}')) {
        ++pos_;
        return at_end();
      }
      return false;
    }
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;

  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool at_end() {
    skip_ws();
    return pos_ == s_.size();
  }
  bool literal(const char* word) {
    size_t n = 0;
    while (word[n]) ++n;
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }

  // depth: how many containers enclose this value (the top-level object is 1).
  bool any(Value& out, int depth) {
    skip_ws();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '{' || c == '[') return container(out, depth + 1);
    if (c == '"') {
      out.type = Type::String;
      return string(out.text);
    }
    if (c == 't') {
      out.type = Type::Bool;
      out.boolean = true;
      return literal("true");
    }
    if (c == 'f') {
      out.type = Type::Bool;
      out.boolean = false;
      return literal("false");
    }
    if (c == 'n') {
      out.type = Type::Null;
      return literal("null");
    }
    out.type = Type::Number;
    return number(out.number);
  }

  bool container(Value& out, int depth) {
    if (depth > kMaxDepth) return false;
    bool is_object = s_[pos_] == '{';
    char close = is_object ? '}' : ']';
    out.type = is_object ? Type::Object : Type::Array;
    ++pos_;
    skip_ws();
    if (peek(close)) {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      std::string key;
      if (is_object) {
        if (!string(key)) return false;
        skip_ws();
        if (!peek(':')) return false;
        ++pos_;
      }
      Value inner;
      if (!any(inner, depth)) return false;
      // Kept, not skipped: a program write's body nests days, points and their fields.
      if (is_object) out.keys.push_back(key);
      out.items.push_back(std::move(inner));
      skip_ws();
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (peek(close)) {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  bool number(double& out) {
    size_t start = pos_;
    if (peek('-')) ++pos_;
    if (peek('0')) {
      ++pos_;
    } else if (pos_ < s_.size() && s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && isdigit_(s_[pos_])) ++pos_;
    } else {
      return false;
    }
    if (peek('.')) {
      ++pos_;
      if (!(pos_ < s_.size() && isdigit_(s_[pos_]))) return false;
      while (pos_ < s_.size() && isdigit_(s_[pos_])) ++pos_;
    }
    if (peek('e') || peek('E')) {
      ++pos_;
      if (peek('+') || peek('-')) ++pos_;
      if (!(pos_ < s_.size() && isdigit_(s_[pos_]))) return false;
      while (pos_ < s_.size() && isdigit_(s_[pos_])) ++pos_;
    }
    std::string digits = s_.substr(start, pos_ - start);
    out = std::strtod(digits.c_str(), nullptr);
    return true;
  }

  static bool isdigit_(char c) { return c >= '0' && c <= '9'; }

  static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(unsigned& out) {
    if (pos_ + 4 > s_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      int v = hexval(s_[pos_ + i]);
      if (v < 0) return false;
      out = out * 16 + static_cast<unsigned>(v);
    }
    pos_ += 4;
    return true;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool string(std::string& out) {
    if (!peek('"')) return false;
    ++pos_;
    out.clear();
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned code;
          if (!hex4(code)) return false;
          if (code >= 0xD800 && code < 0xDC00 && s_.compare(pos_, 2, "\\u") == 0) {
            size_t save = pos_;
            pos_ += 2;
            unsigned low;
            if (hex4(low) && low >= 0xDC00 && low < 0xE000) {
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          append_utf8(out, code);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
};

bool valid_utf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    int extra;
    unsigned code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    static const unsigned kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code < 0xE000)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

const Value* member(const Value& object, const std::string& key) {
  if (object.type != Type::Object) return nullptr;
  for (size_t i = object.keys.size(); i > 0; --i)
    if (object.keys[i - 1] == key) return &object.items[i - 1];
  return nullptr;
}

bool parse_object(const std::string& text, std::map<std::string, Value>& members) {
  members.clear();
  if (!valid_utf8(text)) return false;
  Parser parser(text);
  if (!parser.object(members)) {
    members.clear();
    return false;
  }
  return true;
}

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", c);
          out += esc;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string one_decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace json
