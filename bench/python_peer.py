#!/usr/bin/env python3
"""python_peer.py - the Python consumer eddy is measured against.

What a developer would write instead of eddy with python3-confluent-kafka:
read a topic from the beginning, json.loads each value, and either

  filter     keep severity >= 3, project ID, upper-cased CITY and
             TEMPERATURE_F, produce each kept record as JSON (eddy's
             stateless row: SELECT id, UCASE(city) AS city, temperature_f
             FROM acc WHERE severity >= 3), or
  aggregate  per city and 1-minute tumbling window of the record time (TS),
             COUNT, SUM and AVG of TEMPERATURE_F, producing the updated
             row for every input record (eddy's EMIT CHANGES row; windows
             stay in a dict, as a script would keep them).

It stops when every partition is read to the end it had at the start, then
flushes its producer, so its wall time (taken by the caller, start-up
included) covers the same work as an eddy row.  Field names are matched as
eddy matches them (exact, else upper-cased).  Run by bench_throughput when
python3 can import confluent_kafka; prints one JSON line:
{"records": N, "out": M, "seconds": S} (S from its first line to the end).

usage: python_peer.py --bootstrap HOST:PORT --topic T --mode filter|aggregate --out TOPIC
"""
import argparse
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING


def field(rec, name):
    """A field by eddy's rule: the exact name, else the first key whose upper-cased form is it."""
    v = rec.get(name)
    if v is not None or name in rec:
        return v
    for k, v in rec.items():
        if k.upper() == name:
            return v
    return None


def produce(producer, *args, **kw):
    while True:
        try:
            producer.produce(*args, **kw)
            return
        except BufferError:   # the local queue is full: let it drain
            producer.poll(0.1)


def main():
    t0 = time.monotonic()
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--mode", choices=["filter", "aggregate"], required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    consumer = Consumer({
        "bootstrap.servers": a.bootstrap,
        "group.id": "python_peer_" + a.mode,
        "enable.auto.commit": False,
        "queued.min.messages": 100000,
    })
    producer = Producer({"bootstrap.servers": a.bootstrap, "linger.ms": 5,
                         "queue.buffering.max.messages": 1000000})
    meta = consumer.list_topics(a.topic, timeout=10)
    parts = sorted(meta.topics[a.topic].partitions)
    ends = {}
    for p in parts:
        lo, hi = consumer.get_watermark_offsets(TopicPartition(a.topic, p), timeout=10)
        if hi > lo:
            ends[p] = hi
    consumer.assign([TopicPartition(a.topic, p, OFFSET_BEGINNING) for p in parts])

    records = out = 0
    windows = {}   # (city, window start) -> [count, sum]
    remaining = dict(ends)
    while remaining:
        for m in consumer.consume(num_messages=1000, timeout=1.0):
            if m.error():
                continue
            records += 1
            p = m.partition()
            if p in remaining and m.offset() + 1 >= remaining[p]:
                del remaining[p]
            try:
                rec = json.loads(m.value())
            except ValueError:
                continue
            if not isinstance(rec, dict):
                continue
            if a.mode == "filter":
                sev = field(rec, "SEVERITY")
                if sev is None or sev < 3:
                    continue
                city = field(rec, "CITY")
                v = {"CITY": city.upper() if city is not None else None,
                     "TEMPERATURE_F": field(rec, "TEMPERATURE_F")}
                produce(producer, a.out, key=m.key(), value=json.dumps(v))
            else:
                city = field(rec, "CITY")
                ts = field(rec, "TS")
                t = field(rec, "TEMPERATURE_F")
                if city is None or ts is None:
                    continue
                start = ts - ts % 60000
                w = windows.get((city, start))
                if w is None:
                    w = windows[(city, start)] = [0, 0.0, 0]
                w[0] += 1
                if t is not None:
                    w[1] += t
                    w[2] += 1
                v = {"N": w[0], "TOTAL": w[1] if w[2] else None,
                     "AVG_T": w[1] / w[2] if w[2] else None}
                produce(producer, a.out, key=city.encode() + start.to_bytes(8, "big"),
                        value=json.dumps(v), timestamp=ts)
            out += 1
            if out % 10000 == 0:
                producer.poll(0)
    producer.flush(60)
    consumer.close()
    print(json.dumps({"records": records, "out": out, "seconds": time.monotonic() - t0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
