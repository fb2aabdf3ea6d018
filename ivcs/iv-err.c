/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iv_err.h"

const char *
iv_err_str (int code)
{
#define IV_ERR_CASE(name, value, text) case value: return text;
  switch (code) {
      IV_ERR_TABLE (IV_ERR_CASE)
    default:
      return "unknown error code";
  }
#undef IV_ERR_CASE
}
