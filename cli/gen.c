/*
 * gen.c - `eddy gen SCENARIO`: realistic synthetic JSON records for the
 * example scenarios (road accidents, weather reports, ATM withdrawals,
 * road-safety sensor readings), produced to a Kafka topic.
 *
 * Deterministic: the same --seed, --count and --start-time give the same
 * keys, values and record timestamps, byte for byte (own PRNG, no libm,
 * fixed-precision number formatting, UTC times).  Record timestamps start
 * at --start-time and move forward by a small random step per record.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: eddy gen accidents|weather|atm|readings --topic T --count N --bootstrap-servers B\n"
    "                [--rate R] [--seed S] [--start-id N] [--start-time MS] [-p key=value]... [--labels]\n"
    "  accidents  US road accidents (key ID), fields as in the US Accidents data set\n"
    "  weather    weather reports for the same cities (key City)\n"
    "  atm        ATM withdrawals (key card id); about 1% of cards show the fraud\n"
    "             pattern: a second withdrawal within 10 minutes, more than 1 km away\n"
    "  readings   road-safety sensor readings (key SENSOR_ID): speed, limit, weather;\n"
    "             incidents are likelier with speeding, low visibility, frost, wind\n"
    "  --bootstrap-servers B  the Kafka cluster, e.g. the address `eddy broker` prints\n"
    "                         (required: an embedded broker would vanish with gen)\n"
    "  --labels               readings: add INCIDENT (0 or 1) to each record\n"
    "  --rate R               records per second (default: as fast as possible)\n"
    "  --seed S               PRNG seed (default 1); the same seed gives the same records\n"
    "  --start-id N           number of the first record's id (default 1): accidents are\n"
    "                         A-N, A-N+1, ..., ATM transactions txn-N, readings R-N, ...; give the next\n"
    "                         free number to add records rather than replace keys\n"
    "  --start-time MS        first record timestamp, ms since the epoch\n"
    "                         (default 1672531200000 = 2023-01-01T00:00:00Z)\n"
    "  -p key=value           librdkafka producer property (repeatable; -X is an alias)\n"
    "  After producing, gen checks the topic's watermarks and warns if the broker has\n"
    "  already dropped some of the records (the development broker keeps ~5 MB per\n"
    "  partition).\n";

#define DEFAULT_START_MS 1672531200000LL

/* ---- PRNG: splitmix64 ------------------------------------------------ */

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(Rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [lo, hi]. */
static int64_t rng_range(Rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static double rng_between(Rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_unit(r);
}

/* Roughly normal, mean 0, sd 1 (Irwin-Hall: no libm, so the same everywhere). */
static double rng_gauss(Rng *r)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += rng_unit(r);
    return s - 6.0;
}

/* Index drawn with the given integer weights. */
static int rng_pick(Rng *r, const int *weights, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    int x = (int)rng_range(r, 0, total - 1);
    for (int i = 0; i < n; i++)
        if ((x -= weights[i]) < 0)
            return i;
    return n - 1;
}

/* ---- reference data ------------------------------------------------- */

typedef struct City {
    const char *name, *county, *state;
    int zip_lo, zip_n;         /* a run of real ZIP codes in the city */
    double lat, lng;
    const char *road;          /* a main highway through it */
    int mean_f;                /* January-ish mean temperature, F */
    int weight;                /* share of accidents (the data set is skewed) */
} City;

static const City cities[] = {
    {"Houston", "Harris", "TX", 77002, 40, 29.7604, -95.3698, "I-45", 54, 9},
    {"Los Angeles", "Los Angeles", "CA", 90001, 60, 34.0522, -118.2437, "I-405", 58, 9},
    {"Miami", "Miami-Dade", "FL", 33125, 20, 25.7617, -80.1918, "I-95", 68, 10},
    {"Charlotte", "Mecklenburg", "NC", 28202, 15, 35.2271, -80.8431, "I-77", 42, 7},
    {"Dallas", "Dallas", "TX", 75201, 30, 32.7767, -96.7970, "I-35E", 47, 7},
    {"Orlando", "Orange", "FL", 32801, 20, 28.5383, -81.3792, "I-4", 61, 6},
    {"Austin", "Travis", "TX", 78701, 30, 30.2672, -97.7431, "I-35", 51, 5},
    {"Raleigh", "Wake", "NC", 27601, 15, 35.7796, -78.6382, "I-440", 41, 5},
    {"Nashville", "Davidson", "TN", 37201, 20, 36.1627, -86.7816, "I-40", 39, 4},
    {"Baton Rouge", "East Baton Rouge", "LA", 70801, 16, 30.4515, -91.1871, "I-10", 52, 4},
    {"Atlanta", "Fulton", "GA", 30303, 20, 33.7490, -84.3880, "I-75", 44, 4},
    {"Sacramento", "Sacramento", "CA", 95811, 15, 38.5816, -121.4944, "I-5", 47, 4},
    {"Phoenix", "Maricopa", "AZ", 85003, 30, 33.4484, -112.0740, "I-17", 56, 3},
    {"San Diego", "San Diego", "CA", 92101, 30, 32.7157, -117.1611, "I-805", 58, 3},
    {"Minneapolis", "Hennepin", "MN", 55401, 18, 44.9778, -93.2650, "I-94", 16, 3},
    {"Richmond", "Richmond City", "VA", 23219, 10, 37.5407, -77.4360, "I-64", 39, 3},
    {"Oklahoma City", "Oklahoma", "OK", 73102, 20, 35.4676, -97.5164, "I-44", 39, 3},
    {"Jacksonville", "Duval", "FL", 32202, 20, 30.3322, -81.6557, "I-95", 55, 3},
    {"Tucson", "Pima", "AZ", 85701, 20, 32.2226, -110.9747, "I-10", 54, 2},
    {"San Antonio", "Bexar", "TX", 78201, 30, 29.4241, -98.4936, "I-410", 52, 3},
    {"Seattle", "King", "WA", 98101, 20, 47.6062, -122.3321, "I-5", 42, 2},
    {"Portland", "Multnomah", "OR", 97201, 20, 45.5152, -122.6784, "I-84", 41, 2},
    {"Denver", "Denver", "CO", 80202, 20, 39.7392, -104.9903, "I-25", 31, 2},
    {"Chicago", "Cook", "IL", 60601, 40, 41.8781, -87.6298, "I-90", 26, 2},
    {"New York", "New York", "NY", 10001, 30, 40.7128, -74.0060, "I-278", 33, 2},
    {"Philadelphia", "Philadelphia", "PA", 19102, 40, 39.9526, -75.1652, "I-76", 34, 2},
    {"Columbus", "Franklin", "OH", 43201, 25, 39.9612, -82.9988, "I-71", 30, 2},
    {"Detroit", "Wayne", "MI", 48201, 30, 42.3314, -83.0458, "I-75", 26, 2},
    {"Salt Lake City", "Salt Lake", "UT", 84101, 20, 40.7608, -111.8910, "I-15", 30, 1},
    {"Boston", "Suffolk", "MA", 2108, 15, 42.3601, -71.0589, "I-93", 30, 1},
    {"Kansas City", "Jackson", "MO", 64105, 25, 39.0997, -94.5786, "I-70", 30, 1},
    {"Greenville", "Greenville", "SC", 29601, 15, 34.8526, -82.3940, "I-385", 43, 2},
};
#define NCITIES ((int)(sizeof cities / sizeof cities[0]))

static int city_weights[NCITIES];

static const City *pick_city(Rng *r)
{
    if (city_weights[0] == 0)
        for (int i = 0; i < NCITIES; i++)
            city_weights[i] = cities[i].weight;
    return &cities[rng_pick(r, city_weights, NCITIES)];
}

/* ---- weather, shared by accidents and weather ------------------------ */

typedef struct Weather {
    const char *condition;
    double temp_f, visibility_mi, wind_mph, precip_in;
    int humidity;
} Weather;

enum { W_FAIR, W_CLEAR, W_PCLOUDY, W_MCLOUDY, W_CLOUDY, W_OVERCAST, W_LRAIN, W_RAIN,
       W_HRAIN, W_FOG, W_HAZE, W_LSNOW, W_SNOW, W_TSTORM, W_COUNT };
static const char *const conditions[W_COUNT] = {
    "Fair", "Clear", "Partly Cloudy", "Mostly Cloudy", "Cloudy", "Overcast", "Light Rain",
    "Rain", "Heavy Rain", "Fog", "Haze", "Light Snow", "Snow", "Thunderstorm"};
static const int condition_weights[W_COUNT] = {380, 60, 100, 120, 100, 60, 80, 40,
                                               20, 30, 20, 15, 5, 10};

static Weather draw_weather(Rng *r, const City *c)
{
    Weather w;
    int k = rng_pick(r, condition_weights, W_COUNT);
    w.temp_f = c->mean_f + 8.0 * rng_gauss(r);
    if ((k == W_LSNOW || k == W_SNOW) && w.temp_f > 36)
        k = W_LRAIN;
    if ((k == W_LRAIN || k == W_RAIN || k == W_HRAIN) && w.temp_f < 30)
        k = W_LSNOW;
    w.condition = conditions[k];
    w.wind_mph = rng_between(r, 0, 16);
    w.precip_in = 0;
    w.visibility_mi = 10;
    w.humidity = (int)rng_range(r, 35, 75);
    switch (k) {
    case W_LRAIN: w.precip_in = rng_between(r, 0.01, 0.1); w.visibility_mi = rng_between(r, 4, 10); break;
    case W_RAIN: w.precip_in = rng_between(r, 0.05, 0.3); w.visibility_mi = rng_between(r, 2, 7); break;
    case W_HRAIN: w.precip_in = rng_between(r, 0.3, 1.2); w.visibility_mi = rng_between(r, 0.5, 3); break;
    case W_FOG: w.visibility_mi = rng_between(r, 0.1, 1); break;
    case W_HAZE: w.visibility_mi = rng_between(r, 2, 6); break;
    case W_LSNOW: w.precip_in = rng_between(r, 0.01, 0.1); w.visibility_mi = rng_between(r, 1, 5); break;
    case W_SNOW: w.precip_in = rng_between(r, 0.05, 0.3); w.visibility_mi = rng_between(r, 0.25, 2); break;
    case W_TSTORM:
        w.precip_in = rng_between(r, 0.1, 1.0);
        w.visibility_mi = rng_between(r, 1, 6);
        w.wind_mph = rng_between(r, 15, 40);
        break;
    default: break;
    }
    if (w.precip_in > 0 || k == W_FOG)
        w.humidity = (int)rng_range(r, 80, 100);
    return w;
}

/* ---- output helpers ------------------------------------------------- */

static void json_str(StrBuf *sb, const char *s)
{
    sb_putc(sb, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            sb_putc(sb, '\\'), sb_putc(sb, (char)ch);
        else if (ch < 0x20)
            sb_printf(sb, "\\u%04x", ch);
        else
            sb_putc(sb, (char)ch);
    }
    sb_putc(sb, '"');
}

/* "yyyy-MM-dd HH:mm:ss" in UTC. */
static void fmt_time(char *buf, size_t size, int64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The state of one generator run. */
typedef struct Gen {
    Rng rng;
    int64_t now;               /* timestamp of the last record, ms */
    int64_t seq;               /* id of the last record made (from --start-id up) */
    StrBuf key, val;
    int64_t ts;                /* timestamp of the record just made */
    void *scenario;            /* scenario state (atm, readings) */
    bool labels;               /* readings: write the INCIDENT label */
} Gen;

/* ---- accidents ------------------------------------------------------ */

static const char *const directions[] = {"N", "S", "E", "W"};
static const char *const accident_texts[] = {
    "Accident on %s %sB at Exit %d.",
    "Lane blocked due to accident on %s %sB near Exit %d.",
    "Slow traffic on %s %sB due to accident at Exit %d.",
    "Two lanes blocked due to accident on %s %sB at Exit %d.",
    "Right hand shoulder blocked due to accident on %s %sB at Exit %d.",
    "Road closed due to accident on %s %sB at Exit %d. Use alternate route.",
};

static void gen_accident(Gen *g)
{
    static const int severity_weights[] = {4, 78, 13, 5};
    static const int duration_lo[] = {15, 30, 45, 120}, duration_hi[] = {45, 120, 240, 480};
    Rng *r = &g->rng;
    g->ts = g->now += rng_range(r, 5000, 60000);
    const City *c = pick_city(r);
    int severity = rng_pick(r, severity_weights, 4) + 1;
    int64_t end = g->ts + 60000 * rng_range(r, duration_lo[severity - 1], duration_hi[severity - 1]);
    Weather w = draw_weather(r, c);
    char start_s[32], end_s[32], desc[160];
    fmt_time(start_s, sizeof start_s, g->ts);
    fmt_time(end_s, sizeof end_s, end);
    /* The longest text is used for the worst accidents. */
    int ntexts = (int)(sizeof accident_texts / sizeof accident_texts[0]);
    int text = severity == 4 ? ntexts - 1 : (int)rng_range(r, 0, ntexts - 2);
    snprintf(desc, sizeof desc, accident_texts[text], c->road, directions[rng_range(r, 0, 3)],
             (int)rng_range(r, 1, 60));
    double lat = c->lat + 0.05 * rng_gauss(r), lng = c->lng + 0.05 * rng_gauss(r);
    int zip = c->zip_lo + (int)rng_range(r, 0, c->zip_n - 1);

    g->seq++;
    sb_reset(&g->key);
    sb_printf(&g->key, "A-%" PRId64, g->seq);
    StrBuf *v = &g->val;
    sb_reset(v);
    sb_printf(v, "{\"ID\":\"A-%" PRId64 "\",\"Severity\":%d,", g->seq, severity);
    sb_printf(v, "\"Start_Time\":\"%s\",\"End_Time\":\"%s\",", start_s, end_s);
    sb_printf(v, "\"Start_Lat\":%.6f,\"Start_Lng\":%.6f,\"City\":", lat, lng);
    json_str(v, c->name);
    sb_puts(v, ",\"County\":");
    json_str(v, c->county);
    sb_printf(v, ",\"State\":\"%s\",\"Zipcode\":\"%05d\",\"Weather_Condition\":", c->state, zip);
    json_str(v, w.condition);
    sb_printf(v, ",\"Temperature_F\":%.1f,\"Visibility_mi\":%.1f,\"Wind_Speed_mph\":%.1f,",
              w.temp_f, w.visibility_mi, w.wind_mph);
    sb_printf(v, "\"Precipitation_in\":%.2f,\"Description\":", w.precip_in);
    json_str(v, desc);
    sb_putc(v, '}');
}

/* ---- weather -------------------------------------------------------- */

static void gen_weather(Gen *g)
{
    Rng *r = &g->rng;
    g->ts = g->now += rng_range(r, 30000, 180000);
    const City *c = &cities[rng_range(r, 0, NCITIES - 1)];
    Weather w = draw_weather(r, c);
    char when[32];
    fmt_time(when, sizeof when, g->ts);

    g->seq++;
    sb_reset(&g->key);
    sb_puts(&g->key, c->name);
    StrBuf *v = &g->val;
    sb_reset(v);
    sb_puts(v, "{\"City\":");
    json_str(v, c->name);
    sb_printf(v, ",\"State\":\"%s\",\"Condition\":", c->state);
    json_str(v, w.condition);
    sb_printf(v, ",\"Temperature_F\":%.1f,\"Humidity\":%d,\"Visibility_mi\":%.1f,", w.temp_f,
              w.humidity, w.visibility_mi);
    sb_printf(v, "\"Wind_Speed_mph\":%.1f,\"Reported_Time\":\"%s\"}", w.wind_mph, when);
}

/* ---- atm ------------------------------------------------------------ */

#define NCARDS 400
#define MAX_PENDING 64

typedef struct Card {
    const City *city;
    double lat, lng;           /* the card's usual ATM */
    int atm;                   /* its number */
    const char *bank;
    bool compromised;          /* a copy of it is used elsewhere */
} Card;

typedef struct FraudTxn {
    int64_t ts;
    int card;
} FraudTxn;

typedef struct AtmState {
    Card cards[NCARDS];
    FraudTxn pending[MAX_PENDING];
    int npending;
    int64_t next_normal;       /* timestamp of the next regular withdrawal */
} AtmState;

static const char *const banks[] = {"Chase", "Bank of America", "Wells Fargo", "Citibank",
                                    "PNC", "Truist", "US Bank", "Capital One"};
#define NBANKS ((int)(sizeof banks / sizeof banks[0]))

static void atm_init(Gen *g, AtmState *st)
{
    Rng *r = &g->rng;
    for (int i = 0; i < NCARDS; i++) {
        Card *c = &st->cards[i];
        c->city = pick_city(r);
        c->lat = c->city->lat + 0.04 * rng_gauss(r);
        c->lng = c->city->lng + 0.04 * rng_gauss(r);
        c->atm = (int)rng_range(r, 1, 250);
        c->bank = banks[rng_range(r, 0, NBANKS - 1)];
    }
    for (int n = 0; n < NCARDS / 100;) {   /* 1% of the cards */
        Card *c = &st->cards[rng_range(r, 0, NCARDS - 1)];
        n += !c->compromised;
        c->compromised = true;
    }
    st->next_normal = g->now + rng_range(r, 500, 4000);
}

static void atm_record(Gen *g, int card, const char *bank, const char *city, int atm,
                       double lat, double lng, int amount)
{
    g->seq++;
    sb_reset(&g->key);
    sb_printf(&g->key, "card-%d", card + 1);
    StrBuf *v = &g->val;
    sb_reset(v);
    sb_printf(v, "{\"TRANSACTION_ID\":\"txn-%" PRId64 "\",\"ACCOUNT_ID\":\"card-%d\",\"ATM\":",
              g->seq, card + 1);
    char name[96];
    snprintf(name, sizeof name, "%s %s #%d", bank, city, atm);
    json_str(v, name);
    sb_printf(v, ",\"AMOUNT\":%d,\"LAT\":%.6f,\"LON\":%.6f}", amount, lat, lng);
}

static void gen_atm(Gen *g)
{
    static const int amount_weights[] = {20, 25, 15, 20, 8, 6, 4, 2};   /* x $20, $40, ... */
    static const int amounts[] = {20, 40, 60, 100, 200, 300, 400, 500};
    AtmState *st = g->scenario;
    Rng *r = &g->rng;
    int amount = amounts[rng_pick(r, amount_weights, 8)];

    /* A due fraudulent withdrawal comes before the next regular one. */
    int due = -1;
    for (int i = 0; i < st->npending; i++)
        if (st->pending[i].ts <= st->next_normal &&
            (due < 0 || st->pending[i].ts < st->pending[due].ts))
            due = i;
    if (due >= 0) {
        FraudTxn f = st->pending[due];
        st->pending[due] = st->pending[--st->npending];
        const Card *c = &st->cards[f.card];
        /* Another city, or the far side of the same one: well over 1 km. */
        const City *where = &cities[rng_range(r, 0, NCITIES - 1)];
        double lat = where->lat + 0.04 * rng_gauss(r), lng = where->lng + 0.04 * rng_gauss(r);
        if (where == c->city)
            lat = c->lat + (rng_unit(r) < 0.5 ? -0.1 : 0.1);
        g->ts = g->now = f.ts;
        atm_record(g, f.card, banks[rng_range(r, 0, NBANKS - 1)], where->name,
                   (int)rng_range(r, 1, 250), lat, lng, amount);
        return;
    }
    int card = (int)rng_range(r, 0, NCARDS - 1);
    const Card *c = &st->cards[card];
    g->ts = g->now = st->next_normal;
    st->next_normal += rng_range(r, 500, 4000);
    if (c->compromised && st->npending < MAX_PENDING)
        st->pending[st->npending++] = (FraudTxn){g->ts + rng_range(r, 60000, 540000), card};
    atm_record(g, card, c->bank, c->city->name, c->atm, c->lat, c->lng, amount);
}

/* ---- readings -------------------------------------------------------- */
/*
 * Road-safety sensors: each sits on a road segment of a city with a speed
 * limit and reports passing vehicles with the weather at the spot (mph,
 * Fahrenheit, miles).  The hidden relation, for models to learn: the
 * log-odds of an incident (reading_logit) rise with the speed over the
 * limit, low visibility, freezing temperature and wind over 15 mph.  The
 * label is drawn whether or not --labels writes it, so the readings are the
 * same either way; it is computed from the values as printed.
 * tests/models/make_models.py mirrors the relation.
 */

#define NSENSORS 200

typedef struct Sensor {
    const City *city;
    int limit;                 /* mph */
    Weather w;                 /* the weather at the sensor now */
} Sensor;

typedef struct ReadingsState {
    Sensor sensors[NSENSORS];
} ReadingsState;

static void readings_init(Gen *g, ReadingsState *st)
{
    static const int limits[] = {25, 35, 45, 55, 65, 70}, weights[] = {10, 20, 20, 20, 20, 10};
    Rng *r = &g->rng;
    for (int i = 0; i < NSENSORS; i++) {
        Sensor *s = &st->sensors[i];
        s->city = pick_city(r);
        s->limit = limits[rng_pick(r, weights, 6)];
        s->w = draw_weather(r, s->city);
    }
}

/* exp(x) without libm (the same bits everywhere): (1 + x/2^16)^(2^16),
 * within 0.05% for |x| <= 8, which is all the logit needs. */
static double det_exp(double x)
{
    x = x < -30 ? -30 : x > 30 ? 30 : x;
    double y = 1.0 + x / 65536.0;
    for (int i = 0; i < 16; i++)
        y *= y;
    return y;
}

/* x rounded to `scale` (10: one decimal), as printf prints it. */
static double round_to(double x, double scale)
{
    return (double)(int64_t)(x * scale + (x < 0 ? -0.5 : 0.5)) / scale;
}

static double reading_logit(double speed, double limit, double temp, double wind, double vis)
{
    double over = speed > limit ? (speed - limit) / limit : 0;
    bool freezing = temp < 32;
    return -4.6 + 7.0 * over + 1.6 * (vis < 0.5) + 0.8 * (vis < 2) + 1.3 * freezing +
           0.06 * (wind > 15 ? wind - 15 : 0) + 0.8 * (freezing && vis < 2);
}

static void gen_reading(Gen *g)
{
    ReadingsState *st = g->scenario;
    Rng *r = &g->rng;
    g->ts = g->now += rng_range(r, 20, 400);
    int id = (int)rng_range(r, 0, NSENSORS - 1);
    Sensor *s = &st->sensors[id];
    if (rng_unit(r) < 0.01)   /* the weather moves on */
        s->w = draw_weather(r, s->city);
    double limit = s->limit, speed;
    if (rng_unit(r) < 0.07)   /* a speeder */
        speed = limit * rng_between(r, 1.1, 1.35);
    else
        speed = limit * (0.93 + 0.09 * rng_gauss(r));
    if (s->w.visibility_mi < 1)   /* fog, snow: drivers slow down */
        speed *= 0.85;
    speed = round_to(speed < 3 ? 3 : speed, 10);
    double temp = round_to(s->w.temp_f + 1.5 * rng_gauss(r), 10);
    double wind = s->w.wind_mph + 2.0 * rng_gauss(r);
    wind = round_to(wind < 0 ? 0 : wind, 10);
    double vis = round_to(s->w.visibility_mi, 100);
    double p = 1.0 / (1.0 + det_exp(-reading_logit(speed, limit, temp, wind, vis)));
    int incident = rng_unit(r) < p;

    g->seq++;
    sb_reset(&g->key);
    sb_printf(&g->key, "S-%03d", id + 1);
    StrBuf *v = &g->val;
    sb_reset(v);
    sb_printf(v, "{\"ID\":\"R-%" PRId64 "\",\"SENSOR_ID\":\"S-%03d\",\"SPEED\":%.1f,", g->seq,
              id + 1, speed);
    sb_printf(v, "\"SPEED_LIMIT\":%d,\"TEMPERATURE\":%.1f,\"WIND\":%.1f,\"VISIBILITY\":%.2f,",
              s->limit, temp, wind, vis);
    sb_printf(v, "\"TS\":%" PRId64, g->ts);
    if (g->labels)
        sb_printf(v, ",\"INCIDENT\":%d", incident);
    sb_putc(v, '}');
}

/* ---- driver --------------------------------------------------------- */

typedef struct GenOptions {
    const char *scenario, *topic, *bootstrap;
    long long count, start_ms, start_id;
    double rate;
    uint64_t seed;
    const char **props;        /* key, value, ..., NULL (for kafka_transport_create) */
    int nprops;
    bool labels;               /* --labels */
} GenOptions;

static int bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, "eddy gen: %s%s%s\n%s", what, arg ? " " : "", arg ? arg : "", usage);
    return 2;
}

static bool parse_ll(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

/* Fills *o from argv.  Returns 0 to go on, -1 after printing help (exit
 * 0), or 2 after printing a usage error. */
static int parse_gen_args(int argc, char **argv, GenOptions *o)
{
    o->count = -1;
    o->start_ms = DEFAULT_START_MS;
    o->start_id = 1;
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (o->scenario)
                return bad_usage("unexpected argument", a);
            o->scenario = a;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return fputs(usage, stdout), -1;
        if (strcmp(a, "--labels") == 0) {
            o->labels = true;
            continue;
        }
        if (i + 1 >= argc)
            return bad_usage("missing value after", a);
        const char *v = argv[++i];
        long long n;
        if (strcmp(a, "--topic") == 0) {
            if (v[0] == '\0')
                return bad_usage("--topic wants a topic name", NULL);
            o->topic = v;
        } else if (strcmp(a, "--bootstrap-servers") == 0 || strcmp(a, "-b") == 0) {
            o->bootstrap = v;
        } else if (strcmp(a, "--count") == 0) {
            if (!parse_ll(v, &o->count) || o->count < 0)
                return bad_usage("--count wants a number >= 0, not", v);
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_ll(v, &n))
                return bad_usage("--seed wants an integer, not", v);
            o->seed = (uint64_t)n;
        } else if (strcmp(a, "--start-id") == 0) {
            if (!parse_ll(v, &o->start_id) || o->start_id < 0 || o->start_id > INT64_MAX / 2)
                return bad_usage("--start-id wants a number >= 0, not", v);
        } else if (strcmp(a, "--start-time") == 0) {
            if (!parse_ll(v, &o->start_ms) || o->start_ms < 0)
                return bad_usage("--start-time wants milliseconds since the epoch, not", v);
        } else if (strcmp(a, "--rate") == 0) {
            char *end;
            o->rate = strtod(v, &end);
            if (end == v || *end || !(o->rate >= 0 && o->rate <= 1e9))
                return bad_usage("--rate wants records per second, not", v);
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "-X") == 0) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v)
                return bad_usage(strcmp(a, "-p") == 0 ? "-p wants key=value, not"
                                                      : "-X wants key=value, not", v);
            o->props[o->nprops++] = strndup(v, (size_t)(eq - v));
            o->props[o->nprops++] = strdup(eq + 1);
        } else {
            return bad_usage("unknown option", a);
        }
    }
    if (o->scenario == NULL)
        return bad_usage("which scenario? (accidents, weather, atm or readings)", NULL);
    if (strcmp(o->scenario, "accidents") && strcmp(o->scenario, "weather") &&
        strcmp(o->scenario, "atm") && strcmp(o->scenario, "readings"))
        return bad_usage("unknown scenario", o->scenario);
    if (o->labels && strcmp(o->scenario, "readings") != 0)
        return bad_usage("--labels is for readings, not", o->scenario);
    if (o->topic == NULL)
        return bad_usage("--topic is required", NULL);
    if (o->count < 0)
        return bad_usage("--count is required", NULL);
    for (int i = 4; o->bootstrap == NULL && i + 1 < o->nprops; i += 2)
        if (strcmp(o->props[i], "bootstrap.servers") == 0)
            o->bootstrap = o->props[i + 1];
    if (o->bootstrap == NULL) {
        cli_no_bootstrap("eddy gen");
        return 2;
    }
    return 0;
}

/* Produces o->count records; returns how many were handed to the producer,
 * or -1 on a produce error (printed). */
static long long run(const GenOptions *o, Transport *t, Gen *g)
{
    void (*make)(Gen *) = strcmp(o->scenario, "accidents") == 0 ? gen_accident
                          : strcmp(o->scenario, "weather") == 0 ? gen_weather
                          : strcmp(o->scenario, "readings") == 0 ? gen_reading
                                                                : gen_atm;
    int64_t t0 = eddy_mono_ms();
    EddyError err;
    for (long long i = 0; i < o->count; i++) {
        if (o->rate > 0)
            cli_producer_pace(t, t0 + (int64_t)((double)i * 1000.0 / o->rate), NULL);
        make(g);
        if (t->ops->produce(t, o->topic, -1, g->key.data, g->key.len, g->val.data, g->val.len,
                            g->ts, &err) < 0) {
            fprintf(stderr, "eddy gen: %s\n", err.msg);
            return -1;
        }
        if (i % 256 == 0)
            t->ops->poll(t);
    }
    return o->count;
}

int cmd_gen(int argc, char **argv)
{
    GenOptions o = {0};
    /* props: bootstrap.servers (set after parsing), a delivery timeout that
     * gives up on an unreachable broker in seconds, then the -X pairs. */
    o.props = calloc((size_t)argc * 2 + 6, sizeof *o.props);
    if (o.props == NULL)
        return 1;
    o.props[2] = "message.timeout.ms";
    o.props[3] = "20000";
    o.nprops = 4;
    int rc = parse_gen_args(argc, argv, &o);
    if (rc != 0) {
        for (int i = 4; i < o.nprops; i++)
            free((char *)o.props[i]);
        free(o.props);
        return rc < 0 ? 0 : rc;
    }
    o.props[0] = "bootstrap.servers";
    o.props[1] = o.bootstrap;

    Gen g = {.rng = {o.seed}, .now = o.start_ms, .seq = o.start_id - 1, .labels = o.labels};
    sb_init(&g.key);
    sb_init(&g.val);
    AtmState *atm = NULL;
    ReadingsState *readings = NULL;
    Transport *t = NULL;
    EddyError err;
    if (strcmp(o.scenario, "atm") == 0) {
        g.scenario = atm = calloc(1, sizeof *atm);
        if (atm == NULL)
            rc = 1;
        else
            atm_init(&g, atm);
    }
    if (strcmp(o.scenario, "readings") == 0) {
        g.scenario = readings = calloc(1, sizeof *readings);
        if (readings == NULL)
            rc = 1;
        else
            readings_init(&g, readings);
    }
    if (rc == 0 && (t = cli_producer_open("eddy gen", o.props)) == NULL)
        rc = 1;
    RetentionMark mark = {0};
    if (rc == 0 && transport_retention_mark(t, o.topic, &mark, &err) < 0) {
        fprintf(stderr, "eddy gen: %s\n", err.msg);
        rc = 1;
    }
    if (rc == 0) {
        long long n = run(&o, t, &g);
        if (cli_producer_flush("eddy gen", t) < 0) {
            rc = 1;
        } else if (n < 0) {
            rc = 1;
        } else {
            fprintf(stderr, "eddy gen: produced %lld %s records to %s\n", n, o.scenario, o.topic);
            cli_producer_warn_dropped("eddy gen", t, o.topic, &mark);
        }
    }
    transport_retention_mark_free(&mark);
    if (t)
        t->ops->destroy(t);
    free(atm);
    free(readings);
    sb_free(&g.key);
    sb_free(&g.val);
    for (int i = 4; i < o.nprops; i++)
        free((char *)o.props[i]);
    free(o.props);
    return rc;
}
