/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the encryption tests share: key files, and the checks that bytes
 * are ciphertext. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Two keys: id 7 writes, id 3 (an older one) reads. */
#define CS_TEST_KEY_7 "000102030405060708090a0b0c0d0e0f"
#define CS_TEST_KEY_3 "f0e1d2c3b4a5968778695a4b3c2d1e0f"
#define CS_TEST_KEY_FILE_TEXT \
  "# test keys\n7 " CS_TEST_KEY_7 "\n3 " CS_TEST_KEY_3 "\n"

/* Writes @text to @dir/@name with @mode; the path (freed by the caller). */
gchar *cs_test_write_key_file (const gchar * dir, const gchar * name,
    const gchar * text, guint mode);
/* Writes the 16 raw bytes of @hex to @path (as an HLS key URI serves). */
void cs_test_write_raw_key (const gchar * path, const gchar * hex);

/* Video frames ffprobe decodes through an HLS playlist whose keys are
 * local files (ffmpeg opens local files of media extensions only, unless
 * -allowed_extensions ALL), or -1 when it fails. */
gint cs_test_ffprobe_hls_frames (const gchar * playlist);

/* The recordings of the encryption tests, into the file store at
 * @store_uri with @key_file, segments in @container ("mpegts" or "fmp4";
 * 1 s each) from @t0_ms: cam1 2 s full-time (60 frames of 160x120), cam2
 * an event (trigger at 1 s, 1 s of pre-roll, 4 s after it). */
void cs_test_record_encrypted (const gchar * store_uri,
    const gchar * key_file, const gchar * container, gint64 t0_ms);

/* The store of an encryption test: a temporary directory @dir with the
 * key file "keys" (CS_TEST_KEY_FILE_TEXT, mode 600) and the file store
 * "store" holding cs_test_record_encrypted ()'s recordings. */
typedef struct {
  gchar *dir, *store_dir, *store_uri, *key_file;
} CsTestCryptStore;

void cs_test_crypt_store_init (CsTestCryptStore * st, const gchar * container,
    gint64 t0_ms);
/* Removes it all. */
void cs_test_crypt_store_clear (CsTestCryptStore * st);

/* Shannon entropy of @data's bytes, in bits per byte (8: random). */
gdouble cs_test_entropy (GBytes * data);
/* Fails the test unless @data (named @what) looks like ciphertext: no
 * MPEG-TS sync byte every 188 bytes, no JSON or playlist text at its
 * start, no JPEG or MP4 marker (nor an MP4 box header of a fixed size
 * anywhere: mvhd, mfhd, tfdt), and (from 4 KiB) entropy over 7.5. */
void cs_test_assert_ciphertext (GBytes * data, const gchar * what);
/* cs_test_assert_ciphertext () on every file under @dir (no symbolic link
 * followed); their names added to @names. */
void cs_test_assert_tree_ciphertext (const gchar * dir, GPtrArray * names);

G_END_DECLS
