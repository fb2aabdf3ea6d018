/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cs-s3-xml.h"
#include "cs-s3-lifecycle.h"
#include "cs-store-private.h"

#include <string.h>

/* Collects the text of elements by their path of names, e.g.
 * "ListBucketResult/Contents/Key". */
typedef struct {
  GPtrArray *stack;             /* element names */
  GString *text;
  void (*on_end) (gpointer data, const gchar * path, const gchar * text);
  gpointer data;
} XmlWalk;

static void
walk_start (GMarkupParseContext * ctx, const gchar * name,
    const gchar ** attr_names, const gchar ** attr_values, gpointer user_data,
    GError ** error)
{
  XmlWalk *w = user_data;
  g_ptr_array_add (w->stack, g_strdup (name));
  g_string_truncate (w->text, 0);
}

static void
walk_end (GMarkupParseContext * ctx, const gchar * name, gpointer user_data,
    GError ** error)
{
  XmlWalk *w = user_data;
  GString *path = g_string_new (NULL);

  for (guint i = 0; i < w->stack->len; i++) {
    if (i > 0)
      g_string_append_c (path, '/');
    g_string_append (path, g_ptr_array_index (w->stack, i));
  }
  w->on_end (w->data, path->str, w->text->str);
  g_string_free (path, TRUE);
  g_ptr_array_remove_index (w->stack, w->stack->len - 1);
  g_string_truncate (w->text, 0);
}

static void
walk_text (GMarkupParseContext * ctx, const gchar * text, gsize len,
    gpointer user_data, GError ** error)
{
  XmlWalk *w = user_data;
  g_string_append_len (w->text, text, len);
}

static gboolean
xml_walk (const gchar * xml, gsize len, void (*on_end) (gpointer,
        const gchar *, const gchar *), gpointer data, GError ** error)
{
  static const GMarkupParser parser = { walk_start, walk_end, walk_text };
  XmlWalk w = { g_ptr_array_new_with_free_func (g_free), g_string_new (NULL),
    on_end, data
  };
  GMarkupParseContext *ctx;
  gboolean ok;

  /* GMarkup does not take the XML declaration; skip it. */
  if (len >= 5 && strncmp (xml, "<?xml", 5) == 0) {
    const gchar *end = g_strstr_len (xml, len, "?>");
    if (end == NULL) {
      g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE,
          "unterminated XML declaration");
      ok = FALSE;
      goto out;
    }
    len -= end + 2 - xml;
    xml = end + 2;
  }
  ctx = g_markup_parse_context_new (&parser, 0, &w, NULL);
  ok = g_markup_parse_context_parse (ctx, xml, len, error)
      && g_markup_parse_context_end_parse (ctx, error);
  g_markup_parse_context_free (ctx);
out:
  g_ptr_array_unref (w.stack);
  g_string_free (w.text, TRUE);
  return ok;
}

static void
replace_str (gchar ** dst, const gchar * src)
{
  g_free (*dst);
  *dst = g_strdup (src);
}

typedef struct {
  gchar *code, *message;
} ErrorDoc;

static void
on_error_end (gpointer data, const gchar * path, const gchar * text)
{
  ErrorDoc *doc = data;

  if (g_str_equal (path, "Error/Code"))
    replace_str (&doc->code, text);
  else if (g_str_equal (path, "Error/Message"))
    replace_str (&doc->message, text);
}

void
cs_s3_xml_parse_error (const gchar * xml, gsize len, gchar ** code,
    gchar ** message)
{
  ErrorDoc doc = { NULL, NULL };

  xml_walk (xml, len, on_error_end, &doc, NULL);
  *code = doc.code;
  *message = doc.message;
}

typedef struct {
  GPtrArray *objects;
  gsize strip_len;
  gchar *key;
  guint64 size;
  gboolean truncated;
  gchar *next_token;
} ListDoc;

static void
on_list_end (gpointer data, const gchar * path, const gchar * text)
{
  ListDoc *doc = data;

  if (g_str_equal (path, "ListBucketResult/Contents/Key")) {
    replace_str (&doc->key, text);
  } else if (g_str_equal (path, "ListBucketResult/Contents/Size")) {
    doc->size = g_ascii_strtoull (text, NULL, 10);
  } else if (g_str_equal (path, "ListBucketResult/Contents")) {
    if (doc->key && strlen (doc->key) > doc->strip_len) {
      CsStoreObject *obj = g_new0 (CsStoreObject, 1);
      obj->key = g_strdup (doc->key + doc->strip_len);
      obj->size = doc->size;
      g_ptr_array_add (doc->objects, obj);
    }
    g_clear_pointer (&doc->key, g_free);
    doc->size = 0;
  } else if (g_str_equal (path, "ListBucketResult/CommonPrefixes/Prefix")) {
    if (strlen (text) > doc->strip_len) {
      CsStoreObject *obj = g_new0 (CsStoreObject, 1);
      obj->key = g_strdup (text + doc->strip_len);
      g_ptr_array_add (doc->objects, obj);
    }
  } else if (g_str_equal (path, "ListBucketResult/IsTruncated")) {
    doc->truncated = g_str_equal (text, "true");
  } else if (g_str_equal (path, "ListBucketResult/NextContinuationToken")) {
    replace_str (&doc->next_token, text);
  }
}

gboolean
cs_s3_xml_parse_list (const gchar * xml, gsize len, gsize strip_len,
    GPtrArray * objects, gchar ** next_token, GError ** error)
{
  ListDoc doc = { objects, strip_len, NULL, 0, FALSE, NULL };
  gboolean ok = xml_walk (xml, len, on_list_end, &doc, error);

  g_free (doc.key);
  if (ok && doc.truncated && (doc.next_token == NULL || !*doc.next_token)) {
    g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
        "truncated listing without a continuation token");
    ok = FALSE;
  }
  if (!ok || !doc.truncated)
    g_clear_pointer (&doc.next_token, g_free);
  *next_token = doc.next_token;
  return ok;
}

static void
on_rule_end (gpointer data, const gchar * path, const gchar * text)
{
  CsLifecycleRule *rule = data;

  if (g_str_equal (path, "Rule/ID"))
    replace_str (&rule->id, text);
  /* The prefix is in a Filter, or (the older form) in the Rule itself. */
  else if (g_str_equal (path, "Rule/Filter/Prefix")
      || g_str_equal (path, "Rule/Prefix"))
    replace_str (&rule->prefix, text);
  else if (g_str_equal (path, "Rule/Status"))
    rule->enabled = g_str_equal (text, "Enabled");
  else if (g_str_equal (path, "Rule/Expiration/Days"))
    rule->days = (gint) MIN (g_ascii_strtoull (text, NULL, 10), G_MAXINT);
}

gboolean
cs_s3_xml_parse_lifecycle (const gchar * xml, gsize len, GPtrArray * rules,
    GError ** error)
{
  const gchar *end = xml + len, *at = xml;

  /* Each <Rule> apart, and kept as written: rules of others are put back
   * exactly, whatever they hold that csctl does not know. */
  while ((at = g_strstr_len (at, end - at, "<Rule>")) != NULL) {
    const gchar *stop = g_strstr_len (at, end - at, "</Rule>");
    CsLifecycleRule *rule;

    if (stop == NULL) {
      g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE,
          "a lifecycle <Rule> does not end");
      return FALSE;
    }
    stop += strlen ("</Rule>");
    rule = g_new0 (CsLifecycleRule, 1);
    rule->xml = g_strndup (at, stop - at);
    g_ptr_array_add (rules, rule);
    if (!xml_walk (rule->xml, stop - at, on_rule_end, rule, error))
      return FALSE;
    at = stop;
  }
  return TRUE;
}
