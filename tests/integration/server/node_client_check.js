// Drives eddy server with a ksqlDB client written by others: the Node.js
// package ksqldb-client (HTTP/2 only, as ksqlDB's Java client), through
// its public methods.  Prints "ok NAME" or "FAIL NAME: why" per check and
// exits 1 if any failed.  Usage: node node_client_check.js PORT
const assert = require("assert");
const KsqldbClient = require("ksqldb-client");

const port = Number(process.argv[2]);
const client = new KsqldbClient({ host: "http://127.0.0.1", port });
let failed = 0;
function check(name, fn) {
  try {
    fn();
    console.log("ok " + name);
  } catch (e) {
    failed++;
    console.log("FAIL " + name + ": " + e.message);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  await client.connect();

  let r = await client.executeStatement(
    "CREATE STREAM node_acc (id STRING KEY, city STRING, sev INT, tags ARRAY<STRING>, " +
      "geo STRUCT<lat DOUBLE, lng DOUBLE>, cost DECIMAL(6,2)) " +
      "WITH (kafka_topic='node_acc', value_format='JSON', partitions=2);");
  check("executeStatement: CREATE STREAM's currentStatus", () => {
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.data.rows[0]["@type"], "currentStatus");
    assert.strictEqual(r.data.rows[0].commandStatus.status, "SUCCESS");
    assert.strictEqual(r.data.rows[0].commandId, "stream/`NODE_ACC`/create");
  });
  r = await client.executeStatement(
    "CREATE TABLE node_per_city AS SELECT city, COUNT(*) AS n, SUM(cost) AS cost FROM node_acc GROUP BY city;");
  check("executeStatement: CTAS gives its query id", () => {
    assert.strictEqual(r.data.rows[0].commandStatus.queryId, "CTAS_NODE_PER_CITY_1");
  });

  const rows = [
    { id: "a1", city: "KC", sev: 2, tags: ["ice"], geo: { lat: 39.1, lng: -94.6 }, cost: 10.5 },
    { ID: "a2", CITY: "KC", SEV: 3, TAGS: [], GEO: { LAT: 39.0, LNG: -94.5 }, COST: 1.25 },
    { id: "a3", city: "STL", sev: 1, tags: null, geo: null, cost: 0.05 },
  ];
  for (const row of rows) {
    r = await client.insertInto("node_acc", row);
    check("insertInto " + (row.id || row.ID) + ": acked", () => {
      assert.strictEqual(r.status, 200);
      assert.deepStrictEqual(r.data.rows, [{ status: "ok", seq: 0 }]);
    });
  }
  r = await client.insertInto("node_acc", { id: "bad", sev: "high" });
  check("insertInto a bad value: an error ack naming the column", () => {
    assert.strictEqual(r.error.status, "error");
    assert.match(r.error.message, /SEV/);
  });

  const streams = await client.listStreams();
  check("listStreams", () => {
    assert.deepStrictEqual(streams.filter((s) => s.name === "NODE_ACC"), [
      { type: "STREAM", name: "NODE_ACC", topic: "node_acc", keyFormat: "KAFKA", valueFormat: "JSON", isWindowed: false },
    ]);
  });
  const tables = await client.listTables();
  check("listTables", () => {
    assert.deepStrictEqual(tables.map((t) => t.name), ["NODE_PER_CITY"]);
  });
  const queries = await client.listQueries();
  check("listQueries", () => {
    assert.deepStrictEqual(queries.map((q) => [q.id, q.state, q.sinks]), [["CTAS_NODE_PER_CITY_1", "RUNNING", ["NODE_PER_CITY"]]]);
  });
  const desc = await client.describeSource("node_acc");
  check("describeSource: fields and their schemas", () => {
    assert.strictEqual(desc.name, "NODE_ACC");
    assert.strictEqual(desc.type, "STREAM");
    assert.deepStrictEqual(desc.fields.map((f) => [f.name, f.schema.type, f.type || null]), [
      ["ID", "STRING", "KEY"], ["CITY", "STRING", null], ["SEV", "INTEGER", null],
      ["TAGS", "ARRAY", null], ["GEO", "STRUCT", null], ["COST", "DECIMAL", null],
    ]);
    assert.deepStrictEqual(desc.fields[4].schema.fields.map((f) => f.name), ["LAT", "LNG"]);
    assert.deepStrictEqual(desc.readQueries.map((q) => q.id), ["CTAS_NODE_PER_CITY_1"]);
  });

  // The table catches up with the three good rows (pull queries, polled)
  let pull;
  for (let i = 0; i < 100; i++) {
    pull = await client.query("SELECT * FROM node_per_city;");
    if (pull.data && pull.data.rows && pull.data.rows.length === 2 &&
        pull.data.rows.some((x) => x.CITY === "KC" && x.N === 2)) break;
    await sleep(200);
  }
  check("query (pull): the table's rows", () => {
    assert.strictEqual(pull.status, 200);
    assert.deepStrictEqual(pull.data.metadata.columnNames, ["CITY", "N", "COST"]);
    const got = pull.data.rows.slice().sort((a, b) => a.CITY.localeCompare(b.CITY));
    assert.deepStrictEqual(got, [{ CITY: "KC", N: 2, COST: 11.75 }, { CITY: "STL", N: 1, COST: 0.05 }]);
  });

  // A push query with LIMIT: the rows arrive through the callback, then it ends
  const pushed = [];
  let meta = null;
  r = await client.streamQuery("SELECT id, sev, tags, geo, cost FROM node_acc EMIT CHANGES LIMIT 3;",
    (d) => { if (d.rows) pushed.push(...d.rows); else meta = d.metadata; },
    { properties: { "auto.offset.reset": "earliest" } });
  check("streamQuery with LIMIT: metadata, then every row", () => {
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(meta.columnNames, ["ID", "SEV", "TAGS", "GEO", "COST"]);
    assert.deepStrictEqual(meta.columnTypes, ["STRING", "INTEGER", "ARRAY<STRING>", "STRUCT<`LAT` DOUBLE, `LNG` DOUBLE>", "DECIMAL(6, 2)"]);
    assert.deepStrictEqual(pushed.slice().sort((a, b) => a.ID.localeCompare(b.ID)), [
      { ID: "a1", SEV: 2, TAGS: ["ice"], GEO: { LAT: 39.1, LNG: -94.6 }, COST: 10.5 },
      { ID: "a2", SEV: 3, TAGS: [], GEO: { LAT: 39.0, LNG: -94.5 }, COST: 1.25 },
      { ID: "a3", SEV: 1, TAGS: null, GEO: null, COST: 0.05 },
    ]);
  });

  // A push query without LIMIT, ended with terminatePushQuery
  let openId = null;
  const open = client.streamQuery("SELECT * FROM node_acc EMIT CHANGES;",
    (d) => { if (d.metadata && !d.rows) openId = d.metadata.queryId; });
  for (let i = 0; i < 100 && openId === null; i++) await sleep(100);
  check("streamQuery without LIMIT: its queryId", () => assert.match(openId || "", /^transient_NODE_ACC_/));
  const term = await client.terminatePushQuery(openId);
  check("terminatePushQuery: no error", () => assert.ok(!term.error, JSON.stringify(term.error)));
  const ended = await Promise.race([open.then(() => "ended"), sleep(10000).then(() => "still open")]);
  check("... the push query's response ends", () => assert.strictEqual(ended, "ended"));

  r = await client.executeStatement("SELEC 1;");
  check("executeStatement with bad SQL: 400, ksqlDB's error body", () => {
    assert.strictEqual(r.status, 400);
    assert.strictEqual(r.error.error_code, 40001);
    assert.match(r.error.message, /^line 1:1: /);
  });
  r = await client.query("SELECT * FROM nowhere;");
  check("query of a missing source: an error", () => {
    assert.strictEqual(r.status, 400);
    assert.match(JSON.stringify(r.error), /NOWHERE/);
  });

  await client.disconnect();
  console.log(failed ? failed + " failed" : "all passed");
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log("FAIL thrown: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
