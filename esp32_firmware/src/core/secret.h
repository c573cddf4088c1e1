// Secrets of the bridge: the config token, the bridge token the control loop
// sends, the setup network's passphrase.
#pragma once

#include <cstdint>
#include <string>

namespace secret {

// Whether two secrets are equal, in a time that does not depend on where they
// first differ (a byte-by-byte early exit tells a guesser how much is right).
bool equal(const std::string& expected, const std::string& given);

// Whether an "Authorization" header is "Bearer <expected>"; never for an empty expected token.
bool bearer_matches(const std::string& expected, const std::string& authorization);

// Empty, or an example value ("change-me..."), which everyone who read the docs knows.
bool is_placeholder(const std::string& value);

// A secret of `length` characters (letters and digits) from `random_word`, a
// source of uniformly random 32-bit words (the ESP32's esp_random()).
std::string generate(uint32_t (*random_word)(), size_t length);

}  // namespace secret
