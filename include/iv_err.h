/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error codes of the iv_* API (libivcs).  Every function returns one:
 * IV_ERR_NONE (0) on success, a negative code otherwise; iv_err_str() says
 * what it means.  New codes are added last; none is ever removed or
 * renumbered. */
#ifndef IV_ERR_H
#define IV_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

#define IV_ERR_TABLE(X) \
  X (IV_ERR_NONE, 0, "success") \
  X (IV_ERR_INVALID_PARAM, -1, "invalid parameter (NULL pointer, zero length or a value out of range)") \
  X (IV_ERR_NOT_INIT, -2, "the module is not initialised (call iv_cs_init first)") \
  X (IV_ERR_ALREADY_INIT, -3, "the module is already initialised") \
  X (IV_ERR_CS_CONFIG, -4, "no usable configuration (see IVCS_CONFIG in the README)") \
  X (IV_ERR_CS_PIPELINE, -5, "the recording pipeline could not be built (a GStreamer plugin is missing)") \
  X (IV_ERR_CS_STREAM_TYPE, -6, "wrong stream type, or a codec libivcs cannot record (MJPG video, audio other than ADTS AAC)") \
  X (IV_ERR_CS_QUEUE_FULL, -7, "the stream's queue is full: the frame was dropped") \
  X (IV_ERR_CS_SERVICE_NOT_RUN, -8, "no recording channel is active: the frame was not recorded") \
  X (IV_ERR_CS_EVENT_SERVICE_NOT_RUN, -9, "the event service is not active") \
  X (IV_ERR_CS_EVENT_TRIGGER, -10, "a trigger must have exactly one bit set, not one of the reserved bits 4-15") \
  X (IV_ERR_CS_EVENT_LIST_FULL, -11, "event_list_max_depth events are waiting") \
  X (IV_ERR_CS_EXITING, -12, "the module is exiting") \
  X (IV_ERR_CS_IN_CALLBACK, -13, "not allowed from within a callback of the module") \
  X (IV_ERR_CS_FRAME_TOO_LARGE, -14, "the frame is larger than its stream's queue can ever hold (u32MaxSizeInAGop / 2 for video, / 10 for audio): it was dropped") \
  X (IV_ERR_CS_TIMESTAMP, -15, "the frame's timestamp jumps more than an hour from its stream's, or lies beyond the year 2500: it was dropped")

#define IV_ERR_ENUM_ENTRY(name, value, text) name = value,
typedef enum iv_err_code_e {
  IV_ERR_TABLE (IV_ERR_ENUM_ENTRY)
} iv_err_code_e;
#undef IV_ERR_ENUM_ENTRY

/* What @code means, in English; never NULL. */
const char *iv_err_str (int code);

#ifdef __cplusplus
}
#endif

#endif /* IV_ERR_H */
