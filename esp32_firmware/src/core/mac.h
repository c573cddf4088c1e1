// Bluetooth MACs as the bridge contract writes them: six hex pairs with colons.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mac {

// True for "00:1a:22:0C:3B:5D"-style text; upper_out gets the upper-case form.
bool parse(const std::string& text, std::string& upper_out);

// Splits "mac,mac,..." (spaces allowed around items); false if any item is not a MAC.
bool parse_list(const std::string& text, std::vector<std::string>& out);

}  // namespace mac
