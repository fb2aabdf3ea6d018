/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cuts the continuous output of one muxer into segments, each starting on a
 * keyframe with the container's headers (playable alone), each closed the
 * moment its end is known.
 *
 * Input side (the video leg, in stream order, just before the muxer): each
 * video frame is shown to cs_cutter_video_frame() before it enters the
 * muxer.  Before the keyframe that starts a segment, the cutter sends the
 * muxer a downstream force-key-unit event: a muxer that knows it (mpegtsmux,
 * csfmp4mux) writes its headers again in front of that keyframe and passes
 * the event on at that very place in its output.  cs_cutter_close() ends the segment
 * after the frames the muxer has (a gate close, an idle camera) with a
 * serialized marker event that the muxer passes on after them.  A muxer may
 * replace the segment's first bytes before its end (a rewrite event).
 *
 * Output side (the muxer's streaming thread): a pad of the cutter's own takes
 * the muxer's output; at each of those events (and at EOS) the segment being
 * written is handed over whole.  Nothing is held back for a following GOP:
 * a segment is closed as soon as the muxer has written its last frame.
 *
 * Thread-safe: one lock, never held while calling out or pushing. */
#pragma once

#include <gst/gst.h>

#include "cs-page-buffer.h"

G_BEGIN_DECLS

typedef struct _CsCutter CsCutter;

/* A closed segment: @data (the callee's: cs_page_buffer_free_to_bytes()
 * or cs_page_buffer_free()) from @start_rt to @end_rt (running time of the
 * video).  On the muxer's streaming thread, no lock held. */
typedef void (*CsCutterSegmentFunc) (CsPageBuffer * data,
    GstClockTime start_rt, GstClockTime end_rt, gpointer user_data);
/* The muxer's output ended (EOS, @seqnum), after its last segment. */
typedef void (*CsCutterEosFunc) (guint32 seqnum, gpointer user_data);

/* Takes the output of @muxer (its "src" pad); segments of at least
 * @duration, cut at the first keyframe after it, each written in an
 * unlinked file in @dir until it is closed (NULL: in memory; see
 * cs-page-buffer.h). */
CsCutter *cs_cutter_new (GstElement * muxer, GstClockTime duration,
    const gchar * dir, CsCutterSegmentFunc segment_func,
    CsCutterEosFunc eos_func, gpointer user_data);
void cs_cutter_free (CsCutter * cutter);

typedef enum
{
  CS_CUTTER_KEEP,
  CS_CUTTER_DROP,               /* a frame without its keyframe: no segment */
} CsCutterVerdict;

/* Before video frame @buf (running time @rt, valid) enters the muxer through
 * @muxpad; a force-key-unit event may go first.  When a segment starts at
 * @buf, @next_cut_rt is set to where the next one is due (an encoder asked
 * for a keyframe there cuts the segments to the length wanted, and with a
 * closed GOP), otherwise to NONE. */
CsCutterVerdict cs_cutter_video_frame (CsCutter * cutter, GstPad * muxpad,
    GstBuffer * buf, GstClockTime rt, GstClockTime * next_cut_rt);
/* The next keyframe starts a new segment (an event starts, a gate opens). */
void cs_cutter_split (CsCutter * cutter);
/* The segment being fed ends at @end_rt, after what @muxpad had so far;
 * frames up to the next keyframe are dropped.  Holding the stream lock of
 * the video leg.  FALSE when no segment was open. */
gboolean cs_cutter_close (CsCutter * cutter, GstPad * muxpad,
    GstClockTime end_rt);
/* A segment is being fed (a frame was let in since the last close). */
gboolean cs_cutter_is_open (CsCutter * cutter);
/* The end of the latest video frame let in (NONE before the first). */
GstClockTime cs_cutter_video_end (CsCutter * cutter);
/* TRUE for the marker cs_cutter_close() sends (a muxer that writes a
 * segment in fragments, csfmp4mux, ends it there). */
gboolean cs_cutter_event_is_close (GstEvent * event);
/* A muxer's serialized event: the segment being written starts with
 * @headers, not with the bytes of that size written first (csfmp4mux
 * learns at a segment's end its length and whether its init part has an
 * audio track). */
GstEvent *cs_cutter_event_new_rewrite (GBytes * headers);

G_END_DECLS
