/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iv_cs: the cloud-storage module of the reference device API, implemented
 * by libivcs on a GStreamer pipeline (appsrc ! parser ! cseventgate !
 * cssink).  Firmware written for the reference API builds against these
 * headers and links against libivcs (pkg-config libivcs) unchanged.
 *
 * Where the reference documentation is inconsistent, every spelling its
 * sample code uses is accepted:
 * - the picture callbacks are members both as iv_cs_event_capture_picture_cb
 *   and iv_cs_event_capture_picture (and the same for the result callback),
 *   through anonymous unions: set either;
 * - event_interval_time_s, used by the samples but missing from the struct
 *   listing, is a member;
 * - iv_cs_exit() takes force_exit, and may be called with no argument
 *   (meaning 0), through a macro.
 *
 * Where the store is and who the device is comes from configuration, not
 * code: see the README (IVCS_CONFIG). */
#ifndef IV_CS_H
#define IV_CS_H

#include <stdint.h>

#include "iv_cm.h"
#include "iv_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Trigger sources: bit numbers of the trigger mask. */
typedef enum iv_cs_event_trigger_type_e {
  IV_CS_EVENT_TRIGGER_MD = 0,   /* motion */
  IV_CS_EVENT_TRIGGER_PD = 1,   /* person */
  IV_CS_EVENT_TRIGGER_SD = 2,   /* sound */
  IV_CS_EVENT_TRIGGER_LD = 3,   /* linkage */
  /* 4-15 reserved, 16-31 the device maker's own */
  IV_CS_EVENT_MAX_TRIGGER = 32,
} iv_cs_event_trigger_type_e;

/* event_trigger_priority[i] of a source without priority. */
#define IV_CS_EVENT_TRIGGER_HIGHEST_INVALID_PRIORITY (-1)
/* A suggested event_list_max_depth (the samples use the name). */
#define IV_CS_MAX_EVENT_LIST_DEPTH 16

typedef enum iv_cs_event_pic_upload_res_e {
  IV_CS_EVENT_PICTURE_UPLOAD_OK = 0,
  IV_CS_EVENT_PICTURE_UPLOAD_TIME_OUT = 1,      /* not over 2 KiB in 5 s, or not stored */
  IV_CS_EVENT_PICTURE_EXPIRED = 2,      /* a newer picture of the event replaced it */
  IV_CS_EVENT_PICTURE_NOT_EXIST = 3,
} iv_cs_event_pic_upload_res_e;

typedef enum {
  IV_CS_STREAM_TYPE_AUDIO = 0,
  IV_CS_STREAM_TYPE_VIDEO = 1,
  IV_CS_STREAM_TYPE_BUTT
} iv_cs_stream_type_e;

typedef enum iv_cs_service_chn_e {
  IV_CS_CHANNEL_FULL_TIME = 0,
  IV_CS_CHANNEL_EVENT_VIDEO = 1,
  IV_CS_CHANNEL_EVENT_PIC = 2,
  IV_CS_CHANNEL_MAX,
  IV_CS_CHANNEL_ERR = 0XFF,
} iv_cs_service_chn_e;

typedef enum iv_cs_running_status_e {
  IV_CS_EVENT_CREATING = 0,
  IV_CS_EVENT_UPLOADING = 1,
  IV_CS_FULL_TIME_UPLOADING = 2,
  IV_CS_EVENT_DEAL_INIT = 3,
} iv_cs_running_status_e;

typedef void (*iv_cs_capture_picture_fn) (uint8_t
    pic_name[IV_SYS_FILE_PATH_MAX_LEN], uint32_t pic_name_max_len);
typedef void (*iv_cs_picture_result_fn) (uint8_t
    pic_name[IV_SYS_FILE_PATH_MAX_LEN],
    iv_cs_event_pic_upload_res_e result_code);

typedef struct iv_cs_init_parm_s {
  /* Bytes of 4 s of audio and video: at most 3 segments are cached, the
   * oldest dropped when they would exceed 3 times this; the video queue
   * holds a half of it, the audio queue a tenth. */
  uint32_t u32MaxSizeInAGop;
  /* Per trigger bit, lower = higher priority, -1 = none. */
  int32_t event_trigger_priority[IV_CS_EVENT_MAX_TRIGGER];
  int32_t event_list_max_depth; /* triggers waiting; 0 = no limit */
  int32_t event_record_min_time_s;      /* >= 4, <= event_interval_time_s */
  int32_t event_interval_time_s;        /* >= 4 */

  /* Called on the module's own thread, never with a lock held. */
  int32_t (*iv_cs_push_stream_start_cb) (void);
  int32_t (*iv_cs_push_stream_stop_cb) (void);
  /* utc_expire 0: the AI service is no longer active. */
  void (*iv_cs_ai_service_notify_cb) (uint32_t ai_server_type,
      uint64_t utc_expire);

  /* Write a picture's path into pic_name (or leave it empty for none). */
  union {
    iv_cs_capture_picture_fn iv_cs_event_capture_picture_cb;
    iv_cs_capture_picture_fn iv_cs_event_capture_picture;
  };
  /* Exactly once per picture; the file may be removed then. */
  union {
    iv_cs_picture_result_fn iv_cs_event_upload_picture_result_cb;
    iv_cs_picture_result_fn iv_cs_event_upload_picture_result;
  };
} iv_cs_init_parm_s;

/* Reads the configuration, builds the pipeline, reads <device>/service.json
 * and calls iv_cs_push_stream_start_cb when a recording channel is active. */
int iv_cs_init (iv_cs_init_parm_s * pstInitParm);

/* force_exit 0: finishes the pending uploads (at most the drain timeout),
 * then frees everything.  force_exit 1 from another thread makes a running
 * exit return at once (both return IV_ERR_CS_EXITING); with no exit running
 * it exits dropping what is pending.  iv_cs_init may follow again. */
int iv_cs_exit (unsigned int force_exit);
#define iv_cs_exit(...) (iv_cs_exit) (__VA_ARGS__ + 0)

/* Copies one frame (the caller may reuse its buffers) and returns at once.
 *
 * Video (IV_CS_STREAM_TYPE_VIDEO): @pstCsStream is an iv_cm_venc_stream_s
 * of 1 to 8 packs (see iv_cm.h), H.264 or H.265 as @eCmVencType says (the
 * first frame's codec stays).  Audio (IV_CS_STREAM_TYPE_AUDIO): an
 * iv_cm_aenc_stream_s of ADTS AAC (@eCmVencType is not looked at).
 * Timestamps are ms: values from 2001 on are UTC, smaller ones a monotonic
 * clock mapped to UTC at the first frame; audio and video on one clock.
 *
 * Returns IV_ERR_NONE when the frame was taken, else the frame is dropped:
 * - IV_ERR_INVALID_PARAM: a NULL frame or pack, a pack count not 1 to 8, a
 *   pack without bytes, eFrameType neither I nor P, video that does not
 *   start with a start code, or a timestamp before the previous frame of
 *   its stream (or before the first frame's);
 * - IV_ERR_CS_STREAM_TYPE: MJPG or an unknown codec, another codec than
 *   the first frame's, audio that is not ADTS AAC, audio when the module
 *   is configured without audio;
 * - IV_ERR_CS_FRAME_TOO_LARGE: the frame's packs hold more than its
 *   stream's queue ever can (u32MaxSizeInAGop / 2 for video, / 10 for
 *   audio); never truncated;
 * - IV_ERR_CS_QUEUE_FULL: the queue is full now (the pipeline is behind);
 * - IV_ERR_CS_TIMESTAMP: the timestamp jumps more than an hour ahead of
 *   where its stream's clock should be (its last frame's time plus the time
 *   since), or lies beyond the year 2500; the frame does not become the
 *   reference for the next ones;
 * - IV_ERR_CS_PIPELINE: the parser of the first frame's codec is missing;
 * - IV_ERR_CS_SERVICE_NOT_RUN, IV_ERR_NOT_INIT, IV_ERR_CS_EXITING.
 * Each refusal (but before init) is also said on stderr, once per reason,
 * then as a count at most every 10 s and in a line at iv_cs_exit; the
 * counts are there for the asking: iv_cs_get_push_stats(). */
#ifdef IV_CM_AENC_PACK_STREAM
#define iv_cs_push_stream iv_cs_push_stream_aenc_packs
#endif
int iv_cs_push_stream (iv_cs_stream_type_e eCsStreamType,
    iv_cm_venc_type_e eCmVencType, void *pstCsStream);
/* iv_cs_push_stream for firmware built with IV_CM_AENC_PACK_STREAM (audio
 * in packs); the header maps the name, firmware never calls it by it. */
int iv_cs_push_stream_aenc_packs (iv_cs_stream_type_e eCsStreamType,
    iv_cm_venc_type_e eCmVencType, void *pstCsStream);

/* Frames of one stream since iv_cs_init (not part of the reference API). */
typedef struct iv_cs_push_stats_s {
  uint64_t u64Pushed;           /* taken */
  uint64_t u64Refused;          /* dropped, whatever the reason */
  uint64_t u64QueueFull;        /* of those, for IV_ERR_CS_QUEUE_FULL */
} iv_cs_push_stats_s;

/* Fills @pstStats for @eCsStreamType; IV_ERR_NOT_INIT before iv_cs_init. */
int iv_cs_get_push_stats (iv_cs_stream_type_e eCsStreamType,
    iv_cs_push_stats_s * pstStats);

/* One trigger (exactly one bit of iv_cs_event_trigger_type_e) at
 * iv_cs_event_time_ms (UTC ms; 0 = now). */
int iv_cs_event_happen_notify (uint32_t iv_cs_event_trigger_type,
    uint64_t iv_cs_event_time_ms);

#ifdef __cplusplus
}
#endif

#endif /* IV_CS_H */
