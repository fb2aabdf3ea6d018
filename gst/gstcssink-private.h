/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What cssink's files share: the element's instance apart from its settings
 * (which stay in gstcssink.c, under GST_OBJECT_LOCK, read only there), and
 * the entry points of each file.
 *
 * Files and their jobs:
 * - gstcssink.c: properties, pads, state changes, segment closed -> key ->
 *   outbox.
 * - cs-sink-mux.c: each run's muxer and cutter, the legs (parsers) wired to
 *   them.
 * - cs-sink-caps.c: which parser a leg gets, when audio joins the muxer,
 *   what upstream may negotiate.
 * - cs-sink-probes.c: the probes on the legs (frame order, the cutter's view
 *   of video, the gate's announcements, the video's timing).
 * - cs-sink-idle.c: closing the open segment when the video stops.
 * - cs-sink-delivery.c: the outbox opened, its reports told, stats, the
 *   drain at EOS and the end of the stream.
 * - cs-sink-pictures.c: the snapshotter's callbacks (alarm pictures).
 * - cs-sink-state.c: a run begun, ended, and its state reset.
 *
 * The threads and the lock order of all of them are written at the top of
 * gstcssink.c. */
#pragma once

#include <gst/gst.h>
#include "gstcssink.h"
#include "cs-cutter.h"
#include "cs-fmp4.h"
#include "cs-leg-order.h"
#include "cs-outbox.h"
#include "cs-sink-events.h"
#include "cs-snapshot.h"
#include "cs-stored-events.h"
#include "cs-utc.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_cs_sink_debug);

enum
{
  SIGNAL_CAPTURE_SNAPSHOT,
  SIGNAL_SNAPSHOT_RESULT,
  LAST_SIGNAL
};

extern guint gst_cs_sink_signals[LAST_SIGNAL];

/* The counts of a stopped run, for the stats. */
typedef struct
{
  guint64 segments_recorded;
  guint64 frames_dropped;
} CsSinkCounts;

/* The settings a run uses, copied from the properties at start (all are
 * GST_PARAM_MUTABLE_READY): constant for the run, read under self->lock
 * (never GST_OBJECT_LOCK) by the stream side and delivery. */
typedef struct
{
  GstClockTime segment_duration;
  GstClockTime idle_timeout;    /* segment-idle-timeout, its default applied */
  GstClockTime drain_timeout;
  gboolean spooled;             /* a spool-dir: what is left stays on disk */
  gboolean auto_snapshot;
  GstCsSinkContainer container;
} CsSinkRunSettings;

/* What one run learns from its stream (counts included), under
 * self->lock.  Constant for a run once set: events, stored (at start),
 * video_codec and upstream_live (at the video caps); everything else
 * follows the stream. */
typedef struct
{
  CsSinkEvents *events;
  CsStoredEvents *stored;       /* when a finished event is whole */
  CsLegOrder video_order, audio_order;  /* frames going back are dropped */
  gchar *auto_picture_event;    /* wants a picture of the next keyframe */
  gchar *auto_picture_key;
  GstSegment video_segment;
  CsUtcMap utc;
  gboolean video_seen;          /* a video buffer came in */
  gint64 video_arrival_us;      /* monotonic time of the latest */
  gboolean idle_closed;         /* closed for idleness: wait for a keyframe */
  gboolean idle_resume_told;    /* frames without their keyframe dropped */
  gboolean video_eos;
  gboolean eos_posted;          /* cssink said it is done */
  gboolean mux_latency_set;
  guint64 segments_recorded;
  gboolean upstream_live;       /* drop when the cache is full, never wait */
  const gchar *video_codec;     /* caps name the parser was made for */
  gchar *last_upload_error;     /* the latest failed attempt's, for drain */
  GstClockTime idle_gap_rt;     /* the idle check's gap on the audio */
} CsSinkStream;

/* The instance of GstCsSink up to its settings (its first member there, so
 * that a GstCsSink * is a CsSinkCore *). */
typedef struct
{
  GstBin parent;

  GstPad *video_pad;            /* ghost, always */
  GstPad *audio_pad;            /* ghost, requested */
  GstElement *audio_parser;
  GstPad *audio_pad_src;        /* its src pad: which leg a probe is on */
  GstElement *video_parser;     /* made for each run's codec (a parser, or
                                 * an identity for parsed video) */
  /* Each run's muxer and the cutter of its output: made at start, so that
   * a restart (another codec, other streams) begins with a fresh one. */
  GstElement *mux;
  GstPad *mux_video_pad;        /* requested with the muxer: with no sink
                                 * pad, or audio's alone, it would end
                                 * before the video came */
  CsCutter *cutter;

  /* Under self->lock.  One run goes from READY -> PAUSED to PAUSED ->
   * READY; cs_sink_state_reset() at start and at stop leaves run and st as
   * a fresh run's (so that a restart begins like the first run), keeping
   * the last run's counts for the stats. */
  GMutex lock;
  CsSinkRunSettings run;        /* constant for a run */
  CsSinkStream st;              /* what the run learns from its stream */
  gboolean drain_interrupted;   /* not PLAYING: EOS does not wait */
  /* The run's objects: made at start, freed at stop (snapshotter, then
   * outbox, then muxer: each may call into the next). */
  CsOutbox *outbox;             /* everything stored goes through it */
  CsSnapshotter *snapshotter;
  GSource *idle_source;         /* the idle check, on the ticker thread */
  /* Across runs: the last one's, for the stats once stopped. */
  CsOutboxStats stopped_stats;
  CsSinkCounts stopped_counts;
} CsSinkCore;

#define CS_SINK_CORE(obj) ((CsSinkCore *) (obj))

/* What start needs of the settings, copied out of GST_OBJECT_LOCK so that
 * the store and the spool are opened without it. */
typedef struct
{
  gchar *location, *device_id, *endpoint, *region, *access_key, *secret_key,
      *session_token, *tls_ca_file, *spool_dir, *encryption_key_file;
  CsStoreConfig store;
  CsOutboxConfig outbox;
  CsSinkRunSettings run;
} StartSettings;

/* cs-sink-state.c */
void cs_sink_state_reset (CsSinkCore * self);
void cs_sink_state_begin (CsSinkCore * self, const StartSettings * ss,
    CsOutbox * outbox);
void cs_sink_state_end (CsSinkCore * self);

/* cs-sink-mux.c */
gboolean cs_sink_mux_make (CsSinkCore * self, GstClockTime duration,
    CsCutterSegmentFunc segment_closed);
void cs_sink_mux_drop (CsSinkCore * self);
GstPad *cs_sink_mux_add_leg (CsSinkCore * self, GstElement * parser,
    GstPad * muxpad);
GstPad *cs_sink_mux_request_pad (CsSinkCore * self);
void cs_sink_mux_set_latency (CsSinkCore * self, gboolean live);
void cs_sink_mux_announce_audio (CsSinkCore * self, GstElement * mux);
void cs_sink_mux_unlink_audio (CsSinkCore * self);
GstPad *cs_sink_mux_add_audio_leg (CsSinkCore * self, GstPadTemplate * templ);
void cs_sink_mux_remove_audio_leg (CsSinkCore * self);
void cs_sink_remove_child (CsSinkCore * self, GstElement ** element);
GstPad *cs_sink_leg_muxpad (GstElement * parser);

/* cs-sink-caps.c */
GstPadProbeReturn cs_sink_video_caps_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);
GstPadProbeReturn cs_sink_video_query_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);
GstPadProbeReturn cs_sink_audio_in_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);

/* cs-sink-probes.c */
GstPadProbeReturn cs_sink_video_timing_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);
GstPadProbeReturn cs_sink_leg_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data);
GstPadProbeReturn cs_sink_parser_bypass_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer parser);
void cs_sink_audio_gap_at (CsSinkCore * self, GstPad * leg_src,
    GstClockTime rt);

/* cs-sink-idle.c */
gboolean cs_sink_idle_check (gpointer data);

/* cs-sink-delivery.c */
CsOutbox *cs_sink_delivery_open (CsSinkCore * self, StartSettings * ss);
/* Frees the copies (the secret overwritten first). */
void cs_sink_start_settings_clear (StartSettings * ss);
GstStructure *cs_sink_delivery_stats (CsSinkCore * self);
void cs_sink_delivery_put_objects (CsSinkCore * self, GPtrArray * uploads);
void cs_sink_delivery_end (CsSinkCore * self, guint32 seqnum);
void cs_sink_delivery_interrupt_drain (CsSinkCore * self,
    gboolean interrupt);

/* cs-sink-pictures.c */
CsSnapshotter *cs_sink_pictures_new (CsSinkCore * self);

G_END_DECLS
