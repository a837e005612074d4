/**
 * Runs the Athena summary SELECT in DuckDB over files loaded the way Athena's text table reads
 * them (Hive's LazySimpleSerDe with `FIELDS TERMINATED BY ' '` and `skip.header.line.count=1`):
 * one space per field, missing trailing fields null, extra fields dropped, `-` and anything that is
 * not a whole number in range null in int/bigint columns, strings as written.
 *
 * Shared by the tests (test/helpers/athena-duckdb.ts, with the SQL and decoding from src/) and the
 * conformance run (scripts/conformance.mjs, with the same from dist/): the caller passes the
 * engine's own functions, so both prove the code they run against.
 *
 * @typedef {{ name: string, type: 'int' | 'bigint' | 'string' }} Column
 * @typedef {{
 *   athenaColumns: (fields: readonly string[]) => Column[],
 *   summarySql: (options: { table: string, fields: readonly string[] }) => string,
 *   summaryFromAnswer: (rows: (string | null)[][], facts: object) => object,
 *   textFields: (firstLine: string, format?: { fields: readonly string[] }) => { fields: readonly string[], header: boolean },
 *   shims: string,
 * }} Engine
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';

const INT_RANGE = 2 ** 31;
const BIGINT_RANGE = 2n ** 63n;

/** A field's text as Hive types it: null for a missing field, or a number column's non-number. */
export function hiveValue(raw, type) {
  if (raw === undefined) return null;
  if (type === 'string') return raw;
  if (!/^[+-]?\d+$/.test(raw)) return null;
  if (type === 'int') {
    const value = Number(raw);
    return value >= -INT_RANGE && value < INT_RANGE ? String(value) : null;
  }
  const value = BigInt(raw);
  return value >= -BIGINT_RANGE && value < BIGINT_RANGE ? value.toString() : null;
}

/** The lines of a file as Athena's text reader sees them (gzip by its magic bytes). */
export function fileLines(path) {
  const bytes = readFileSync(path);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => line.replace(/\r$/, ''));
}

/** The fields of a Parquet file: its column names, `_` read as `-` (as S3 writes them). */
async function parquetFields(file) {
  const { parquetMetadata, parquetSchema } = await import('hyparquet');
  const bytes = readFileSync(file);
  const schema = parquetSchema(parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  return schema.children.map((child) => child.element.name.replace(/_/g, '-'));
}

/**
 * The summary Athena would answer for `files`, as one table. `fields`: for headerless files
 * (default: version 2), as `--log-format` gives them; `sql` changes the SELECT text (a planted bug).
 *
 * @param {readonly string[]} files
 * @param {Engine} engine
 * @param {{ fields?: readonly string[], sql?: (sql: string) => string }} [options]
 */
export async function duckdbSummary(files, engine, options = {}) {
  const parquet = files.length > 0 && files.every((file) => file.endsWith('.parquet'));
  const loaded = parquet ? [] : files.map(fileLines);
  // the table flowdump makes: columns from the first file's first line (a header, then skipped in
  // every file, as skip.header.line.count does), else from --log-format or version 2
  const { fields, header } = parquet ? { fields: await parquetFields(files[0]), header: false } : engine.textFields(loaded[0]?.[0] ?? '', options.fields ? { fields: options.fields } : undefined);
  const columns = engine.athenaColumns(fields);
  const dir = mkdtempSync(join(tmpdir(), 'flowdump-duckdb-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // one TSV with the values as Hive would type them (\N: null), read into a typed table
    const out = [];
    for (const lines of loaded) {
      for (const line of header ? lines.slice(1) : lines) {
        const tokens = line.split(' ');
        out.push(columns.map((column, i) => hiveValue(tokens[i], column.type) ?? '\\N').join('\t'));
      }
    }
    const tsv = join(dir, 'data.tsv');
    writeFileSync(tsv, out.length > 0 ? `${out.join('\n')}\n` : '');
    for (const statement of readFileSync(engine.shims, 'utf8').split(/;\s*\n/)) {
      const sql = statement.replace(/^--.*$/gm, '').trim();
      if (sql) await connection.run(sql);
    }
    await connection.run('CREATE SCHEMA flowdump');
    const duckType = { int: 'INTEGER', bigint: 'BIGINT', string: 'VARCHAR' };
    await connection.run(`CREATE TABLE flowdump.flows (${columns.map((column) => `"${column.name}" ${duckType[column.type]}`).join(', ')})`);
    if (parquet) {
      // Athena's Parquet table: the file's columns under the table's types (null stays null)
      const list = files.map((file) => `'${file}'`).join(', ');
      await connection.run(`INSERT INTO flowdump.flows SELECT ${columns.map((column) => `CAST("${column.name}" AS ${duckType[column.type]})`).join(', ')} FROM read_parquet([${list}])`);
    } else if (out.length > 0) {
      const spec = columns.map((column) => `'${column.name}': '${duckType[column.type]}'`).join(', ');
      await connection.run(`INSERT INTO flowdump.flows SELECT * FROM read_csv('${tsv}', delim='\t', header=false, quote='', escape='', nullstr='\\N', columns={${spec}})`);
    }
    let sql = engine.summarySql({ table: 'flowdump.flows', fields });
    if (options.sql) sql = options.sql(sql);
    const reader = await connection.runAndReadAll(sql);
    const rows = reader.getRowsJS().map((row) => row.map((cell) => (cell === null || cell === undefined ? null : String(cell))));
    const summary = engine.summaryFromAnswer(rows, {
      fields,
      sources: files.length,
      engine: { engine: 'athena', scannedBytes: 0, scanCostUsd: 0, table: 'flowdump.flows' },
    });
    return { summary, sql, rows, fields: [...fields], header };
  } finally {
    connection.closeSync();
    instance.closeSync?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What both engines must agree on: everything but the malformed lines and the gap windows, which Athena cannot know. */
export function comparable(summary) {
  return {
    headline: summary.headline,
    records: { ...summary.records, malformed: undefined },
    tcp: summary.tcp,
    window: summary.window,
    interfaces: summary.interfaces,
    udp: summary.udp,
    icmp: summary.icmp,
    natHops: summary.natHops,
    timeline: summary.timeline,
    peers: summary.peers,
    peersTotal: summary.peersTotal,
    failures: summary.failures,
    failuresTotal: summary.failuresTotal,
  };
}
