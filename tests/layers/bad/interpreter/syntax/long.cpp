// Longer than three lines, on purpose: its first comment says so.
#include "interpreter/base/a.hpp"

int x = 0;
int y = 0;
