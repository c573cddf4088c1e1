#include "secret.h"

namespace secret {

bool equal(const std::string& expected, const std::string& given) {
  // Every byte of `given` is compared, against `expected` repeated: the time
  // depends only on the length the guesser chose.
  unsigned char diff = expected.size() == given.size() ? 0 : 1;
  if (expected.empty()) return false;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

bool bearer_matches(const std::string& expected, const std::string& authorization) {
  static const std::string kPrefix = "Bearer ";
  if (expected.empty() || authorization.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  return equal(expected, authorization.substr(kPrefix.size()));
}

bool is_placeholder(const std::string& value) {
  static const std::string kExample = "change-me";
  if (value.empty()) return true;
  if (value.size() < kExample.size()) return false;
  for (size_t i = 0; i < kExample.size(); ++i) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kExample[i]) return false;
  }
  return true;
}

std::string generate(uint32_t (*random_word)(), size_t length) {
  // 64 symbols: each one takes 6 bits of a word, so every symbol is equally likely.
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  while (out.size() < length) {
    uint32_t word = random_word();
    for (int i = 0; i < 5 && out.size() < length; ++i, word >>= 6) out.push_back(kAlphabet[word & 63]);
  }
  return out;
}

}  // namespace secret
