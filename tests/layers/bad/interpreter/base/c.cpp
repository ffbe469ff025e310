#include "interpreter/base/a.hpp"
