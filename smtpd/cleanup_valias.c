/*
 * cleanup_valias - virtual alias expansion (see cleanup_valias.h).
 */
#include "config.h"

#include <string.h>

#include "addr.h"
#include "cleanup_rewrite.h"
#include "cleanup_valias.h"
#include "mem.h"

typedef struct VALIAS_CTX {
    const CLEANUP_CONF *conf;
    ARGV *out;
    HTABLE *finals;     /* addresses already in out */
    HTABLE *path;       /* addresses being expanded (loop detection) */
    VSTR *why;
} VALIAS_CTX;

static void valias_final(VALIAS_CTX *ctx, const char *addr)
{
    if (htable_has(ctx->finals, addr))
        return;
    htable_put(ctx->finals, addr, NULL);
    argv_add(ctx->out, addr);
}

static int valias_expand(VALIAS_CTX *ctx, const char *addr, long depth)
{
    const CLEANUP_CONF *conf = ctx->conf;
    VSTR *value;
    VSTR *item;
    ADDR_LIST *list;
    size_t i;
    int r;

    if (strlen(addr) > conf->valias_addr_len) {
        vstr_sprintf(ctx->why, "unreasonable virtual_alias_maps result length for %.100s...",
                     addr);
        return -2;
    }
    if (htable_has(ctx->path, addr)) {
        valias_final(ctx, addr);
        return 0;
    }
    if (depth > conf->valias_recursion) {
        vstr_sprintf(ctx->why, "unreasonable virtual_alias_maps map nesting for %s", addr);
        return -2;
    }
    value = vstr_new(0);
    r = cleanup_addr_lookup(conf, conf->virtual_alias, addr, value);
    if (r < 0) {
        vstr_sprintf(ctx->why, "virtual_alias_maps lookup error for %s", addr);
        vstr_free(value);
        return -1;
    }
    if (r == 0) {
        vstr_free(value);
        valias_final(ctx, addr);
        return 0;
    }
    list = addr_list_parse(vstr_str(value), ctx->why);
    vstr_free(value);
    if (list == NULL) {
        vstr_sprintf(ctx->why, "virtual_alias_maps: malformed result for %s", addr);
        return -1;
    }
    htable_put(ctx->path, addr, NULL);
    item = vstr_new(0);
    r = 0;
    for (i = 0; i < list->count && r == 0; i++) {
        if (*list->items[i].addr == 0)
            continue;
        vstr_set(item, list->items[i].addr);
        cleanup_rewrite_context(conf, 1, item);
        if (strcmp(vstr_str(item), addr) == 0)
            valias_final(ctx, addr);
        else
            r = valias_expand(ctx, vstr_str(item), depth + 1);
        if (r == 0 && (long) ctx->out->argc > conf->valias_expansion) {
            vstr_sprintf(ctx->why, "unreasonable virtual_alias_maps map expansion size for %s",
                         addr);
            r = -2;
        }
    }
    htable_remove(ctx->path, addr);
    vstr_free(item);
    addr_list_free(list);
    return r;
}

int cleanup_valias_expand(const CLEANUP_CONF *conf, const char *addr, ARGV *out, VSTR *why)
{
    VALIAS_CTX ctx;
    int r;

    if (cleanup_maps_empty(conf->virtual_alias)) {
        argv_add(out, addr);
        return 0;
    }
    ctx.conf = conf;
    ctx.out = out;
    ctx.finals = htable_new(16);
    ctx.path = htable_new(16);
    ctx.why = why;
    vstr_reset(why);
    r = valias_expand(&ctx, addr, 0);
    htable_free(ctx.finals, NULL);
    htable_free(ctx.path, NULL);
    return r;
}
