#pragma once
#include "interpreter/syntax/b.hpp"
#include "interpreter/stray.hpp"
#include <string>
#include "local.hpp"
