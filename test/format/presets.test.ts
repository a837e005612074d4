import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { defaultPresetName, findPreset, listPresets, resolveFormat } from '../../src/format/presets.js';

describe('format presets', () => {
  it('loads the presets from templates/ and the default is one of them', () => {
    const names = listPresets().map((preset) => preset.name);
    expect(names).toEqual(expect.arrayContaining(['tcpdump', 'handshake', 'full']));
    expect(names).toContain(defaultPresetName());
  });

  it('the handshake preset has what the analyzer needs: packet addresses, protocol, tcp-flags, action, log-status', () => {
    expect(findPreset('handshake').format.fields).toEqual(
      expect.arrayContaining(['pkt-srcaddr', 'pkt-dstaddr', 'srcport', 'dstport', 'protocol', 'tcp-flags', 'action', 'log-status', 'start', 'end']),
    );
  });

  it('resolveFormat takes a preset name or a template', () => {
    expect(resolveFormat('full').fields).toHaveLength(29);
    expect(resolveFormat('${version} ${srcaddr}').fields).toEqual(['version', 'srcaddr']);
    expect(resolveFormat('version srcaddr dstaddr').fields).toEqual(['version', 'srcaddr', 'dstaddr']);
  });

  it('an unknown preset name is a usage error listing the presets', () => {
    expect(() => resolveFormat('handshak')).toThrow(UsageError);
    expect(() => resolveFormat('handshak')).toThrow(/tcpdump, handshake, full/);
  });

  it('estimates a plausible text record size from the field widths', () => {
    const handshake = findPreset('handshake').bytesPerRecord;
    const full = findPreset('full').bytesPerRecord;
    expect(handshake).toBeGreaterThan(60);
    expect(full).toBeGreaterThan(handshake);
  });
});
