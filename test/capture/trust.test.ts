/**
 * Ownership proof and hardening (docs/security.md), against the fakes: the strict id parser,
 * places, stores that refuse foreign places, deletes that need the capture's own manifest, the
 * local state folder, damaged manifests and locks, and setup's merges.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { parseDestination } from '../../src/capture/destination.js';
import { isCaptureId, newCaptureId, parseCaptureId } from '../../src/capture/ids.js';
import { startCapture } from '../../src/capture/lifecycle.js';
import { LocalCache } from '../../src/capture/local-cache.js';
import { parseManifest, serializeManifest } from '../../src/capture/manifest.js';
import { isPlaceOf, judgeFlowLog, type Places } from '../../src/capture/places.js';
import { planCapture } from '../../src/capture/plan.js';
import { mergeBucketPolicy, mergeLifecycleRule, ourLifecycleRule, trustDifference } from '../../src/capture/setup.js';
import { openStore } from '../../src/capture/store.js';
import { sweepCaptures } from '../../src/capture/sweep.js';
import { readCaptureTags } from '../../src/capture/tags.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { findPreset } from '../../src/format/presets.js';
import { FakeAws, fakeDeps } from './fakes.js';

const BUCKET = 'flowdump-111122223333-eu-west-1';
const ID = 'fd-20260501-120000-aaaa';
const PLACES: Places = { account: '111122223333', defaultBucket: BUCKET, recorded: [] };

describe('capture ids', () => {
  test('new ids carry 64 random bits; the one parser accepts exactly well-formed ids with a real date', () => {
    const id = newCaptureId(new Date('2026-05-01T12:34:56.789Z'));
    expect(id).toMatch(/^fd-20260501-123456-[0-9a-f]{16}$/);
    expect(parseCaptureId(id)).toBe(id);
    expect(isCaptureId('fd-20260501-120000-aaaa')).toBe(true);
    for (const bad of ['vpc', '../../../escaped', 'fd-20260501-120000-aaaa/..', 'fd-20261301-120000-aaaa', 'fd-20260230-120000-aaaa', 'fd-20260501-250000-aaaa', 'fd-20260501-120000-AAAA', 'fd-20260501-120000-aa', `fd-20260501-120000-${'a'.repeat(17)}`, ' fd-20260501-120000-aaaa', 42, undefined]) {
      expect(parseCaptureId(bad)).toBeUndefined();
    }
  });

  test('tags whose capture id is not well formed are not a capture; control characters never reach a terminal', () => {
    expect(readCaptureTags({ 'flowdump:capture-id': 'vpc' })).toBeUndefined();
    expect(readCaptureTags({ 'flowdump:capture-id': ID, 'flowdump:created-by': 'evil\u001b[2J\u0007user' })).toMatchObject({ captureId: ID, createdBy: 'evil[2Juser' });
    const judged = judgeFlowLog({ id: 'fl-1', resourceId: 'eni-1', destinationType: 's3', destination: 'arn:aws:s3:::x/y/', tags: { 'flowdump:capture-id': 'a\u001b]0;pwned\u0007b' } }, PLACES);
    expect(judged).toEqual({ ours: false, note: 'fl-1 carries flowdump tags but its flowdump:capture-id "a]0;pwnedb" is not a capture id: not a flowdump capture, left alone' });
  });
});

describe('places: a flow log is ours only by a well-formed id AND its own place', () => {
  const flowLog = (destination: string, captureId = ID) => ({ id: 'fl-1', resourceId: 'eni-1', destinationType: 's3', destination, tags: { 'flowdump:capture-id': captureId } });
  test.each([
    [`arn:aws:s3:::${BUCKET}/flowdump/${ID}/`, ID, true],
    [`arn:aws-cn:s3:::${BUCKET}/flowdump/${ID}/`, ID, true],
    ['arn:aws:s3:::corp-audit-logs/vpc/', 'vpc', false],
    [`arn:aws:s3:::corp-audit-logs/${ID}/`, ID, false],
    [`arn:aws:s3:::corp-audit-logs/flowdump/${ID}/`, ID, false],
    [`arn:aws:s3:::${BUCKET}/team/${ID}/`, ID, false],
    [`arn:aws:s3:::${BUCKET}/flowdump/${ID}/`, 'fd-20260501-120000-bbbb', false],
    [`arn:aws:s3:::${BUCKET}/flowdump/`, ID, false],
  ])('%s tagged %s → ours: %s', (destination, captureId, ours) => {
    expect(judgeFlowLog(flowLog(destination, captureId), PLACES).ours).toBe(ours);
  });

  test('a log group is ours at /flowdump/<id>, or where this machine recorded the capture', () => {
    const logs = (group: string, captureId = ID) => ({ id: 'fl-2', resourceId: 'eni-1', destinationType: 'cloud-watch-logs', logGroupName: group, tags: { 'flowdump:capture-id': captureId } });
    expect(judgeFlowLog(logs(`/flowdump/${ID}`), PLACES).ours).toBe(true);
    expect(judgeFlowLog(logs(`/team/${ID}`), PLACES).ours).toBe(false);
    expect(judgeFlowLog(logs(`/team/${ID}`), { ...PLACES, recorded: [{ id: ID, location: { type: 'logs', logGroup: `/team/${ID}` } }] }).ours).toBe(true);
    // a record for another capture proves nothing about this one
    expect(judgeFlowLog(logs(`/team/${ID}`), { ...PLACES, recorded: [{ id: 'fd-20260501-120000-bbbb', location: { type: 'logs', logGroup: `/team/${ID}` } }] }).ours).toBe(false);
    expect(isPlaceOf('../x', { type: 'logs', logGroup: '/flowdump/../x' }, PLACES)).toBe(false);
  });
});

describe('stores open only on a proven place, and delete only under the capture\'s own manifest', () => {
  test('a store on somebody else\'s prefix cannot even be opened: nothing is read or written there', () => {
    const aws = new FakeAws();
    expect(() => openStore({ type: 's3', bucket: 'corp-audit-logs', prefix: `${ID}/` }, ID, { s3: aws.s3, logs: aws.logs, places: PLACES })).toThrow(
      `s3://corp-audit-logs/${ID}/ is not where flowdump puts capture ${ID}`,
    );
    expect(aws.log).toEqual([]);
  });

  test('no manifest, a manifest naming another place, or one rebuilt from tags: the data is not deleted', async () => {
    const aws = new FakeAws();
    const store = openStore({ type: 's3', bucket: BUCKET, prefix: `flowdump/${ID}/` }, ID, { s3: aws.s3, logs: aws.logs, places: PLACES });
    aws.putDataFile(BUCKET, `flowdump/${ID}/AWSLogs/x.log.gz`, 'data\n');
    await expect(store.deleteData()).rejects.toThrow(`refusing to delete data at s3://${BUCKET}/flowdump/${ID}/: no manifest of that capture was found there`);
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'capture', 'manifest.json'), 'utf8'));
    await aws.s3.putObject(BUCKET, `flowdump/${ID}/capture.json`, serializeManifest({ ...manifest, destination: { type: 's3', bucket: 'corp-audit-logs', prefix: `${ID}/` } }), 'application/json');
    await expect(store.deleteData()).rejects.toThrow('no manifest of that capture was found there');
    await aws.s3.putObject(BUCKET, `flowdump/${ID}/capture.json`, serializeManifest({ ...manifest, recovered: true }), 'application/json');
    await expect(store.deleteData()).rejects.toThrow("its manifest was rebuilt from the flow log's tags, not written when the capture started");
    expect(aws.keys(BUCKET)).toContain(`flowdump/${ID}/AWSLogs/x.log.gz`);
    await aws.s3.putObject(BUCKET, `flowdump/${ID}/capture.json`, serializeManifest(manifest), 'application/json');
    expect(await store.deleteData()).toEqual({ deleted: 1, remaining: 0 });
  });

  test('start refuses a destination that is neither a default place nor recorded for the capture, before creating anything', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock('2026-05-01T12:00:00Z');
    const target = await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'in eu-west-1' });
    const preset = findPreset('handshake');
    const plan = planCapture({
      id: ID, target, format: { preset, bytesPerRecord: preset.bytesPerRecord }, destination: parseDestination('s3://corp-audit-logs/vpc'), defaultBucket: BUCKET,
      fileFormat: 'text', traffic: 'ALL', durationSeconds: 300, now: clock.now(), account: '111122223333', region: 'eu-west-1', createdBy: 'me', keep: false,
    });
    await expect(startCapture(plan, fakeDeps(aws, clock))).rejects.toThrow(`s3://corp-audit-logs/vpc/${ID}/ is not a place recorded for capture ${ID}; nothing was created`);
    expect(aws.flowLogs.size).toBe(0);
    const recorded = fakeDeps(aws, clock, { places: { ...PLACES, recorded: [{ id: ID, location: plan.location }] } });
    aws.buckets.add('corp-audit-logs');
    await startCapture(plan, recorded);
    expect(aws.flowLogs.size).toBe(1);
  });

  test('a damaged lock (not JSON) holds no lease: the sweep takes it over and finishes the capture instead of crashing', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    aws.buckets.add(BUCKET);
    const clock = new FakeClock('2026-05-01T12:00:00Z');
    const target = await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'in eu-west-1' });
    const preset = findPreset('handshake');
    const deps = fakeDeps(aws, clock);
    await startCapture(
      planCapture({ id: ID, target, format: { preset, bytesPerRecord: preset.bytesPerRecord }, destination: parseDestination(undefined), defaultBucket: BUCKET, fileFormat: 'text', traffic: 'ALL', durationSeconds: 300, now: clock.now(), account: '111122223333', region: 'eu-west-1', createdBy: 'me', keep: false }),
      deps,
    );
    await aws.s3.putObject(BUCKET, `flowdump/${ID}/lock.json`, '{"owner": "half a wri', 'application/json');
    clock.set('2026-05-01T12:30:00Z');
    const result = await sweepCaptures(deps, { account: '111122223333', region: 'eu-west-1', settleTimeoutMs: 0, waitForSettle: true });
    expect(result.failed).toEqual([]);
    expect(result.finished.map((f) => f.manifest.state)).toEqual(['cleaned']);
  });
});

describe('manifests from the bucket are checked before use', () => {
  const good = () => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'capture', 'manifest.json'), 'utf8'));
  test('a manifest is accepted only with every field the lifecycle acts on in shape', () => {
    expect(parseManifest(JSON.stringify(good()))?.id).toBe(ID);
    for (const damage of [{ id: '../x' }, { destination: 'somewhere' }, { destination: { type: 's3', bucket: 1 } }, { flowLogIds: 'fl-1' }, { target: null }, { createdAt: 'yesterday' }, { format: {} }, { state: 'exploded' }]) {
      expect(parseManifest(JSON.stringify({ ...good(), ...damage }))).toBeUndefined();
    }
    for (const text of ['', 'null', '[]', '42', '{"schema": "flowdump.capture/v1"']) expect(parseManifest(text)).toBeUndefined();
  });

  test('control characters in a manifest\'s text are stripped', () => {
    const manifest = parseManifest(JSON.stringify({ ...good(), createdBy: 'x\u001b[31my', target: { ...good().target, label: 'web\u0007-1' } }));
    expect(manifest).toMatchObject({ createdBy: 'x[31my', target: { label: 'web-1' } });
  });
});

describe('the local state folder', () => {
  test('a capture id that is not well formed never becomes a path; folders are 0700 and files 0600', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'flowdump-state-')), 'flowdump');
    const cache = new LocalCache(dir);
    expect(() => cache.captureDir('../../../escaped')).toThrow('"../../../escaped" is not a capture id (fd-YYYYMMDD-HHMMSS-<hex>); nothing was written');
    expect(() => cache.captureDir('fd-20260501-120000-aaaa/../../x')).toThrow('is not a capture id');
    const manifest = parseManifest(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'capture', 'manifest.json'), 'utf8'))!;
    await expect(cache.save({ ...manifest, id: '../../evil' }, '{}', 'x')).rejects.toThrow('is not a capture id');
    const saved = await cache.save(manifest, '{}', 'text');
    expect(saved).toBe(join(dir, 'captures', ID));
    for (const folder of [dir, join(dir, 'captures'), saved]) expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const file of ['summary.json', 'summary.txt', 'capture.json']) expect(statSync(join(saved, file)).mode & 0o777).toBe(0o600);
    await cache.remember({ id: ID, region: 'eu-west-1', location: manifest.destination });
    expect(statSync(join(dir, 'index.json')).mode & 0o777).toBe(0o600);
    // an index someone edited: entries that are not well formed are left out
    writeFileSync(join(dir, 'index.json'), JSON.stringify([{ id: '../x', region: 'eu-west-1', location: { type: 'logs', logGroup: '/x' } }, { id: ID, region: 'eu-west-1', location: manifest.destination }, 'junk', null]));
    expect((await cache.known('eu-west-1')).map((entry) => entry.id)).toEqual([ID]);
    writeFileSync(join(dir, 'index.json'), '{not json');
    expect(await cache.known()).toEqual([]);
  });
});

describe('setup keeps what it did not write', () => {
  test('lifecycle: other rules stay exactly as read, in their place; ours is added or replaced by its id', () => {
    const theirs = [
      { ID: 'tagged', Status: 'Enabled' as const, Filter: { Tag: { Key: 'a', Value: 'b' } }, Expiration: { Days: 1 } },
      { ID: 'transitions', Status: 'Enabled' as const, Filter: { And: { Prefix: 'x/', ObjectSizeGreaterThan: 10 } }, Transitions: [{ Days: 30, StorageClass: 'GLACIER' as const }] },
    ];
    const ours = ourLifecycleRule(7);
    const added = mergeLifecycleRule({ rules: theirs, transitionDefaultMinimumObjectSize: 'varies_by_storage_class' }, ours);
    expect(added).toEqual({ status: 'made', configuration: { rules: [...theirs, ours], transitionDefaultMinimumObjectSize: 'varies_by_storage_class' } });
    expect(mergeLifecycleRule(added.configuration, ours).status).toBe('existed');
    const replaced = mergeLifecycleRule({ rules: [{ ...ours, Expiration: { Days: 30 } }, ...theirs] }, ours);
    expect(replaced).toEqual({ status: 'updated', configuration: { rules: [ours, ...theirs] } });
  });

  test('a bucket policy without a Statement (or with one statement as an object) is merged, not a crash; a policy that is not an object is refused', () => {
    const ours = [{ Sid: 'FlowdumpX', Effect: 'Deny' }];
    expect(JSON.parse(mergeBucketPolicy('{"Version":"2012-10-17"}', ours, 'b').policy)).toEqual({ Version: '2012-10-17', Statement: ours });
    expect(JSON.parse(mergeBucketPolicy('{"Statement":{"Sid":"Team","Effect":"Allow"}}', ours, 'b').policy).Statement).toEqual([{ Sid: 'Team', Effect: 'Allow' }, ...ours]);
    expect(() => mergeBucketPolicy('null', ours, 'b')).toThrow('is not JSON flowdump can read');
    expect(() => mergeBucketPolicy('[1]', ours, 'b')).toThrow('is not JSON flowdump can read');
  });

  test('a role\'s trust policy: the first difference from the template is named', () => {
    const template = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    expect(trustDifference(template, template)).toBeUndefined();
    expect(trustDifference(template.replace('scheduler', 'ec2'), template)).toBe('Statement[0].Principal.Service is "ec2.amazonaws.com", the template has "scheduler.amazonaws.com"');
    expect(trustDifference('{', template)).toBe('it is not JSON');
  });
});
