import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudWatchMetrics, type MetricQuery } from '../../src/aws/metrics.js';
import { ExitCode, FlowdumpError } from '../../src/errors.js';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const scope = { region: 'eu-west-1' };
const client = () => new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
const range = { start: new Date('2026-11-30T07:00:00Z'), end: new Date('2026-11-30T08:00:00Z') };
const packetsIn: MetricQuery = { id: 'q0', namespace: 'AWS/EC2', metricName: 'NetworkPacketsIn', dimensions: { InstanceId: 'i-0abc' }, stat: 'Sum', periodSeconds: 300 };
const packetsOut: MetricQuery = { ...packetsIn, id: 'q1', metricName: 'NetworkPacketsOut' };
const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 7, minute));

function sdkError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });
}

async function failure(promise: Promise<unknown>): Promise<FlowdumpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FlowdumpError);
    return error as FlowdumpError;
  }
  throw new Error('expected the call to fail');
}

describe('CloudWatchMetrics.getMetricData', () => {
  it('follows NextToken and joins one series split across pages, in time order', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'q0', Label: 'NetworkPacketsIn', Timestamps: [at(0), at(5)], Values: [10, 20], StatusCode: 'PartialData' },
          { Id: 'q1', Label: 'NetworkPacketsOut', Timestamps: [at(0)], Values: [7], StatusCode: 'PartialData' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [{ Id: 'q0', Timestamps: [at(10)], Values: [30], StatusCode: 'Complete' }],
      });
    const result = await new CloudWatchMetrics(client(), scope).getMetricData([packetsIn, packetsOut], range);
    expect(result).toEqual([
      { id: 'q0', label: 'NetworkPacketsIn', points: [{ at: at(0), value: 10 }, { at: at(5), value: 20 }, { at: at(10), value: 30 }], complete: true, status: 'Complete' },
      { id: 'q1', label: 'NetworkPacketsOut', points: [{ at: at(0), value: 7 }], complete: true },
    ]);
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0].args[0].input).toMatchObject({
      StartTime: range.start,
      EndTime: range.end,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        { Id: 'q0', ReturnData: true, MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: 'NetworkPacketsIn', Dimensions: [{ Name: 'InstanceId', Value: 'i-0abc' }] }, Period: 300, Stat: 'Sum' } },
        { Id: 'q1' },
      ],
    });
    expect(calls[1].args[0].input.NextToken).toBe('page-2');
  });

  it('returns an empty series (not a missing one) when CloudWatch has no data points', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'q0', Timestamps: [], Values: [], StatusCode: 'Complete' }] });
    const result = await new CloudWatchMetrics(client(), scope).getMetricData([packetsIn, packetsOut], range);
    expect(result).toEqual([
      { id: 'q0', points: [], complete: true, status: 'Complete' },
      { id: 'q1', points: [], complete: true },
    ]);
  });

  it('marks a query CloudWatch could not answer as incomplete, with its message', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', Timestamps: [], Values: [], StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'not authorized for this account' }] }],
    });
    const [series] = await new CloudWatchMetrics(client(), scope).getMetricData([packetsIn], range);
    expect(series).toMatchObject({ id: 'q0', complete: false, status: 'Forbidden', messages: ['Forbidden: not authorized for this account'] });
  });

  it('splits more than 500 queries into several requests', async () => {
    const queries = Array.from({ length: 501 }, (_, i) => ({ ...packetsIn, id: `q${i}`, dimensions: { InstanceId: `i-${i}` } }));
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const result = await new CloudWatchMetrics(client(), scope).getMetricData(queries, range);
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls.map((call) => call.args[0].input.MetricDataQueries?.length)).toEqual([500, 1]);
    expect(result).toHaveLength(501);
  });

  it('turns AccessDenied into the shared one sentence: the permission, the policy file that grants it, and a way around it', async () => {
    cw.on(GetMetricDataCommand).rejects(sdkError('AccessDenied', 403));
    const error = await failure(new CloudWatchMetrics(client(), scope).getMetricData([packetsIn], range));
    expect(error.exitCode).toBe(ExitCode.awsAccess);
    expect(error.code).toBe('access-denied');
    expect(error.message).toBe(
      'AWS denied cloudwatch:GetMetricData for the default credentials in eu-west-1: attach the policy in templates/iam/flowdump-capture-s3.json (it grants cloudwatch:GetMetricData) to your user or role, or estimate without metrics: flowdump estimate --rate <records>/min --for <duration>',
    );
  });

  it('turns throttling that outlived the retries into one sentence, even on a later page', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'q0', Timestamps: [at(0)], Values: [1] }], NextToken: 'more' })
      .rejectsOnce(sdkError('Throttling', 400));
    const error = await failure(new CloudWatchMetrics(client(), scope).getMetricData([packetsIn], range));
    expect(error.code).toBe('throttled');
    expect(error.message).toBe('AWS kept throttling cloudwatch:GetMetricData after several attempts (Throttling); wait a minute and run the command again — nothing was lost');
    expect((error.cause as Error).name).toBe('Throttling');
  });

  it('wraps any other failure with the action and region and keeps the cause', async () => {
    cw.on(GetMetricDataCommand).rejects(sdkError('InvalidParameterValue', 400));
    const error = await failure(new CloudWatchMetrics(client(), scope).getMetricData([packetsIn], range));
    expect(error.code).toBe('aws-InvalidParameterValue');
    expect(error.message).toBe('cloudwatch:GetMetricData failed in eu-west-1: InvalidParameterValue: InvalidParameterValue: simulated');
    expect((error.cause as Error).name).toBe('InvalidParameterValue');
  });
});
