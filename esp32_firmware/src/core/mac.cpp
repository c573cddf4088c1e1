#include "mac.h"

namespace mac {

namespace {
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
}  // namespace

bool parse(const std::string& text, std::string& upper_out) {
  if (text.size() != 17) return false;
  std::string upper;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!is_hex(c)) {
      return false;
    }
    upper += (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  upper_out = upper;
  return true;
}

bool parse_list(const std::string& text, std::vector<std::string>& out) {
  out.clear();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    size_t first = item.find_first_not_of(" \t");
    size_t last = item.find_last_not_of(" \t");
    if (first != std::string::npos) {
      std::string upper;
      if (!parse(item.substr(first, last - first + 1), upper)) return false;
      out.push_back(upper);
    }
    start = comma + 1;
  }
  return true;
}

}  // namespace mac
