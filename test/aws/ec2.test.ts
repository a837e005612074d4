import { CreateFlowLogsCommand, DeleteFlowLogsCommand, DescribeFlowLogsCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { createEc2Port, type CreateFlowLogsRequest } from '../../src/aws/ec2.js';
import { AwsAccessError } from '../../src/errors.js';

const scope = { region: 'eu-west-1', profile: 'dev', policy: 'flowdump-capture-s3.json' };
const ec2Mock = mockClient(EC2Client);
const port = createEc2Port(new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), scope);

const request: CreateFlowLogsRequest = {
  resourceType: 'NetworkInterface',
  resourceIds: ['eni-0aaaaaaaaaaaaaaa1', 'eni-0aaaaaaaaaaaaaaa2'],
  trafficType: 'ALL',
  destination: { type: 's3', arn: 'arn:aws:s3:::flowdump-1-eu-west-1/flowdump/fd-x/', fileFormat: 'plain-text' },
  logFormat: '${version} ${srcaddr}',
  maxAggregationInterval: 60,
  tags: { 'flowdump:capture-id': 'fd-x' },
  clientToken: 'fd-x',
};

function awsError(name: string, message: string, status = 400) {
  return Object.assign(new Error(message), { name, Code: name, $metadata: { httpStatusCode: status, attempts: 1 } });
}

beforeEach(() => ec2Mock.reset());

describe('Ec2Port.createFlowLogs', () => {
  test('sends the capture settings: ClientToken, tags on create, 60 s windows, S3 folder ARN', async () => {
    ec2Mock.on(CreateFlowLogsCommand).resolves({ FlowLogIds: ['fl-1', 'fl-2'] });
    const result = await port.createFlowLogs(request);
    expect(result).toEqual({ flowLogIds: ['fl-1', 'fl-2'], unsuccessful: [] });
    const input = ec2Mock.commandCalls(CreateFlowLogsCommand)[0].args[0].input;
    expect(input).toMatchObject({
      ClientToken: 'fd-x',
      MaxAggregationInterval: 60,
      LogDestinationType: 's3',
      LogDestination: 'arn:aws:s3:::flowdump-1-eu-west-1/flowdump/fd-x/',
      DestinationOptions: { FileFormat: 'plain-text' },
      TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [{ Key: 'flowdump:capture-id', Value: 'fd-x' }] }],
    });
  });

  test('Unsuccessful[] in an HTTP 200 answer comes back per resource', async () => {
    ec2Mock.on(CreateFlowLogsCommand).resolves({
      FlowLogIds: ['fl-1'],
      Unsuccessful: [{ ResourceId: 'eni-0aaaaaaaaaaaaaaa2', Error: { Code: '400', Message: 'LogDestination: flowdump-1-eu-west-1 does not exist.' } }],
    });
    const result = await port.createFlowLogs(request);
    expect(result.flowLogIds).toEqual(['fl-1']);
    expect(result.unsuccessful).toEqual([{ resourceId: 'eni-0aaaaaaaaaaaaaaa2', code: '400', message: 'LogDestination: flowdump-1-eu-west-1 does not exist.' }]);
  });

  test('AccessDenied names the missing permission and the policy file that grants it', async () => {
    ec2Mock.on(CreateFlowLogsCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));
    const error = await port.createFlowLogs(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsAccessError);
    expect((error as AwsAccessError).exitCode).toBe(3);
    expect((error as Error).message).toContain('ec2:CreateFlowLogs');
    expect((error as Error).message).toContain('templates/iam/flowdump-capture-s3.json');
    expect((error as Error).message).toContain('profile "dev"');
    expect((error as Error).message).not.toContain('\n');
  });

  test('expired credentials say how to log in again', async () => {
    ec2Mock.on(CreateFlowLogsCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired'));
    const error = (await port.createFlowLogs(request).catch((e: unknown) => e)) as AwsAccessError;
    expect(error.code).toBe('credentials-expired');
    expect(error.message).toContain('aws sso login --profile dev');
  });

  test('DryRun: DryRunOperation means it would have worked; anything else is the mapped error', async () => {
    ec2Mock
      .on(CreateFlowLogsCommand)
      .rejectsOnce(awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412))
      .rejectsOnce(awsError('UnauthorizedOperation', 'no', 403));
    await expect(port.dryRunCreateFlowLogs(request)).resolves.toBeUndefined();
    expect(ec2Mock.commandCalls(CreateFlowLogsCommand)[0].args[0].input.DryRun).toBe(true);
    await expect(port.dryRunCreateFlowLogs(request)).rejects.toThrow(/ec2:CreateFlowLogs.*flowdump-capture-s3\.json/);
  });
});

describe('Ec2Port.deleteFlowLogs / describeFlowLogs', () => {
  test('Unsuccessful[] from DeleteFlowLogs is reported per flow log', async () => {
    ec2Mock.on(DeleteFlowLogsCommand).resolves({ Unsuccessful: [{ ResourceId: 'fl-2', Error: { Code: 'InvalidFlowLogId.NotFound', Message: 'gone' } }] });
    expect(await port.deleteFlowLogs(['fl-1', 'fl-2'])).toEqual({ unsuccessful: [{ resourceId: 'fl-2', code: 'InvalidFlowLogId.NotFound', message: 'gone' }] });
  });

  test('a whole-batch NotFound error (moto) becomes NotFound per id, not a failure', async () => {
    ec2Mock.on(DeleteFlowLogsCommand).rejects(awsError('InvalidFlowLogId.NotFound', 'These flow log ids in the input list are not found'));
    const result = await port.deleteFlowLogs(['fl-1']);
    expect(result.unsuccessful.map((item) => item.code)).toEqual(['InvalidFlowLogId.NotFound']);
  });

  test('the tag filter is applied on our side too, across pages', async () => {
    ec2Mock
      .on(DescribeFlowLogsCommand)
      .resolvesOnce({ FlowLogs: [{ FlowLogId: 'fl-1', ResourceId: 'eni-1', Tags: [{ Key: 'flowdump:capture-id', Value: 'fd-a' }] }], NextToken: 'n' })
      .resolvesOnce({ FlowLogs: [{ FlowLogId: 'fl-foreign', ResourceId: 'eni-2', Tags: [{ Key: 'team', Value: 'net' }] }] });
    const flowLogs = await port.describeFlowLogs({ tagKey: 'flowdump:capture-id' });
    expect(flowLogs.map((flowLog) => flowLog.id)).toEqual(['fl-1']);
    expect(flowLogs[0].tags).toEqual({ 'flowdump:capture-id': 'fd-a' });
    expect(ec2Mock.commandCalls(DescribeFlowLogsCommand)).toHaveLength(2);
  });
});

describe('Ec2Port.describeInstances', () => {
  test('flattens reservations and orders interfaces by device index', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0123456789abcdef0',
              Tags: [{ Key: 'Name', Value: 'web-1' }],
              State: { Name: 'running' },
              NetworkInterfaces: [
                { NetworkInterfaceId: 'eni-b', Attachment: { DeviceIndex: 1 } },
                { NetworkInterfaceId: 'eni-a', Attachment: { DeviceIndex: 0 } },
              ],
            },
          ],
        },
      ],
    });
    const [instance] = await port.describeInstances({ ids: ['i-0123456789abcdef0'] });
    expect(instance).toMatchObject({ id: 'i-0123456789abcdef0', name: 'web-1', state: 'running', eniIds: ['eni-a', 'eni-b'] });
  });

  test('an unknown instance id is an empty answer, not an error', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound', "The instance ID 'i-0' does not exist"));
    expect(await port.describeInstances({ ids: ['i-0123456789abcdef0'] })).toEqual([]);
  });
});
