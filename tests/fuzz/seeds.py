#!/usr/bin/env python3
"""seeds.py SRC TARGET OUT: writes the seed inputs of one fuzz target to OUT,
taken from the project's QTT cases (tests/cases) and example scripts
(queries/), in the input layout the target reads (see each fuzz_*.c).
One file per distinct input, named by its SHA-1 as libFuzzer names them."""
import glob
import hashlib
import json
import os
import sys

src, target, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
seen = set()


def seed(data):
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()
    if name not in seen:
        seen.add(name)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def cases():
    for path in sorted(glob.glob(os.path.join(src, "tests/cases/**/*.json"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            for test in json.load(f).get("tests", []):
                yield test


def records():
    for test in cases():
        for rec in test.get("inputs", []) + test.get("outputs", []):
            yield rec


def dumps(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


# fuzz_serde: byte 0 = format (0 JSON, 1 DELIMITED, 2 KAFKA) + 3 * schema;
# schemas 0 every type, 1 every primitive, 2.. one column each of
# B I L D DC S BS TS DT TM A M ST N (fuzz_serde.c).
SINGLE = {n: 2 + i for i, n in enumerate("B I L D DC S BS TS DT TM A M ST N".split())}


def serde_seed(fmt, schema, opts, payload):
    seed(bytes([fmt + 3 * schema, opts]) + (payload.encode() if isinstance(payload, str) else payload))


def singles(v):
    """The single-column schemas a JSON value could fill."""
    if isinstance(v, bool):
        return ["B"]
    if isinstance(v, (int, float)):
        return ["I", "L", "D", "DC", "TS", "DT", "TM"]
    if isinstance(v, str):
        return ["S", "BS", "TS", "DT", "TM", "DC"]
    if isinstance(v, list):
        return ["A"]
    if isinstance(v, dict):
        return ["M", "ST"]
    return []


# fuzz_codec mode 2: byte 1 = the index of the type in fuzz_codec.c's list.
CODEC_TYPES = {
    bool: [0],                     # BOOLEAN
    int: [1, 2, 3, 6, 7, 8, 9, 10, 11],
    float: [3, 9, 11],
    str: [4, 5, 6, 7, 8, 9],
    list: [12, 13, 14],
    dict: [15, 16, 17],
}

# fuzz_sql: statements over its fixed catalog (FZS, FZT: every type; FZD:
# DELIMITED), to start from queries that bind.
CATALOG_SQL = [
    "SELECT * FROM FZS EMIT CHANGES;",
    "SELECT * FROM FZT;",
    "SELECT K, I + L * 2, D / 0, DC * 2, CONCAT(S, 'x'), A[1], M['x'], ST->X, ST->Y[1] FROM FZS EMIT CHANGES;",
    "CREATE STREAM O AS SELECT K, CAST(I AS STRING) AS C, TS, DT, TM, BS FROM FZS WHERE B AND I > 0;",
    "CREATE TABLE AGG AS SELECT K, COUNT(*) AS N, SUM(D) AS SD, MAX(DC) AS MD, COLLECT_LIST(S) AS CL "
    "FROM FZS GROUP BY K EMIT CHANGES; SELECT * FROM AGG WHERE K = 'k1';",
    "CREATE TABLE W AS SELECT K, COUNT(*) AS N FROM FZS WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY K;",
    "CREATE TABLE W AS SELECT K, LATEST_BY_OFFSET(S) AS S FROM FZS WINDOW SESSION (5 SECONDS) GROUP BY K;",
    "CREATE STREAM J AS SELECT FZS.K, FZS.I, FZT.S FROM FZS JOIN FZT ON FZS.K = FZT.K;",
    "CREATE STREAM J AS SELECT * FROM FZS A JOIN FZS B WITHIN 1 HOUR ON A.K = B.K;",
    "CREATE TABLE TT AS SELECT * FROM FZT A LEFT JOIN FZT B ON A.K = B.K;",
    "CREATE STREAM P AS SELECT * FROM FZD PARTITION BY S;",
    "CREATE STREAM E WITH (value_format='DELIMITED') AS SELECT K, I, S FROM FZS;",
    "INSERT INTO FZS (K, I, S, A, M, ST) VALUES ('k9', 9, 'nine', ARRAY[1, 2], MAP('a' := 1.0), "
    "STRUCT(X := 1, Y := ARRAY['y']));",
    "SELECT K, CASE WHEN I IS NULL THEN 'none' ELSE 'some' END, I BETWEEN 1 AND 3, S LIKE 'a%' "
    "FROM FZS WHERE S IN ('a', 'b') OR NOT B EMIT CHANGES LIMIT 2;",
    "SELECT K, EXPLODE(A) AS X, ARRAY_LENGTH(A), MAP_KEYS(M) FROM FZS EMIT CHANGES;",
    "DESCRIBE FZS; DESCRIBE EXTENDED FZT; SHOW STREAMS; SHOW TABLES; SHOW QUERIES; "
    "EXPLAIN SELECT * FROM FZS EMIT CHANGES; SHOW FUNCTIONS; DESCRIBE FUNCTION SUBSTRING;",
    "SET 'auto.offset.reset' = 'latest'; PRINT fzs FROM BEGINNING LIMIT 2; UNSET 'auto.offset.reset';",
    "CREATE STREAM O AS SELECT * FROM FZS; TERMINATE ALL; DROP STREAM O DELETE TOPIC;",
    "SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss.SSS', 'Europe/London'), ROWPARTITION, "
    "ROWOFFSET FROM FZS EMIT CHANGES;",
]

if target == "fuzz_sql":
    for sql in CATALOG_SQL:
        seed(sql)
    for test in cases():
        seed("\n".join(s for s in test.get("statements", []) if isinstance(s, str)))
    for path in sorted(glob.glob(os.path.join(src, "queries/*.ksql"))):
        with open(path, "rb") as f:
            seed(f.read())
elif target == "fuzz_qtt":
    for test in cases():
        seed(dumps({"tests": [test]}))
elif target == "fuzz_serde":
    for rec in records():
        for field, is_key in (("value", False), ("key", True)):
            v = rec.get(field)
            opts = 8 if is_key else 1
            if isinstance(v, dict):
                serde_seed(0, 0, opts, dumps(v))
            elif isinstance(v, str):
                serde_seed(1, 1, opts, v)
                serde_seed(2, SINGLE["S"], opts, v)
            if v is not None:
                for s in singles(v):
                    serde_seed(0, SINGLE[s], opts & 8, dumps(v))
    row = {"B": True, "I": 1, "L": 10000000000, "D": 1.5, "DC": 12.34, "S": "a,b", "BS": "AQI=",
           "TS": 1700000000000, "DT": 19000, "TM": 3600000, "A": [1, None, 3],
           "M": {"x": 1.0, "y": None}, "ST": {"X": 7, "Y": ["p", "q"]},
           "N": [{"k": {"Z": 0.25}}, None]}
    serde_seed(0, 0, 1, dumps(row))
    serde_seed(0, 0, 1, "{}")
    serde_seed(1, 1, 0, 'true,1,10000000000,1.5,12.34,"a,""b",AQI=,1700000000000,19000,3600000')
    serde_seed(1, 1, 2, "false|-1|-2|-0.5|0.00||||0|0")
    serde_seed(1, 1, 0, ",,,,,,,,,")
    serde_seed(2, SINGLE["I"], 8, b"\x00\x00\x00\x07")
    serde_seed(2, SINGLE["L"], 8 | 16, b"\x00\x00\x00\x00\x00\x00\x00\x07" + bytes(8))
    serde_seed(2, SINGLE["D"], 8 | 48, b"\x3f\xf8" + bytes(6) + bytes(7) + b"\x10" + bytes(8))
    serde_seed(0, SINGLE["S"], 8 | 32, b'"k"' + bytes(7) + b"\x01")
elif target == "fuzz_codec":
    by_type = {}
    for rec in records():
        for v in (rec.get("key"), rec.get("value")):
            for x in (v.values() if isinstance(v, dict) else [v]):
                for t in CODEC_TYPES.get(type(x), []):
                    by_type.setdefault(t, []).append(x)
    for t, values in sorted(by_type.items()):
        for i in range(0, min(len(values), 400), 8):
            seed(bytes([2, t]) + dumps(values[i:i + 8]).encode())
    seed(bytes([2, 3]) + b"[0.0,-0.0,1e308,-1e308,5e-324,1,-1]")
    seed(bytes([2, 4]) + b'["","a","a\\u0000","a\\u0000b","b","\\u00ff"]')
    seed(bytes([2, 9]) + b'[0,-0.01,0.01,99999999.99,-99999999.99,"1.5"]')
elif target == "fuzz_exchange":
    # byte 0: the exchange (fuzz_exchange.c); then an entry (op_exchange.c):
    # flags, rowtime, partition, offset, window start, window end, column
    # count, byte count, the row's bytes, [time], [prior: count, bytes, bytes].
    import struct

    def entry(flags, row=b"", ncols=0, time=None, prior=None):
        e = bytes([flags]) + struct.pack(">qqqqqqq", 1700000000000, 3, 42, -1, -1, ncols, len(row)) + row
        if time is not None:
            e += struct.pack(">q", time)
        if prior is not None:
            e += struct.pack(">qq", 0, len(prior)) + prior
        return e

    for mode in range(6):
        for row in (b"", b"\x00"):
            seed(bytes([mode]) + entry(0, row))
            seed(bytes([mode]) + entry(1, row))
            seed(bytes([mode]) + entry(8, row, time=1700000000500))
            seed(bytes([mode]) + entry(32, row))
            seed(bytes([mode]) + entry(64, row, prior=row))
            seed(bytes([mode]) + entry(1 | 64, row, prior=row))
        mark = bytes([16 | 8]) + struct.pack(">qqqqqqq", 1700000000900, 2, -1, 0, 0, 0, 0) + struct.pack(">q", 1700000000900)
        seed(bytes([mode]) + mark)
        seed(bytes([mode]) + bytes([mark[0] | 32]) + mark[1:])
else:
    sys.exit("seeds.py: unknown target " + target)
print("%s: %d seeds from tests/cases" % (target, len(seen)))
