#include "util/error.h"

G_DEFINE_QUARK(sl - error - quark, sl_error)
