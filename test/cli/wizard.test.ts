import { describe, expect, test } from 'vitest';
import type { Prompts } from '../../src/cli/prompts.js';
import { askMaxCost, parseMaxCost, runWizard } from '../../src/cli/wizard.js';
import { cliReporter } from '../../src/cli/reporter.js';
import { createContext } from '../../src/cli/context.js';
import { FakeAws } from '../capture/fakes.js';

/** Answers prompts from a script and records what was asked. */
function scripted(answers: Record<string, string | boolean>, asked: string[]): Prompts {
  const answer = (message: string) => {
    asked.push(message);
    const key = Object.keys(answers).find((k) => message.startsWith(k));
    if (key === undefined) throw new Error(`unexpected prompt: ${message}`);
    return answers[key];
  };
  return {
    select: async (message, choices) => {
      const value = answer(message);
      expect(choices.map((c) => c.value)).toContain(value);
      return value as never;
    },
    search: async (message, choices) => {
      const value = answer(message);
      expect(choices.map((c) => c.value)).toContain(value);
      return value as never;
    },
    input: async (message, _initial, validate) => {
      const value = String(answer(message));
      expect(validate ? validate(value) : true).toBe(true);
      return value;
    },
    confirm: async (message) => Boolean(answer(message)),
  };
}

describe('the wizard', () => {
  test('asks target kind, target (from a filterable list), format, destination, duration and traffic', async () => {
    const aws = new FakeAws();
    const instance = aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 2);
    const asked: string[] = [];
    const said: string[] = [];
    const answers = await runWizard(
      {},
      {
        prompts: scripted({ 'What to capture': 'instance', 'Pick the instance': instance.id, Format: 'handshake', Destination: 'logs:/flowdump', Duration: '5m', Traffic: 'ALL' }, asked),
        ec2: aws.ec2,
        region: 'eu-west-1',
        profile: 'dev',
        account: '111122223333',
        defaultBucket: 'flowdump-111122223333-eu-west-1',
        force: false,
        say: (text) => said.push(text),
      },
    );
    expect(answers).toEqual({ target: { kind: 'instance', value: instance.id }, format: 'handshake', destination: 'logs:/flowdump', duration: '5m', traffic: 'ALL' });
    expect(asked).toEqual(['What to capture', 'Pick the instance', 'Format', 'Destination', 'Duration (90s, 15m, 2h)', 'Traffic']);
    expect(said[0]).toBe('flowdump — account 111122223333, region eu-west-1, profile dev (change with --region / --profile)');
  });

  test('offers each format with what it records, in words a user can place', async () => {
    const aws = new FakeAws();
    const instance = aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1');
    const offered: { value: string; label: string; hint?: string }[] = [];
    const base = scripted({ 'What to capture': 'instance', 'Pick the instance': instance.id, Format: 'tcpdump', Destination: 'logs:/flowdump', Duration: '5m', Traffic: 'ALL' }, []);
    const prompts: Prompts = {
      ...base,
      select: async (message, choices) => {
        if (message.startsWith('Format')) offered.push(...choices);
        return base.select(message, choices);
      },
    };
    await runWizard({}, { prompts, ec2: aws.ec2, region: 'eu-west-1', account: '1', defaultBucket: 'flowdump-1-eu-west-1', force: false, say: () => undefined });
    expect(offered.map((choice) => [choice.value, choice.hint])).toEqual([
      ['tcpdump', 'addresses, ports, tcp-flags and action, as tcpdump shows a packet'],
      ['handshake', 'the tcpdump fields plus what the analyzer needs'],
      ['full', 'every VPC field up to version 5'],
    ]);
  });

  test('does not ask what a flag already answered', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1');
    const asked: string[] = [];
    await runWizard(
      { format: 'full', duration: '2h', traffic: 'REJECT' },
      { prompts: scripted({ 'What to capture': 'ip', 'Private IP': '10.0.1.10', Destination: 's3://flowdump-1-eu-west-1/flowdump' }, asked), ec2: aws.ec2, region: 'eu-west-1', account: '1', defaultBucket: 'flowdump-1-eu-west-1', force: false, say: () => undefined },
    );
    expect(asked).toEqual(['What to capture', 'Private IP address', 'Destination']);
  });
});

describe('the wizard\'s cost cap', () => {
  test('is asked with the estimate in view; the suggestion is offered; an empty answer means no cap', async () => {
    const asked: string[] = [];
    const said: string[] = [];
    let offered = '';
    const prompts = scripted({ 'Stop the capture if it would cost more than': '0.25' }, asked);
    const cap = await askMaxCost(
      { prompts: { ...prompts, input: async (message, initial, validate) => ((offered = initial), prompts.input(message, initial, validate)) }, say: (text) => said.push(text) },
      '$0.0012 – $0.09',
      undefined,
      '0.25',
    );
    expect(cap).toBe(0.25);
    expect(offered).toBe('0.25');
    expect(asked).toEqual(['Stop the capture if it would cost more than (USD; empty: no cap)']);
    expect(said).toEqual(['Estimate: $0.0012 – $0.09 (the plan below shows what it assumes)']);
    const none = await askMaxCost({ prompts: scripted({ Stop: '' }, []), say: (text) => said.push(text) }, undefined, 'no metric shows how busy instance i-1 is', '');
    expect(none).toBeUndefined();
    expect(said.at(-1)).toBe('no estimate: no metric shows how busy instance i-1 is');
  });

  test('a cap that is not an amount is refused by the prompt, in one sentence', async () => {
    let problem: string | true = true;
    await askMaxCost(
      {
        prompts: {
          ...scripted({}, []),
          input: async (_message, _initial, validate) => {
            problem = validate!('lots');
            return '$2';
          },
        },
        say: () => undefined,
      },
      '$1 – $2',
      undefined,
      '5',
    );
    expect(problem).toBe('the cap "lots" is not an amount in US dollars above zero; write it like 0.50 or 5');
    expect(parseMaxCost('$2')).toBe(2);
    expect(parseMaxCost('0.5 USD')).toBe(0.5);
    expect(() => parseMaxCost('0')).toThrow('--max-cost "0" is not an amount in US dollars above zero; write it like 0.50 or 5');
  });
});

describe('the live line', () => {
  function io(tty: boolean) {
    const out: string[] = [];
    const stream = { write: (text: string) => out.push(text), isTTY: tty, columns: 60 };
    return { out, ctx: createContext({ stdout: stream, stderr: stream, stdin: [] as never, env: { NO_COLOR: '1' } }) };
  }
  const progress = (left: number) => ({ type: 'progress' as const, id: 'fd-1', timeLeftSeconds: left, objects: 2, bytes: 2048, costSoFar: 0.00001 });

  test('on a terminal it is rewritten in place; milestones get their own line', () => {
    const { out, ctx } = io(true);
    const reporter = cliReporter(ctx);
    reporter.event(progress(600));
    reporter.event(progress(570));
    reporter.event({ type: 'stopping', id: 'fd-1', reason: 'interrupted' });
    expect(out).toEqual(['fd-1  10m left · 2 object(s), 2.0 KB delivered · $0.00001 …', '\r\u001b[2K', 'fd-1  9m30s left · 2 object(s), 2.0 KB delivered · $0.0000…', '\r\u001b[2K', 'fd-1: stopping (interrupted)\n']);
  });

  test('without a terminal it is a line at most every minute; nothing under --json', () => {
    let now = 0;
    const { out, ctx } = io(false);
    const reporter = cliReporter(ctx, { now: () => now });
    reporter.event(progress(600));
    now = 30_000;
    reporter.event(progress(570));
    now = 61_000;
    reporter.event(progress(539));
    expect(out).toEqual(['fd-1  10m left · 2 object(s), 2.0 KB delivered · $0.00001 so far\n', 'fd-1  8m59s left · 2 object(s), 2.0 KB delivered · $0.00001 so far\n']);
    const quiet = io(false);
    cliReporter(quiet.ctx, { json: true }).event(progress(1));
    expect(quiet.out).toEqual([]);
  });
});
