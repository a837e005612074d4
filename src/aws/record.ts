import { appendFileSync } from 'node:fs';

/**
 * Test-only: FLOWDUMP_TEST_RECORD_AWS=<file> appends one JSON line per AWS request the CLI makes
 * (the policy file the command names, the SDK operation, its input, the region, the outcome, and
 * the tags of the flow log or log group it deletes, as this process last saw them). The policy
 * tests evaluate each line against the shipped IAM policy (docs/testing.md). Never set it for
 * real use: inputs are written in the clear (object bodies and log events are left out).
 */
export interface RecordedCall {
  policy?: string;
  /** the caller's account, once this process has asked (GetCallerIdentity) */
  account?: string;
  /** the CLI's arguments, for reading a failure */
  argv: string[];
  /** e.g. "EC2", "S3", "CloudWatchLogs" (the client's name without "Client") */
  service: string;
  /** e.g. "CreateFlowLogs" */
  operation: string;
  region: string;
  input: Record<string, unknown>;
  /** the error name when the call failed */
  error?: string;
  /** DeleteFlowLogs: flow-log id → its tags; DeleteLogGroup: log-group name → its tags (what this process saw) */
  resourceTags?: Record<string, Record<string, string>>;
}

interface Stack {
  add(middleware: unknown, options: { step: string; name: string }): void;
}

interface Instrumentable {
  middlewareStack: Stack;
  config: { region: unknown };
}

const OMITTED = new Set(['Body', 'logEvents']);

function clean(input: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(input ?? {}, (key, value: unknown) => (OMITTED.has(key) ? '(omitted)' : typeof value === 'string' && value.length > 2000 ? `${value.slice(0, 2000)}…` : value)),
  ) as Record<string, unknown>;
}

type TagList = { Key?: string; Value?: string }[] | undefined;
const fromList = (tags: TagList): Record<string, string> => Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

/** What one process learnt about resource tags, so a delete is recorded with the tags of what it deletes. */
const flowLogTags = new Map<string, Record<string, string>>();
const logGroupTags = new Map<string, Record<string, string>>();
let callerAccount: string | undefined;

function learn(operation: string, input: Record<string, unknown>, output: Record<string, unknown> | undefined): void {
  if (operation === 'GetCallerIdentity' && typeof output?.Account === 'string') {
    callerAccount = output.Account;
  } else if (operation === 'DescribeFlowLogs') {
    for (const flowLog of (output?.FlowLogs as { FlowLogId?: string; Tags?: TagList }[] | undefined) ?? []) if (flowLog.FlowLogId) flowLogTags.set(flowLog.FlowLogId, fromList(flowLog.Tags));
  } else if (operation === 'CreateFlowLogs') {
    const specs = (input.TagSpecifications as { Tags?: TagList }[] | undefined) ?? [];
    const tags = Object.assign({}, ...specs.map((spec) => fromList(spec.Tags))) as Record<string, string>;
    for (const id of (output?.FlowLogIds as string[] | undefined) ?? []) flowLogTags.set(id, tags);
  } else if (operation === 'CreateLogGroup') {
    logGroupTags.set(String(input.logGroupName), (input.tags as Record<string, string> | undefined) ?? {});
  } else if (operation === 'ListTagsForResource' && typeof input.resourceArn === 'string') {
    const name = /:log-group:(.+?)(?::\*)?$/.exec(input.resourceArn)?.[1];
    if (name && output?.tags) logGroupTags.set(name, output.tags as Record<string, string>);
  }
}

function tagsOfTarget(operation: string, input: Record<string, unknown>): RecordedCall['resourceTags'] {
  if (operation === 'DeleteFlowLogs') return Object.fromEntries(((input.FlowLogIds as string[] | undefined) ?? []).map((id) => [id, flowLogTags.get(id) ?? {}]));
  if (operation === 'DeleteLogGroup') return { [String(input.logGroupName)]: logGroupTags.get(String(input.logGroupName)) ?? {} };
  return undefined;
}

/** Adds the recording middleware to an SDK client (a no-op unless `file` is set). */
export function recordCalls(client: unknown, file: string | undefined, policy: string | undefined): void {
  if (!file) return;
  const sdk = client as Instrumentable;
  sdk.middlewareStack.add(
    (next: (args: { input: unknown }) => Promise<{ output: unknown }>, context: { clientName?: string; commandName?: string }) => async (args: { input: unknown }) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const input = clean(args.input);
      const region = typeof sdk.config.region === 'function' ? String(await (sdk.config.region as () => Promise<string>)()) : String(sdk.config.region);
      const call: RecordedCall = { policy, argv: process.argv.slice(2), service: (context.clientName ?? '').replace(/Client$/, ''), operation, region, input };
      const resourceTags = tagsOfTarget(operation, input);
      if (resourceTags) call.resourceTags = resourceTags;
      try {
        const result = await next(args);
        learn(operation, input, result.output as Record<string, unknown> | undefined);
        return result;
      } catch (error) {
        call.error = (error as Error).name;
        throw error;
      } finally {
        if (callerAccount) call.account = callerAccount;
        appendFileSync(file, `${JSON.stringify(call)}\n`);
      }
    },
    { step: 'initialize', name: 'flowdumpTestRecorder' },
  );
}
