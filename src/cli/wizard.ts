import type { Ec2Port } from '../aws/ec2.js';
import { parseCaptureDuration } from '../duration.js';
import type { TargetKind, TargetRequest } from '../capture/targets.js';
import { UsageError } from '../errors.js';
import { listPresets, defaultPresetName } from '../format/presets.js';
import type { PromptChoice, Prompts } from './prompts.js';

/** What the wizard fills; every field has a flag. */
export interface StartAnswers {
  target?: TargetRequest;
  format?: string;
  destination?: string;
  duration?: string;
  traffic?: 'ALL' | 'ACCEPT' | 'REJECT';
}

export interface WizardContext {
  prompts: Prompts;
  ec2: Ec2Port;
  region: string;
  profile?: string;
  account: string;
  defaultBucket: string;
  force: boolean;
  /** writes a line for the user (stderr) */
  say(text: string): void;
}

/** Asks for whatever the flags left open (target, format, destination, duration, traffic); answers given as flags are not asked again. */
export async function runWizard(given: StartAnswers, ctx: WizardContext): Promise<Required<StartAnswers>> {
  const { prompts } = ctx;
  ctx.say(`flowdump — account ${ctx.account}, region ${ctx.region}${ctx.profile ? `, profile ${ctx.profile}` : ''} (change with --region / --profile)`);
  const target = given.target ?? (await askTarget(ctx));
  const format =
    given.format ??
    (await prompts.select(
      'Format',
      listPresets().map((preset) => ({ value: preset.name, label: `${preset.name.padEnd(10)} ${String(preset.bytesPerRecord).padStart(3)} bytes/record`, hint: preset.description.split(/[:(]/)[0].trim() })),
      defaultPresetName(),
    ));
  const destination =
    given.destination ??
    (await prompts.select(
      'Destination',
      [
        { value: `s3://${ctx.defaultBucket}/flowdump`, label: `S3  s3://${ctx.defaultBucket}/flowdump/<capture-id>/`, hint: 'cheaper; made by flowdump setup' },
        { value: 'logs:/flowdump', label: 'CloudWatch Logs  /flowdump/<capture-id>', hint: 'faster delivery (~5 min), 1-day retention' },
      ],
      `s3://${ctx.defaultBucket}/flowdump`,
    ));
  const duration =
    given.duration ??
    (await prompts.input('Duration (90s, 15m, 2h)', '15m', (value) => {
      try {
        parseCaptureDuration(value, ctx.force);
        return true;
      } catch (error) {
        return (error as Error).message;
      }
    }));
  const traffic =
    given.traffic ??
    (await prompts.select<'ALL' | 'ACCEPT' | 'REJECT'>(
      'Traffic',
      [
        { value: 'ALL', label: 'ALL', hint: 'accepted and rejected (needed to tell rejected from unanswered)' },
        { value: 'ACCEPT', label: 'ACCEPT', hint: 'accepted only' },
        { value: 'REJECT', label: 'REJECT', hint: 'rejected only' },
      ],
      'ALL',
    ));
  return { target, format, destination, duration, traffic };
}

async function askTarget(ctx: WizardContext): Promise<TargetRequest> {
  const kind = await ctx.prompts.select<TargetKind>(
    'What to capture',
    [
      { value: 'instance', label: 'an EC2 instance', hint: 'all its network interfaces' },
      { value: 'eni', label: 'a network interface' },
      { value: 'subnet', label: 'a subnet', hint: 'every interface in it' },
      { value: 'vpc', label: 'a VPC', hint: 'everything: check the estimate' },
      { value: 'ip', label: 'a private IP address', hint: 'its network interface' },
    ],
    'instance',
  );
  if (kind === 'ip') return { kind, value: await ctx.prompts.input('Private IP address', '') };
  let choices: PromptChoice[] = [];
  if (kind === 'instance') {
    choices = (await ctx.ec2.describeInstances({}))
      .filter((i) => i.state !== 'terminated')
      .map((i) => ({ value: i.id, label: `${i.id}  ${i.name ?? ''}`.trim(), hint: `${i.state ?? ''} ${i.privateIp ?? ''}`.trim() }));
  } else if (kind === 'eni') {
    choices = (await ctx.ec2.describeNetworkInterfaces({})).map((e) => ({
      value: e.id,
      label: `${e.id}  ${e.name ?? e.description ?? ''}`.trim(),
      hint: `${e.privateIps[0] ?? ''}${e.instanceId ? ` on ${e.instanceId}` : ''}`,
    }));
  } else if (kind === 'subnet') {
    choices = (await ctx.ec2.describeSubnets({})).map((s) => ({ value: s.id, label: `${s.id}  ${s.name ?? ''}`.trim(), hint: `${s.cidr ?? ''} ${s.availabilityZone ?? ''}`.trim() }));
  } else {
    choices = (await ctx.ec2.describeVpcs({})).map((v) => ({ value: v.id, label: `${v.id}  ${v.name ?? ''}`.trim(), hint: `${v.cidr ?? ''}${v.isDefault ? ' default' : ''}` }));
  }
  if (choices.length === 0) throw new UsageError(`no ${kind === 'eni' ? 'network interface' : kind === 'vpc' ? 'VPC' : kind}s in ${ctx.region}; check --region and --profile`, { code: 'target-not-found' });
  return { kind, value: await ctx.prompts.search(`Pick the ${kind === 'eni' ? 'network interface' : kind === 'vpc' ? 'VPC' : kind}`, choices) };
}

/** `0.50`, `$2`, `1.5usd` → USD; anything else is a UsageError naming the flag. */
export function parseMaxCost(value: string, flag = '--max-cost'): number {
  const match = /^\s*\$?\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:usd)?\s*$/i.exec(value);
  const usd = match ? Number(match[1]) : Number.NaN;
  if (!(usd > 0)) throw new UsageError(`${flag} "${value}" is not an amount in US dollars above zero; write it like 0.50 or 5`, { code: 'bad-max-cost' });
  return usd;
}

/**
 * The wizard's cost question, asked once the estimate is known (--max-cost fills it):
 * empty means no cap. `estimate` is the range as text, or undefined with `error` saying why.
 */
export async function askMaxCost(ctx: Pick<WizardContext, 'prompts' | 'say'>, estimate: string | undefined, error: string | undefined, suggested: string): Promise<number | undefined> {
  ctx.say(estimate ? `Estimate: ${estimate} (the plan below shows what it assumes)` : `no estimate: ${error ?? 'unknown'}`);
  const answer = await ctx.prompts.input('Stop the capture if it would cost more than (USD; empty: no cap)', suggested, (value) => {
    if (value.trim() === '') return true;
    try {
      parseMaxCost(value, 'the cap');
      return true;
    } catch (problem) {
      return (problem as Error).message;
    }
  });
  return answer.trim() === '' ? undefined : parseMaxCost(answer, 'the cap');
}
