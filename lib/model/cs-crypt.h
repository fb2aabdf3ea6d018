/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How encrypted objects are stored (GnuTLS, AES-128 keys of a CsKeyring).
 *
 * Segments, in the HLS standard form (RFC 8216 METHOD=AES-128) so that any
 * HLS player with the key plays them: AES-128-CBC over the whole segment
 * with PKCS#7 padding, with the key named in the segment's name
 * (<start_ms>_<dur_ms>_k<ID>.<ext>, see cs-key.h) and the IV derived from
 * the name: the 16 bytes of start_ms then dur_ms, each a big-endian 64-bit
 * integer (a playlist states it: IV=0x<32 hex>).
 *
 * A fragmented MP4 segment (.mp4) is two such chains, so that a player
 * decrypts its init part (#EXT-X-MAP BYTERANGE) and its media part
 * (#EXT-X-BYTERANGE) each on its own, as RFC 8216 has it for byte ranges:
 *
 *   offset  size             what
 *   0       4112             the init part (4096 bytes) + a padding block,
 *                            with the segment's IV
 *   4112    m - m % 16 + 16  the media part (m bytes: moof/mdat), padded,
 *                            with the media IV: the segment's IV with the
 *                            top bit of its duration's 8 bytes set
 *
 * The last block of the init part, in its free box, is chosen so that the
 * init part's padding block encrypts to the media IV: the whole object is
 * then also one chain with the segment's IV (over init part, a block of
 * sixteen 0x10 bytes, media part), for readers that take the block before
 * a byte range as its IV (ffmpeg's crypto protocol on a local file,
 * GStreamer's hlsdemux).
 *
 * Every other object (event.json, index.m3u8, snapshot.jpg) in an envelope:
 *
 *   offset  size  field
 *   0       4     magic 0x89 'C' 'S' 'E'
 *   4       1     version (1)
 *   5       4     key id, big-endian
 *   9       12    nonce (random)
 *   21      n     AES-128-GCM ciphertext of the object's n bytes
 *   21+n    16    GCM tag
 *
 * with bytes 0..20 as the additional authenticated data, and as the GCM key
 * the first 16 bytes of HMAC-SHA256 (key, "gst-cloudstorage envelope v1"),
 * so that the segment key and the envelope key are never the same. */
#pragma once

#include "cs-key.h"
#include "cs-keyring.h"

G_BEGIN_DECLS

#define CS_CRYPT_IV_LEN 16
#define CS_CRYPT_ENVELOPE_VERSION 1

/* The IV of the segment named <@start_ms>_<@duration_ms>_k<ID>. */
void cs_crypt_segment_iv (gint64 start_ms, gint64 duration_ms,
    guint8 iv[CS_CRYPT_IV_LEN]);
/* "0x" and 32 hex digits, as #EXT-X-KEY's IV attribute. */
gchar *cs_crypt_segment_iv_hex (gint64 start_ms, gint64 duration_ms);
/* The IV of the media part of an encrypted fMP4 segment, and as hex. */
void cs_crypt_media_iv (gint64 start_ms, gint64 duration_ms,
    guint8 iv[CS_CRYPT_IV_LEN]);
gchar *cs_crypt_media_iv_hex (gint64 start_ms, gint64 duration_ms);

/* The init part of an encrypted fMP4 segment as stored: its 4096 bytes and
 * a padding block. */
#define CS_CRYPT_FMP4_INIT_SIZE (CS_KEY_FMP4_INIT_SIZE + 16)

/* The size segment @key of @plain_size bytes has in the store (encrypted
 * when its name names a key). */
guint64 cs_crypt_stored_size (const gchar * key, guint64 plain_size);

/* @plain encrypted for the segment @key (whose name names the key). */
GBytes *cs_crypt_segment_encrypt (CsKeyring * keyring, const gchar * key,
    GBytes * plain, GError ** error);
GBytes *cs_crypt_segment_decrypt (CsKeyring * keyring, const gchar * key,
    GBytes * cipher, GError ** error);

/* @plain in an envelope, with the writing key. */
GBytes *cs_crypt_seal (CsKeyring * keyring, GBytes * plain, GError ** error);
/* What an envelope holds; a wrong key or damaged bytes fail. */
GBytes *cs_crypt_open (CsKeyring * keyring, GBytes * sealed, GError ** error);
/* @data begins like an envelope. */
gboolean cs_crypt_is_sealed (GBytes * data);

/* The MIME type to store @data (of object @key) with: an envelope is
 * application/octet-stream, anything else as its key says (an encrypted
 * segment keeps its media type, as HLS has it). */
const gchar *cs_crypt_content_type (const gchar * key, GBytes * data);

/* The object @key as it was before it was stored: a segment whose name
 * names a key decrypted, an envelope opened, anything else as it is.
 * @keyring may be NULL (then an encrypted object is a
 * CS_CRYPT_ERROR_NO_KEY). */
GBytes *cs_crypt_read (CsKeyring * keyring, const gchar * key, GBytes * data,
    GError ** error);

G_END_DECLS
