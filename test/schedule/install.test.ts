import { describe, expect, it } from 'vitest';
import { FlowdumpError, UsageError } from '../../src/errors.js';
import { fillTemplate, installName, quoteCronArg, quoteSystemdArg, renderInstall, type InstallRequest } from '../../src/schedule/install.js';

const base: InstallRequest = {
  kind: 'systemd',
  name: 'i-0abc',
  flowdump: ['/usr/bin/node', '/opt/flow dump/bin/flowdump'],
  runArgs: ['schedule', 'run', '--cron', '*/30 9-18 * * 1-5', '--for', '5m', '--tz', 'Europe/Berlin', '--destination', 's3://bkt/50%$HOME', 'i-0abc'],
  sweepArgs: ['sweep', '--profile', "o'brien"],
  description: 'i-0abc, 5m windows at "*/30 9-18 * * 1-5" (Europe/Berlin)',
  lockFile: '/home/u/.local/state/flowdump/schedule-i-0abc.lock',
  logFile: '/home/u/.local/state/flowdump/schedule-i-0abc.log',
  directory: '/home/u/.config/flowdump',
};

/** systemd's own splitting of an ExecStart= line (quotes, backslash escapes, %% and $$), for checking round trips. */
function splitSystemd(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let word = '';
    if (line[i] === '"') {
      i++;
      while (line[i] !== '"') {
        if (line[i] === '\\') i++;
        word += line[i++];
      }
      i++;
    } else {
      while (i < line.length && line[i] !== ' ') word += line[i++];
    }
    words.push(word.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  }
  return words;
}

describe('systemd units', () => {
  const { files, enable } = renderInstall(base);

  it('writes the runner service, the sweep service and its timer', () => {
    expect(files.map((f) => f.name)).toEqual(['flowdump-schedule-i-0abc.service', 'flowdump-sweep.service', 'flowdump-sweep.timer']);
    expect(enable).toContain('systemctl --user enable --now flowdump-schedule-i-0abc.service flowdump-sweep.timer');
  });

  it('ExecStart carries every argument intact, quoted and escaped for systemd', () => {
    const service = files[0].content;
    const exec = service.split('\n').find((line) => line.startsWith('ExecStart='))!.slice('ExecStart='.length);
    expect(exec).toBe(
      '/usr/bin/node "/opt/flow dump/bin/flowdump" schedule run --cron "*/30 9-18 * * 1-5" --for 5m --tz Europe/Berlin --destination s3://bkt/50%%$$HOME i-0abc',
    );
    expect(splitSystemd(exec)).toEqual([...base.flowdump, ...base.runArgs]);
    expect(service).toContain('Description=flowdump capture windows: i-0abc, 5m windows at "*/30 9-18 * * 1-5" (Europe/Berlin)');
    expect(service).toContain('KillSignal=SIGINT');
    expect(service).toContain('RestartPreventExitStatus=2');
    expect(service).not.toMatch(/\{\{/);
  });

  it('the sweep runs every five minutes, catching up after downtime', () => {
    const sweep = files[1].content.split('\n').find((line) => line.startsWith('ExecStart='));
    expect(splitSystemd(sweep!.slice('ExecStart='.length))).toEqual([...base.flowdump, 'sweep', '--profile', "o'brien"]);
    expect(files[2].content).toContain('OnCalendar=*:0/5');
    expect(files[2].content).toContain('Persistent=true');
  });

  it('quotes what needs quoting and nothing else', () => {
    expect(quoteSystemdArg('i-0abc')).toBe('i-0abc');
    expect(quoteSystemdArg('')).toBe('""');
    expect(quoteSystemdArg('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quoteSystemdArg('100%')).toBe('100%%');
    expect(quoteSystemdArg('$HOME')).toBe('$$HOME');
    expect(quoteSystemdArg('a;b')).toBe('"a;b"');
  });
});

describe('crontab lines', () => {
  const { files, enable } = renderInstall({ ...base, kind: 'crontab' });
  const lines = files[0].content.split('\n');

  it('starts the runner every minute under flock, and the sweep every five', () => {
    expect(files[0].name).toBe('flowdump-schedule-i-0abc.crontab');
    const runner = lines.find((line) => line.startsWith('* * * * * '));
    expect(runner).toBe(
      "* * * * * flock -n /home/u/.local/state/flowdump/schedule-i-0abc.lock /usr/bin/node '/opt/flow dump/bin/flowdump' schedule run --cron '*/30 9-18 * * 1-5' --for 5m --tz Europe/Berlin --destination 's3://bkt/50\\%$HOME' i-0abc >> /home/u/.local/state/flowdump/schedule-i-0abc.log 2>&1",
    );
    expect(lines.find((line) => line.startsWith('*/5 * * * * '))).toBe(
      "*/5 * * * * /usr/bin/node '/opt/flow dump/bin/flowdump' sweep --profile 'o'\\''brien' >> /home/u/.local/state/flowdump/schedule-i-0abc.log 2>&1",
    );
    expect(enable).toEqual(['(crontab -l 2>/dev/null; cat /home/u/.config/flowdump/flowdump-schedule-i-0abc.crontab) | crontab -']);
  });

  it('escapes % (cron turns it into a newline) and shell metacharacters', () => {
    expect(quoteCronArg('50%')).toBe("'50\\%'");
    expect(quoteCronArg('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    expect(quoteCronArg("it's")).toBe("'it'\\''s'");
    expect(quoteCronArg('plain-word_1.2')).toBe('plain-word_1.2');
  });
});

describe('inputs', () => {
  it('an argument with a line break cannot go in a unit file', () => {
    expect(() => renderInstall({ ...base, runArgs: ['schedule', 'run', 'i-0abc\nExecStartPre=/bin/evil'] })).toThrow(UsageError);
  });

  it('names come from the target, made safe for file names', () => {
    expect(installName('i-0abc')).toBe('i-0abc');
    expect(installName('vpc 0abc/prod')).toBe('vpc-0abc-prod');
    expect(() => installName('///')).toThrow(/cannot name an installed schedule/);
    expect(() => renderInstall({ ...base, name: 'bad name' })).toThrow(/--name "bad name"/);
  });

  it('a template placeholder flowdump does not fill is a bug, not silent text', () => {
    expect(() => fillTemplate('ExecStart={{nope}}', {}, 'x.service')).toThrow(FlowdumpError);
    expect(fillTemplate('a={{a}} b={{a}}', { a: '1' }, 'x')).toBe('a=1 b=1');
  });
});
