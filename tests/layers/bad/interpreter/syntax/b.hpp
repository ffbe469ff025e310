#pragma once
#include "interpreter/base/a.hpp"
