import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { estimateRecordBytes, meanRecordBytes, IPV6_ADDRESS_WIDTH } from '../../src/cost/record-size.js';
import { DEFAULT_FIELDS } from '../../src/format/fields.js';
import { findPreset, listPresets } from '../../src/format/presets.js';

/**
 * The bytes-per-record model against real records. Tolerance: ±15% of the measured mean,
 * per record kind (OK, NODATA). That is the figure the estimate states (docs/cost.md);
 * on real traffic the model is within 1%, on the bundled example (short synthetic
 * addresses like 10.0.1.10) about +10%.
 */
const TOLERANCE = 0.15;

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'record-size');

interface Measured {
  fields: string[];
  ok: number[];
  nodata: number[];
}

/** Mean line length (newline included) of OK and NODATA/SKIPDATA records, by header or given format. */
function measure(texts: string[], defaultFields: readonly string[]): Measured {
  const out: Measured = { fields: [...defaultFields], ok: [], nodata: [] };
  for (const text of texts) {
    let fields = [...defaultFields];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.length === 0) continue;
      const tokens = line.split(/\s+/);
      if (/^[a-z]/.test(tokens[0]) && tokens.every((t) => /^[a-z][a-z0-9-]*$/.test(t))) {
        fields = tokens; // header line
        out.fields = fields;
        continue;
      }
      const status = tokens[fields.indexOf('log-status')];
      (status === 'NODATA' || status === 'SKIPDATA' ? out.nodata : out.ok).push(line.length + 1);
    }
  }
  return out;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

function expectWithin(predicted: number, measured: number, tolerance = TOLERANCE): void {
  const error = Math.abs(predicted - measured) / measured;
  expect(error, `model ${predicted} vs measured ${measured.toFixed(1)} (${(error * 100).toFixed(1)}%)`).toBeLessThanOrEqual(tolerance);
}

describe('bytes per record, checked against real records', () => {
  it('matches the bundled example capture (gzip S3 objects, handshake preset) within ±15%', () => {
    const files = walk(join(root, 'examples', 'incident-capture')).filter((path) => path.endsWith('.log.gz'));
    expect(files.length).toBeGreaterThan(0);
    const measured = measure(files.map((path) => gunzipSync(readFileSync(path)).toString('utf8')), DEFAULT_FIELDS);
    expect(measured.fields).toEqual([...findPreset('handshake').format.fields]);
    const model = estimateRecordBytes(measured.fields);
    expect(measured.ok.length).toBeGreaterThan(1000);
    expectWithin(model.ok, mean(measured.ok));
    expectWithin(model.nodata, mean(measured.nodata));
    // the mix the example actually holds
    expectWithin(meanRecordBytes(model, measured.ok.length, measured.nodata.length), mean([...measured.ok, ...measured.nodata]));
  });

  it('matches 775 records of real traffic (default v2 format, OK and NODATA) within ±15%, in fact within 1%', () => {
    const measured = measure([readFileSync(join(fixtures, 'opensearch-raw.log'), 'utf8')], DEFAULT_FIELDS);
    expect(measured.ok).toHaveLength(371);
    expect(measured.nodata).toHaveLength(404);
    const model = estimateRecordBytes(DEFAULT_FIELDS);
    expectWithin(model.ok, mean(measured.ok));
    expectWithin(model.nodata, mean(measured.nodata));
    expectWithin(model.ok, mean(measured.ok), 0.01);
    expectWithin(model.nodata, mean(measured.nodata), 0.01);
  });

  it('matches the AWS IPv6 example only when IPv6 is assumed', () => {
    const measured = measure([readFileSync(join(fixtures, 'awsdocs-example-ipv6.log'), 'utf8')], DEFAULT_FIELDS);
    const ipv6 = estimateRecordBytes(DEFAULT_FIELDS, { addressFamily: 'ipv6' });
    const ipv4 = estimateRecordBytes(DEFAULT_FIELDS, { addressFamily: 'ipv4' });
    expectWithin(ipv6.ok, mean(measured.ok));
    expect(Math.abs(ipv4.ok - mean(measured.ok)) / mean(measured.ok)).toBeGreaterThan(TOLERANCE);
    expect(ipv6.ok - ipv4.ok).toBe(2 * (IPV6_ADDRESS_WIDTH - 12));
    expect(ipv6.addressFamily).toBe('ipv6');
    expect(ipv6.assumptions.join(' ')).toContain('IPv6');
  });

  it.each([
    ['awsdocs-example-tcp-flag.log', 21],
    ['awsdocs-example-traffic-path.log', 29],
    ['awsdocs-example-no-data.log', 14],
  ])('matches %s (%i fields) within ±15%', (file, fieldCount) => {
    const measured = measure([readFileSync(join(fixtures, file), 'utf8')], DEFAULT_FIELDS);
    expect(measured.fields).toHaveLength(fieldCount);
    const model = estimateRecordBytes(measured.fields);
    if (measured.ok.length > 0) expectWithin(model.ok, mean(measured.ok));
    if (measured.nodata.length > 0) expectWithin(model.nodata, mean(measured.nodata));
  });
});

describe('estimateRecordBytes', () => {
  it('agrees with the preset sizes the wizard shows (IPv4, OK records)', () => {
    for (const preset of listPresets()) {
      expect(estimateRecordBytes(preset.format.fields).ok, preset.name).toBe(preset.bytesPerRecord);
    }
  });

  it('makes NODATA records smaller than OK records, keeping identity and time fields', () => {
    const size = estimateRecordBytes(DEFAULT_FIELDS);
    // `2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA` is 81 + newline
    expect(size.nodata).toBe(82);
    expect(size.nodata).toBeLessThan(size.ok);
  });

  it('counts ECS fields filled by default and says what empty ones would save', () => {
    const fields = [...DEFAULT_FIELDS, 'ecs-cluster-arn', 'ecs-task-arn', 'ecs-container-id'];
    const filled = estimateRecordBytes(fields);
    const empty = estimateRecordBytes(fields, { ecs: 'empty' });
    expect(filled.ok - empty.ok).toBe(58 - 1 + 88 - 1 + 64 - 1);
    expect(filled.assumptions.join(' ')).toMatch(/ECS fields filled.*~207 bytes smaller/);
    expect(empty.assumptions.join(' ')).toMatch(/ECS fields empty/);
  });

  it('counts a field it does not know at 8 bytes and says so', () => {
    const size = estimateRecordBytes(['version', 'some-future-field']);
    expect(size.ok).toBe(2 + 9);
    expect(size.unknownFields).toEqual(['some-future-field']);
    expect(size.assumptions.join(' ')).toContain('some-future-field');
  });
});
