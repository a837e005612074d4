import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { bucketPolicyStatements, runSetup } from '../../capture/setup.js';
import { templatePath } from '../../paths.js';
import { renderSafetyNetPolicies } from '../../schedule/safety-net.js';
import { identity, openAws } from '../aws.js';
import { printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';

interface SetupFlags extends CommonOptions {
  s3Only?: boolean;
  printPolicy?: boolean;
}

export function setupCommand(ctx: CliContext): Command {
  const command = new Command('setup')
    .summary('one-time: the capture bucket and the CloudWatch Logs delivery role')
    .description(
      'Makes (or checks) the bucket flowdump-<account>-<region>: Block Public Access, default encryption (SSE-S3),\n' +
        'a TLS-only policy with the statements VPC Flow Logs delivery needs, and a lifecycle rule that expires\n' +
        'flowdump/ after 7 days as the last cost guard; the role flowdump-flow-logs-delivery for CloudWatch Logs;\n' +
        'and the role flowdump-safety-net that EventBridge Scheduler uses to delete a forgotten flow log.\n' +
        'Idempotent. An existing bucket policy is never overwritten: flowdump merges its statements by Sid, or refuses.\n' +
        'Needs the permissions in templates/iam/flowdump-setup.json.',
    )
    .option('--s3-only', 'skip the IAM roles (CloudWatch Logs delivery, safety net): no IAM permissions needed')
    .option('--print-policy', 'print the bucket-policy statements flowdump needs and change nothing');
  withCommonOptions(command, true);
  command.addHelpText('after', '\nExamples:\n  flowdump setup --region eu-west-1\n  flowdump setup --s3-only\n  flowdump setup --print-policy > statements.json\n');
  command.action(async (flags: SetupFlags) => {
    const aws = await openAws(ctx, flags, 'flowdump-setup.json');
    const who = await identity(aws);
    if (flags.printPolicy) {
      printJson(ctx, { Version: '2012-10-17', Statement: bucketPolicyStatements(who.defaultBucket, who.account, aws.region, who.partition) });
      return;
    }
    // every S3 call names this account as the bucket's owner: a bucket squatted under our name answers 403
    const result = await runSetup({ s3: aws.ownedS3(who.account), iam: aws.iam }, {
      account: who.account,
      partition: who.partition,
      region: aws.region,
      bucket: who.defaultBucket,
      deliveryTrustTemplate: readFileSync(templatePath('iam', 'delivery-role-trust.json'), 'utf8'),
      deliveryPolicy: readFileSync(templatePath('iam', 'delivery-role-policy.json'), 'utf8'),
      lifecycleDays: 7,
      skipRole: flags.s3Only === true,
      safetyNetRole: safetyNetRole(who.account, who.partition),
    });
    if (flags.json) {
      printJson(ctx, { schema: 'flowdump.setup/v1', account: who.account, region: aws.region, ...result });
      return;
    }
    const p = ctx.paint;
    const mark = { made: p.green('made   '), updated: p.yellow('updated'), existed: p.dim('existed') };
    const lines = result.steps.map((step) => `  ${mark[step.status]}  ${step.what}${step.note ? p.dim(`  (${step.note})`) : ''}`);
    ctx.io.stdout.write(
      `flowdump setup in account ${who.account}, ${aws.region}:\n${lines.join('\n')}\n` +
        `Ready: flowdump start --instance <id> --for 15m${result.roleArn ? ' (or --destination logs:/flowdump)' : ''}\n`,
    );
  });
  return command;
}

function safetyNetRole(account: string, partition: string): { name: string; trustPolicy: string; rolePolicy: string } {
  const policies = renderSafetyNetPolicies({ accountId: account, partition });
  return { name: policies.roleName, trustPolicy: JSON.stringify(policies.trustPolicy), rolePolicy: JSON.stringify(policies.rolePolicy) };
}
