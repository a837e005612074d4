import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetWorkGroupCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { callAws, type AwsScope } from './errors.js';

/** The Athena calls flowdump makes, and nothing else (a port: docs/architecture.md). */
export interface AthenaPort {
  /** the workgroup's result location and whether it manages results itself (then no OutputLocation may be given) */
  getWorkGroup(name: string): Promise<WorkGroupInfo>;
  startQuery(request: StartQuery): Promise<string>;
  getQuery(id: string): Promise<QueryStatus>;
  /**
   * every row of a finished query, page by page (1,000 rows a page), without the header row Athena
   * puts first: told by ResultSetMetadata's column names, or by `columns` when there is none
   */
  results(id: string, columns?: readonly string[]): AsyncIterable<(string | null)[]>;
  stopQuery(id: string): Promise<void>;
}

export interface WorkGroupInfo {
  outputLocation?: string;
  /** managed query results: Athena keeps the results, and refuses an OutputLocation */
  managed: boolean;
  /** the workgroup's settings override the client's (then its OutputLocation is used whatever we send) */
  enforced: boolean;
  /** the workgroup's per-query cutoff in bytes scanned, when set */
  bytesScannedCutoff?: number;
}

export interface StartQuery {
  sql: string;
  workgroup: string;
  /** idempotency: the same token starts the same query once (StartQueryExecution's ClientRequestToken) */
  token: string;
  database?: string;
  outputLocation?: string;
}

export type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface QueryStatus {
  state: QueryState;
  reason?: string;
  scannedBytes: number;
  elapsedMs: number;
}

export function createAthenaPort(client: AthenaClient, scope: AwsScope): AthenaPort {
  return {
    async getWorkGroup(name) {
      const answer = await callAws(scope, { action: 'athena:GetWorkGroup', resource: `workgroup/${name}` }, () => client.send(new GetWorkGroupCommand({ WorkGroup: name })));
      const configuration = answer.WorkGroup?.Configuration;
      return {
        outputLocation: configuration?.ResultConfiguration?.OutputLocation,
        managed: configuration?.ManagedQueryResultsConfiguration?.Enabled === true,
        enforced: configuration?.EnforceWorkGroupConfiguration === true,
        bytesScannedCutoff: configuration?.BytesScannedCutoffPerQuery,
      };
    },
    async startQuery(request) {
      const answer = await callAws(scope, { action: 'athena:StartQueryExecution', resource: `workgroup/${request.workgroup}` }, () =>
        client.send(
          new StartQueryExecutionCommand({
            QueryString: request.sql,
            WorkGroup: request.workgroup,
            ClientRequestToken: request.token,
            ...(request.database ? { QueryExecutionContext: { Database: request.database } } : {}),
            ...(request.outputLocation ? { ResultConfiguration: { OutputLocation: request.outputLocation } } : {}),
          }),
        ),
      );
      if (!answer.QueryExecutionId) throw new Error('StartQueryExecution answered without a QueryExecutionId');
      return answer.QueryExecutionId;
    },
    async getQuery(id) {
      const answer = await callAws(scope, { action: 'athena:GetQueryExecution' }, () => client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      const execution = answer.QueryExecution;
      return {
        state: (execution?.Status?.State ?? 'QUEUED') as QueryState,
        reason: execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage,
        scannedBytes: execution?.Statistics?.DataScannedInBytes ?? 0,
        elapsedMs: execution?.Statistics?.TotalExecutionTimeInMillis ?? 0,
      };
    },
    results(id, columns = []) {
      return {
        async *[Symbol.asyncIterator]() {
          let token: string | undefined;
          let first = true;
          do {
            const page = await callAws(scope, { action: 'athena:GetQueryResults' }, () => client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 })));
            const described = page.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((column) => column.Name ?? column.Label ?? '') ?? [];
            const names = described.length > 0 ? described : columns;
            const rows = page.ResultSet?.Rows ?? [];
            for (const [i, row] of rows.entries()) {
              // a cell without VarCharValue is null
              const cells = (row.Data ?? []).map((cell) => cell.VarCharValue ?? null);
              // a SELECT's first row is its header: the column names again
              if (first && i === 0 && isHeaderRow(cells, names)) continue;
              yield cells;
            }
            first = false;
            token = page.NextToken;
          } while (token);
        },
      };
    },
    async stopQuery(id) {
      await callAws(scope, { action: 'athena:StopQueryExecution' }, () => client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })));
    },
  };
}

/** Athena repeats the column names as the first row of a SELECT's results. */
export function isHeaderRow(cells: readonly (string | null)[], names: readonly string[]): boolean {
  if (names.length > 0) return cells.length === names.length && cells.every((cell, i) => cell === names[i]);
  return false;
}
