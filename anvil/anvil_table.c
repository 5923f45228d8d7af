/*
 * anvil_table - per-client counters with a bound (anvil_table.h).
 */
#include "config.h"

#include <string.h>

#include "anvil_table.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"

typedef struct ANVIL_ENTRY {
    int count;                  /* connections open now */
    int rate[ANVIL_EV_RATES];   /* events in the current window */
    time_t start;               /* the window's start */
} ANVIL_ENTRY;

typedef struct ANVIL_PEAK {
    int value;
    char ident[320];
    time_t when;
} ANVIL_PEAK;

/* Peaks: one per rate kind, then the connection count, then the table size. */
#define ANVIL_PEAK_COUNT ANVIL_EV_RATES
#define ANVIL_PEAK_SIZE  (ANVIL_EV_RATES + 1)

struct ANVIL_TABLE {
    HTABLE *entries;
    size_t max;
    long unit;
    time_t next_sweep;
    ANVIL_PEAK peak[ANVIL_EV_RATES + 2];
};

ANVIL_TABLE *anvil_table_create(size_t max_entries, long unit)
{
    ANVIL_TABLE *t = mem_calloc(1, sizeof(*t));

    t->entries = htable_new(64);
    t->max = max_entries > 0 ? max_entries : 1;
    t->unit = unit > 0 ? unit : 1;
    return t;
}

void anvil_table_free(ANVIL_TABLE *t)
{
    if (t == NULL)
        return;
    htable_free(t->entries, mem_free);
    mem_free(t);
}

size_t anvil_table_size(const ANVIL_TABLE *t)
{
    return t->entries->used;
}

static int anvil_entry_idle(const ANVIL_TABLE *t, const ANVIL_ENTRY *e, time_t now)
{
    return e->count == 0 && now - e->start >= t->unit;
}

/* Remove every entry for which drop() says yes; keys are gathered first. */
static size_t anvil_table_drop(ANVIL_TABLE *t, time_t now, const char *only)
{
    char **keys = mem_calloc(t->entries->used + 1, sizeof(char *));
    size_t i, n = 0;
    HTABLE_ENT *h;

    for (i = 0; i < t->entries->size; i++)
        for (h = t->entries->slots[i]; h; h = h->next)
            if (only ? strcmp(h->key, only) == 0 : anvil_entry_idle(t, h->value, now))
                keys[n++] = mem_strdup(h->key);
    for (i = 0; i < n; i++) {
        mem_free(htable_remove(t->entries, keys[i]));
        mem_free(keys[i]);
    }
    mem_free(keys);
    return n;
}

void anvil_table_expire(ANVIL_TABLE *t, time_t now)
{
    anvil_table_drop(t, now, NULL);
    t->next_sweep = now + (t->unit > 1 ? t->unit / 2 : 1);
}

/* Make room for one more entry: 0, or -1 when every entry is connected. */
static int anvil_table_room(ANVIL_TABLE *t, time_t now)
{
    const char *victim = NULL;
    time_t oldest = 0;
    HTABLE_ENT *h;
    size_t i;

    if (t->entries->used < t->max)
        return 0;
    anvil_table_expire(t, now);
    if (t->entries->used < t->max)
        return 0;
    for (i = 0; i < t->entries->size; i++)
        for (h = t->entries->slots[i]; h; h = h->next) {
            const ANVIL_ENTRY *e = h->value;

            if (e->count == 0 && (victim == NULL || e->start < oldest)) {
                victim = h->key;
                oldest = e->start;
            }
        }
    if (victim == NULL)
        return -1;
    anvil_table_drop(t, now, victim);
    return 0;
}

static void anvil_peak(ANVIL_PEAK *p, int value, const char *ident, time_t now)
{
    if (value <= p->value)
        return;
    p->value = value;
    p->when = now;
    if (ident) {
        strncpy(p->ident, ident, sizeof(p->ident) - 1);
        p->ident[sizeof(p->ident) - 1] = 0;
    }
}

int anvil_table_event(ANVIL_TABLE *t, int kind, const char *ident, time_t now,
                      int *count, int *rate)
{
    ANVIL_ENTRY *e;
    int k;

    if (kind < 0 || kind > ANVIL_EV_NEWTLS_STATUS)
        msg_panic("anvil_table_event: bad event kind %d", kind);
    *count = *rate = 0;
    if (now >= t->next_sweep)
        anvil_table_expire(t, now);
    if ((e = htable_get(t->entries, ident)) == NULL) {
        if (kind == ANVIL_EV_LOOKUP || kind == ANVIL_EV_DISCONNECT
            || kind == ANVIL_EV_NEWTLS_STATUS)
            return 0;
        if (anvil_table_room(t, now) < 0)
            return -1;
        e = mem_calloc(1, sizeof(*e));
        e->start = now;
        htable_put(t->entries, ident, e);
        anvil_peak(&t->peak[ANVIL_PEAK_SIZE], (int) t->entries->used, NULL, now);
    } else if (now - e->start >= t->unit) {
        memset(e->rate, 0, sizeof(e->rate));
        e->start = now;
    }
    switch (kind) {
    case ANVIL_EV_DISCONNECT:
        if (e->count > 0)
            e->count--;
        k = ANVIL_EV_CONNECT;
        break;
    case ANVIL_EV_LOOKUP:
        k = ANVIL_EV_CONNECT;
        break;
    case ANVIL_EV_NEWTLS_STATUS:
        k = ANVIL_EV_NEWTLS;
        break;
    case ANVIL_EV_CONNECT:
        e->count++;
        anvil_peak(&t->peak[ANVIL_PEAK_COUNT], e->count, ident, now);
        /* FALLTHROUGH */
    default:
        k = kind;
        if (e->rate[k] < 0x7fffffff)
            e->rate[k]++;
        anvil_peak(&t->peak[k], e->rate[k], ident, now);
        break;
    }
    *count = e->count;
    *rate = e->rate[k];
    return 0;
}

void anvil_table_stats(ANVIL_TABLE *t, void (*emit)(void *ctx, const char *text), void *ctx)
{
    static const char *const what[ANVIL_EV_RATES] = {
        "connection rate", "message rate", "recipient rate", "auth rate", "newtls rate",
    };
    VSTR *line = vstr_new(128);
    char when[32];
    struct tm tm;
    /* Postfix's order of the lines */
    static const int order[] = {
        ANVIL_EV_CONNECT, ANVIL_PEAK_COUNT, ANVIL_EV_MESSAGE, ANVIL_EV_RECIPIENT,
        ANVIL_EV_NEWTLS, ANVIL_EV_AUTH, ANVIL_PEAK_SIZE,
    };
    size_t i;
    int k;

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const ANVIL_PEAK *p = &t->peak[k = order[i]];

        if (p->value <= 0)
            continue;
        localtime_r(&p->when, &tm);
        strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
        if (k < ANVIL_EV_RATES)
            vstr_sprintf(line, "statistics: max %s %d/%lds for (%s) at %s",
                         what[k], p->value, t->unit, p->ident, when);
        else if (k == ANVIL_PEAK_COUNT)
            vstr_sprintf(line, "statistics: max connection count %d for (%s) at %s",
                         p->value, p->ident, when);
        else
            vstr_sprintf(line, "statistics: max cache size %d at %s", p->value, when);
        emit(ctx, vstr_str(line));
    }
    memset(t->peak, 0, sizeof(t->peak));
    vstr_free(line);
}
