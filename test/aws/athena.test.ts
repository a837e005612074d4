import { AthenaClient, GetQueryResultsCommand, GetWorkGroupCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { createAthenaPort } from '../../src/aws/athena.js';
import { AwsAccessError } from '../../src/errors.js';

const athenaMock = mockClient(AthenaClient);
const athena = createAthenaPort(new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), { region: 'eu-west-1', policy: 'flowdump-athena.json' });
const row = (...cells: (string | null)[]) => ({ Data: cells.map((cell) => (cell === null ? {} : { VarCharValue: cell })) });

beforeEach(() => athenaMock.reset());

describe('AthenaPort', () => {
  test('results: every page (1,000 rows a page), the header row dropped by the metadata names, a cell without VarCharValue is null', async () => {
    const metadata = { ColumnInfo: [{ Name: 'sec', Type: 'varchar' }, { Name: 'n', Type: 'bigint' }] };
    athenaMock
      .on(GetQueryResultsCommand)
      .resolvesOnce({ ResultSet: { ResultSetMetadata: metadata, Rows: [row('sec', 'n'), row('kind', '3')] }, NextToken: 'p2' })
      .resolvesOnce({ ResultSet: { ResultSetMetadata: metadata, Rows: [row('sec', null)] } });
    const rows: (string | null)[][] = [];
    for await (const cells of athena.results('q-1')) rows.push(cells);
    expect(rows).toEqual([['kind', '3'], ['sec', null]]);
    const calls = athenaMock.commandCalls(GetQueryResultsCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([{ QueryExecutionId: 'q-1', MaxResults: 1000 }, { QueryExecutionId: 'q-1', NextToken: 'p2', MaxResults: 1000 }]);
  });

  test('results: without metadata (as moto answers) the header is told by the expected column names; a first row that is data stays', async () => {
    athenaMock.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1' }).resolves({ ResultSet: { Rows: [row('sec', 'n'), row('kind', '3')] } });
    athenaMock.on(GetQueryResultsCommand, { QueryExecutionId: 'q-2' }).resolves({ ResultSet: { Rows: [row('kind', '3')] } });
    const rows: (string | null)[][] = [];
    for await (const cells of athena.results('q-1', ['sec', 'n'])) rows.push(cells);
    expect(rows).toEqual([['kind', '3']]);
    const data: (string | null)[][] = [];
    for await (const cells of athena.results('q-2', ['sec', 'n'])) data.push(cells);
    expect(data).toEqual([['kind', '3']]);
  });

  test('startQuery sends the token, the workgroup and (only when given) the output location', async () => {
    athenaMock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-9' });
    expect(await athena.startQuery({ sql: 'SELECT 1', workgroup: 'primary', token: 't'.repeat(32) })).toBe('q-9');
    await athena.startQuery({ sql: 'SELECT 1', workgroup: 'wg', token: 'u'.repeat(32), database: 'flowdump', outputLocation: 's3://b/r/' });
    const inputs = athenaMock.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toEqual({ QueryString: 'SELECT 1', WorkGroup: 'primary', ClientRequestToken: 't'.repeat(32) });
    expect(inputs[1]).toMatchObject({ QueryExecutionContext: { Database: 'flowdump' }, ResultConfiguration: { OutputLocation: 's3://b/r/' } });
  });

  test('getWorkGroup tells managed results and the workgroup\'s own location', async () => {
    athenaMock.on(GetWorkGroupCommand).resolves({ WorkGroup: { Name: 'wg', Configuration: { ManagedQueryResultsConfiguration: { Enabled: true }, BytesScannedCutoffPerQuery: 10_000_000 } } });
    expect(await athena.getWorkGroup('wg')).toEqual({ outputLocation: undefined, managed: true, enforced: false, bytesScannedCutoff: 10_000_000 });
  });

  test('AccessDenied names the Athena policy', async () => {
    athenaMock.on(StartQueryExecutionCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const error = await athena.startQuery({ sql: 'SELECT 1', workgroup: 'primary', token: 't'.repeat(32) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsAccessError);
    expect((error as Error).message).toContain('athena:StartQueryExecution');
    expect((error as Error).message).toContain('flowdump-athena.json');
  });
});
